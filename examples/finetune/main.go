// Command finetune measures what self-supervised pretraining buys downstream (issue 6):
//
//	(a) pretrain a U-Net with crappify on the raw training + unlabeled slices (no labels),
//	    reporting its restoration PSNR/MAE on the test slices next to the do-nothing
//	    baseline (the crappified input);
//	(b) fine-tune it for membrane segmentation on only -labeled labelled slices
//	    (head re-initialised, BCE), for each of -seeds seeds;
//	(c) train the same segmentation model from random init with the same seed and budget;
//
// and prints a markdown table of the test IoU (membranes = foreground) of (b) and (c),
// mean ± sd over the seeds. The data folder holds train/{raw,label}, test/{raw,label}
// and optionally unlabeled/raw (ISBI 2012: labels 255 = cell, 0 = membrane).
//
// The default pretraining recipe is the one that measured a clear gain (README,
// "Downstream"): crappify with RESIZING_FACTOR 2 (BiaPy's default 4 averages most of
// the noise away and the model barely restores), AdamW at 1e-3 with one warm-up epoch
// and a cosine decay, 20 epochs of 128² patches. -reference switches to BiaPy 3.5.13's
// 2D template instead (factor 4, constant 1e-4, 10 epochs at CPU scale), the recipe of
// the PyTorch reference. Fine-tuning is the same for both arms and both
// recipes: AdamW 1e-4, batch 6, 200 steps, 2 labelled slices, head re-initialised.
//
//	go run ./examples/finetune                 # the recipe, 5 seeds (13 minutes on 2 cores)
//	go run ./examples/finetune -reference      # BiaPy's template recipe
//	go run ./examples/finetune -quick          # tiny smoke run (≈ 1 minute)
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/models"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train"
	"github.com/selfsup/selfsup/train/pretrain"
	"github.com/selfsup/selfsup/train/segment"
)

// config is the experiment's settings (the flags).
type config struct {
	data, out      string
	seeds          int
	labeled        int
	patch          int
	batch          int
	features       []int
	pretrainEpochs int
	finetuneSteps  int
	freezeEpochs   int
	pretrainLR     float64
	finetuneLR     float64
	randomPatches  bool // one random patch per image and epoch instead of tiling
	norm           data.NormType
	pretrainSched  string // "" or "warmupcosine"
	pretrained     string // an existing pretraining checkpoint: skip step (a)
	skipScratch    bool   // run only the SSL fine-tunings (screening recipes that leave scratch unchanged)
	skipSSL        bool   // run only the scratch fine-tunings
	firstSeed      int
	factor, noise  float64 // crappify RESIZING_FACTOR and NOISE
	threads        int
	verbose        bool
}

func main() {
	var c config
	var quick bool
	var feats string
	flag.StringVar(&c.data, "data", "../shared/data/isbi2012_membranes", "data folder: train/{raw,label}, test/{raw,label}, optional unlabeled/raw")
	flag.StringVar(&c.out, "out", filepath.Join(os.TempDir(), "selfsup_finetune"), "work and result folder")
	flag.IntVar(&c.seeds, "seeds", 5, "fine-tuning seeds (SSL and scratch each)")
	flag.IntVar(&c.labeled, "labeled", 2, "labelled training slices used for fine-tuning (the first ones)")
	flag.IntVar(&c.patch, "patch", 128, "patch side (pixels)")
	flag.IntVar(&c.batch, "batch", 6, "batch size")
	flag.StringVar(&feats, "features", "16,32,64,128,256", "U-Net feature maps per level")
	flag.IntVar(&c.pretrainEpochs, "pretrain-epochs", 20, "crappify pretraining epochs")
	flag.IntVar(&c.finetuneSteps, "finetune-steps", 200, "fine-tuning optimizer steps (SSL and scratch alike)")
	flag.IntVar(&c.freezeEpochs, "freeze-epochs", 0, "keep the pretrained layers frozen for this many fine-tuning epochs")
	flag.Float64Var(&c.pretrainLR, "pretrain-lr", 1e-3, "AdamW learning rate of the pretraining")
	flag.Float64Var(&c.finetuneLR, "finetune-lr", 1e-4, "AdamW learning rate of the fine-tuning")
	flag.IntVar(&c.threads, "threads", 0, "CPU threads (0: all)")
	var norm string
	flag.StringVar(&norm, "norm", string(data.NormDiv), "DATA.NORMALIZATION.TYPE of pretraining and fine-tuning: div (BiaPy 3.5.13's 2D template), scale_range or zero_mean_unit_variance")
	flag.StringVar(&c.pretrainSched, "pretrain-sched", "warmupcosine", "pretraining LR schedule: warmupcosine (1 warm-up epoch, decay to LR/100) or \"\" (constant, the template's)")
	flag.BoolVar(&c.skipScratch, "skip-scratch", false, "run only the SSL fine-tunings (the scratch column is NaN)")
	flag.BoolVar(&c.skipSSL, "skip-ssl", false, "run only the scratch fine-tunings (the SSL column is NaN; step (a) still runs unless -pretrained)")
	flag.IntVar(&c.firstSeed, "first-seed", 1, "first fine-tuning seed (seeds first-seed … first-seed+seeds−1), to split a run over processes")
	flag.Float64Var(&c.factor, "crappify-factor", 2, "crappify RESIZING_FACTOR of the pretraining (BiaPy's default: 4)")
	flag.Float64Var(&c.noise, "crappify-noise", 0.2, "crappify NOISE of the pretraining")
	flag.StringVar(&c.pretrained, "pretrained", "", "use this pretraining checkpoint (.safetensors) instead of running step (a)")
	flag.BoolVar(&c.verbose, "v", false, "log progress")
	var reference bool
	flag.BoolVar(&reference, "reference", false, "pretrain with BiaPy 3.5.13's 2D template recipe at CPU scale: factor 4, constant LR 1e-4, 10 epochs (overrides those flags)")
	flag.BoolVar(&quick, "quick", false, "tiny smoke run: 64² random patches, a small U-Net, 2 seeds, few steps")
	flag.Parse()
	var err error
	if c.features, err = parseInts(feats); err != nil {
		fmt.Fprintln(os.Stderr, "finetune: -features:", err)
		os.Exit(2)
	}
	c.norm = data.NormType(norm)
	if reference {
		c.factor, c.pretrainLR, c.pretrainSched, c.pretrainEpochs = 4, 1e-4, "", 10
	}
	if quick {
		c.quickSettings()
	}
	if err := run(context.Background(), c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "finetune:", err)
		os.Exit(1)
	}
}

// quickSettings shrinks c to the smoke-test scale.
func (c *config) quickSettings() {
	c.seeds, c.patch, c.batch = 2, 64, 4
	c.features = []int{8, 16, 32}
	c.pretrainEpochs, c.finetuneSteps = 2, 12
	c.pretrainLR, c.finetuneLR = 2e-3, 2e-3
	c.randomPatches = true
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		var v int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &v); err != nil || v <= 0 {
			return nil, fmt.Errorf("%q: want positive integers separated by commas", s)
		}
		out = append(out, v)
	}
	return out, nil
}

// result is one seed's test IoU with SSL init and from scratch.
type result struct {
	seed         int
	ssl, scratch float64
}

// run executes the experiment and writes the table to w.
func run(ctx context.Context, c config, w io.Writer) error {
	if c.threads > 0 {
		defer tensor.SetThreads(tensor.SetThreads(c.threads))
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if c.verbose {
		log = slog.Default()
	}
	work, err := prepare(c)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "finetune: data %s, work %s, patch %d², U-Net %v, %d labelled slices, %d seeds\n",
		c.data, c.out, c.patch, c.features, c.labeled, c.seeds)

	// (a) pretraining with crappify on the raw slices, no labels.
	po := c.pretrainOptions(work, log)
	if c.pretrained != "" { // test the given checkpoint only
		po.Train.Enable, po.Checkpoint = false, c.pretrained
	}
	pr, err := pretrain.Run(ctx, po)
	if err != nil {
		return fmt.Errorf("pretraining: %w", err)
	}
	if c.pretrained != "" {
		pr.Checkpoint = c.pretrained
		fmt.Fprintf(w, "pretraining: reused checkpoint %s\n", pr.Checkpoint)
	} else {
		fmt.Fprintf(w, "pretraining: %d epochs, %d steps, %.0f s; checkpoint %s\n", pr.Epochs, pr.Steps, pr.TrainSeconds, pr.Checkpoint)
	}

	// (b) and (c) for each seed.
	var rs []result
	for s := max(1, c.firstSeed); s < max(1, c.firstSeed)+c.seeds; s++ {
		r := result{seed: s, ssl: math.NaN(), scratch: math.NaN()}
		for _, ssl := range []bool{true, false} {
			if (!ssl && c.skipScratch) || (ssl && c.skipSSL) {
				continue
			}
			o := c.segmentOptions(work, s, log)
			if ssl {
				o.Paths.Name = fmt.Sprintf("ssl_seed%d", s)
				o.Pretrained = segment.PretrainedOptions{Checkpoint: pr.Checkpoint, FreezeEpochs: c.freezeEpochs}
			}
			rep, err := segment.Run(ctx, o)
			if err != nil {
				return fmt.Errorf("seed %d (%s): %w", s, o.Paths.Name, err)
			}
			iou := float64(rep.Metrics["IoU"])
			if ssl {
				r.ssl = iou
				if s == 1 && rep.Transfer != nil {
					fmt.Fprintf(w, "fine-tuning: %d steps per run; %s\n", rep.Steps, rep.Transfer.Summary)
				}
			} else {
				r.scratch = iou
			}
		}
		fmt.Fprintf(w, "seed %d: test IoU SSL %.4f, scratch %.4f\n", s, r.ssl, r.scratch)
		rs = append(rs, r)
	}
	writeTable(w, c, pr, rs)
	return nil
}

// writeTable prints the markdown summary.
func writeTable(w io.Writer, c config, pr *pretrain.Report, rs []result) {
	var ssl, scr []float64
	fmt.Fprintf(w, "\n| seed | test IoU, SSL init | test IoU, scratch | gain |\n|---|---|---|---|\n")
	for _, r := range rs {
		fmt.Fprintf(w, "| %d | %.3f | %.3f | %+.3f |\n", r.seed, r.ssl, r.scratch, r.ssl-r.scratch)
		ssl, scr = append(ssl, r.ssl), append(scr, r.scratch)
	}
	ms, ss := meanSD(ssl)
	mc, sc := meanSD(scr)
	fmt.Fprintf(w, "| mean ± sd | %.3f ± %.3f | %.3f ± %.3f | %+.3f |\n", ms, ss, mc, sc, ms-mc)
	fmt.Fprintf(w, "\n| restoration (test) | PSNR (dB) | MAE |\n|---|---|---|\n")
	fmt.Fprintf(w, "| pretrained model | %.2f | %.2f |\n", float64(pr.Metrics["PSNR"]), float64(pr.Metrics["MAE"]))
	fmt.Fprintf(w, "| baseline (%s) | %.2f | %.2f |\n", pr.BaselineName, float64(pr.Baseline["PSNR"]), float64(pr.Baseline["MAE"]))
}

// meanSD returns the mean and the sample standard deviation (0 for one value).
func meanSD(v []float64) (mean, sd float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, 0
	}
	for _, x := range v {
		sd += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(sd / float64(len(v)-1))
}

// workDirs are the folders the runs read (links into the data folder).
type workDirs struct {
	sslRaw             string // train/raw + unlabeled/raw
	ftRaw, ftLabel     string // the first -labeled training slices
	testRaw, testLabel string
	results            string
}

// prepare links the data into the work folder: all raw training and unlabeled slices
// for pretraining, the first c.labeled labelled slices for fine-tuning.
func prepare(c config) (workDirs, error) {
	abs, err := filepath.Abs(c.data)
	if err != nil {
		return workDirs{}, err
	}
	out, err := filepath.Abs(c.out)
	if err != nil {
		return workDirs{}, err
	}
	w := workDirs{sslRaw: filepath.Join(out, "data", "ssl", "raw"), ftRaw: filepath.Join(out, "data", "ft", "raw"),
		ftLabel: filepath.Join(out, "data", "ft", "label"), testRaw: filepath.Join(abs, "test", "raw"),
		testLabel: filepath.Join(abs, "test", "label"), results: filepath.Join(out, "results")}
	for _, d := range []string{w.sslRaw, w.ftRaw, w.ftLabel} {
		if err := os.RemoveAll(d); err != nil {
			return w, err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return w, err
		}
	}
	link := func(srcDir, dstDir string, names []string, prefix string) error {
		for _, n := range names {
			if err := os.Symlink(filepath.Join(srcDir, n), filepath.Join(dstDir, prefix+n)); err != nil {
				return err
			}
		}
		return nil
	}
	raw, err := data.ListImages(filepath.Join(abs, "train", "raw"))
	if err != nil {
		return w, err
	}
	labels, err := data.ListImages(filepath.Join(abs, "train", "label"))
	if err != nil {
		return w, fmt.Errorf("%w (fine-tuning needs labels: see the data README)", err)
	}
	match, err := data.MatchLabels(filepath.Join(abs, "train", "raw"), raw, filepath.Join(abs, "train", "label"), labels)
	if err != nil {
		return w, err
	}
	if c.labeled < 1 || c.labeled > len(raw) {
		return w, fmt.Errorf("-labeled %d: the data has %d labelled training slices", c.labeled, len(raw))
	}
	if err := link(filepath.Join(abs, "train", "raw"), w.sslRaw, raw, ""); err != nil {
		return w, err
	}
	if un, err := data.ListImages(filepath.Join(abs, "unlabeled", "raw")); err == nil {
		if err := link(filepath.Join(abs, "unlabeled", "raw"), w.sslRaw, un, "unlabeled_"); err != nil {
			return w, err
		}
	}
	if err := link(filepath.Join(abs, "train", "raw"), w.ftRaw, raw[:c.labeled], ""); err != nil {
		return w, err
	}
	if err := link(filepath.Join(abs, "train", "label"), w.ftLabel, match[:c.labeled], ""); err != nil {
		return w, err
	}
	return w, nil
}

// unet builds the experiment's U-Net (BiaPy's 2D template: BN, ELU) with out channels.
func (c config) unet(rng *tensor.RNG, out int) (nn.Module, error) {
	return models.NewUNet(models.UNetOptions{FeatureMaps: c.features, OutChannels: out}, rng)
}

// pretrainOptions is step (a): crappify 0.2/×4, L1, AdamW, 10 % validation.
func (c config) pretrainOptions(w workDirs, log *slog.Logger) pretrain.Options {
	return pretrain.Options{
		NewModel: func(rng *tensor.RNG) (nn.Module, error) { return c.unet(rng, 1) },
		Crappify: pretrain.CrappifyOptions{Factor: c.factor, Noise: c.noise},
		Data: pretrain.DataOptions{TrainDir: w.sslRaw, ValSplit: 0.1, ValRandom: true, TestDir: w.testRaw,
			TestSourceDir: filepath.Join(filepath.Dir(w.results), "data", "test_ssl_source"),
			Patch:         []int{c.patch, c.patch, 1}, ExtractRandomPatch: c.randomPatches,
			Normalization: data.Normalization{Type: c.norm}},
		Augment: data.AugmentOptions{DAProb: 0.5, Rot90: true, VFlip: true, HFlip: true},
		Train: pretrain.TrainOptions{Enable: true, Epochs: c.pretrainEpochs, BatchSize: c.batch, Seed: 1,
			Optimizer: train.OptimizerOptions{Kind: train.AdamW, LR: c.pretrainLR}, Patience: 20,
			Scheduler: c.pretrainSched, SchedulerOptions: train.SchedulerOptions{WarmupEpochs: 1, MinLR: c.pretrainLR / 100}},
		Test:  pretrain.TestOptions{Enable: true, Padding: c.testPadding()},
		Paths: pretrain.PathOptions{ResultDir: w.results, Name: "pretrain"},
		Log:   log,
	}
}

// segmentOptions is step (b)/(c) for seed: BCE, AdamW, the step budget spread over
// epochs of the labelled patches, test IoU of the membranes.
func (c config) segmentOptions(w workDirs, seed int, log *slog.Logger) segment.Options {
	perEpoch := c.labeled // one random patch per image and epoch
	if !c.randomPatches {
		side := 512 / c.patch // ISBI slices are 512²; checked loosely, only for the budget
		perEpoch = c.labeled * side * side
	}
	batches := max(1, (perEpoch+c.batch-1)/c.batch)
	epochs := max(1, (c.finetuneSteps+batches-1)/batches)
	return segment.Options{
		NewModel: c.unet,
		Classes:  2,
		Loss:     segment.LossCE,
		Data: segment.DataOptions{TrainDir: w.ftRaw, TrainLabelDir: w.ftLabel, TestDir: w.testRaw, TestLabelDir: w.testLabel,
			Patch: []int{c.patch, c.patch, 1}, ExtractRandomPatch: c.randomPatches, InvertBinary: true,
			Normalization: data.Normalization{Type: c.norm}},
		Augment: data.AugmentOptions{DAProb: 0.5, Rot90: true, VFlip: true, HFlip: true},
		Train: segment.TrainOptions{Enable: true, Epochs: epochs, BatchSize: c.batch, Seed: uint64(seed),
			Optimizer: train.OptimizerOptions{Kind: train.AdamW, LR: c.finetuneLR}},
		Test:  segment.TestOptions{Enable: true, Padding: c.testPadding()},
		Paths: segment.PathOptions{ResultDir: w.results, Name: fmt.Sprintf("scratch_seed%d", seed)},
		Log:   log,
	}
}

// testPadding is DATA.TEST.PADDING of both workflows: the 2D template's (32, 32),
// a quarter of the patch side at most.
func (c config) testPadding() []int {
	p := min(32, c.patch/4)
	return []int{p, p}
}
