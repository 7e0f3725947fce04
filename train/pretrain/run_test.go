package pretrain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/models"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train"
)

// writeImages writes n synthetic images of shape ([Z] Y X C) and dtype into dir.
func writeImages(t *testing.T, dir string, n int, dtype data.DType, shape ...int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := tensor.NewRNG(uint64(n*7 + len(shape)))
	for k := range n {
		img := data.NewImage(dtype, shape...)
		hi := 200.0
		if dtype == data.Uint16 {
			hi = 3000
		} else if dtype == data.Float32 {
			hi = 1
		}
		for i := range img.Data {
			// i runs over (z,) y, x, c; a smooth pattern plus a little noise.
			x := float64(i % (shape[len(shape)-2] * shape[len(shape)-1]))
			y := float64(i / (shape[len(shape)-2] * shape[len(shape)-1]))
			v := 0.5 + 0.3*math.Sin(x/3+float64(k))*math.Cos(y/5) + 0.05*rng.Float64()
			img.Data[i] = dtype.Cast(float32(v * hi))
		}
		if err := data.WriteTIFF(filepath.Join(dir, fmt.Sprintf("img%02d.tif", k)), img, data.TIFFOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// unetBuilder builds a tiny U-Net.
func unetBuilder(ndim int) func(*tensor.RNG) (nn.Module, error) {
	return func(rng *tensor.RNG) (nn.Module, error) {
		return models.NewUNet(models.UNetOptions{Ndim: ndim, FeatureMaps: []int{4, 8}}, rng)
	}
}

// quiet returns a logger that discards everything.
func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// crappifyOptions returns the options of a small 2-D crappify job in root.
func crappifyOptions(root string, epochs int) Options {
	return Options{
		NewModel: unetBuilder(2),
		Crappify: CrappifyOptions{Factor: 4, Noise: 0.1},
		Data: DataOptions{
			TrainDir: filepath.Join(root, "data", "train"), ValSplit: 0.25, ValRandom: true,
			TestDir: filepath.Join(root, "data", "test"), Patch: []int{32, 32, 1},
		},
		Augment: data.AugmentOptions{DAProb: 0.5, VFlip: true, HFlip: true},
		Train: TrainOptions{Enable: true, Epochs: epochs, BatchSize: 2, Seed: 7, ChartFreq: 1,
			Optimizer: train.OptimizerOptions{Kind: train.AdamW, LR: 1e-3}},
		Test:  TestOptions{Enable: true, Overlap: []float64{0.5, 0.5}},
		Paths: PathOptions{ResultDir: filepath.Join(root, "out"), Name: "job", RunID: 1, ConfigName: "cfg.yaml", ConfigText: "PROBLEM:\n  TYPE: SELF_SUPERVISED\n"},
		Log:   quiet(),
	}
}

// makeData writes the 2-D training and test folders under root.
func makeData(t *testing.T, root string) {
	writeImages(t, filepath.Join(root, "data", "train"), 4, data.Uint8, 32, 48, 1)
	writeImages(t, filepath.Join(root, "data", "test"), 2, data.Uint8, 40, 44, 1)
}

func TestRunCrappify2D(t *testing.T) {
	root := t.TempDir()
	makeData(t, root)
	o := crappifyOptions(root, 2)
	o.AugSamples = 2
	var out bytes.Buffer
	o.Out = &out
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	lay := NewLayout(o.Paths)
	t.Run("tree", func(t *testing.T) {
		for _, p := range []string{
			filepath.Join(lay.ConfigDir, "cfg.yaml"),
			train.CheckpointPath(lay.Checkpoints, "job_1", "best"),
			train.CheckpointPath(lay.Checkpoints, "job_1", "last"),
			filepath.Join(lay.Charts, "job_1_loss.png"),
			filepath.Join(lay.Charts, "job_1_PSNR.png"),
			filepath.Join(lay.Aug, "aug_0_input.tif"),
			filepath.Join(lay.Aug, "aug_1_target.tif"),
			filepath.Join(lay.PerImage, "img00.tif"),
			filepath.Join(lay.PerImage, "img01.tif"),
			lay.Report,
			filepath.Join(root, "data", "train_ssl_source", ManifestName),
			filepath.Join(root, "data", "test_ssl_source", "img01.tif"),
		} {
			if !exists(p) {
				t.Errorf("missing %s", p)
			}
		}
		if lay.Results != filepath.Join(root, "out", "job", "results", "job_1") {
			t.Errorf("results dir %s", lay.Results)
		}
		logs, _ := filepath.Glob(filepath.Join(lay.TrainLogs, "job_1_log_*.txt"))
		tbs, _ := filepath.Glob(filepath.Join(lay.TensorBoard, "events.out.tfevents.*"))
		if len(logs) != 1 || len(tbs) != 1 {
			t.Errorf("train logs %v, tensorboard files %v", logs, tbs)
		}
		if exists(lay.MAEChecks) {
			t.Errorf("MAE_checks created for a crappify run")
		}
	})
	t.Run("report", func(t *testing.T) {
		back, err := ReadReport(lay.Report)
		if err != nil {
			t.Fatal(err)
		}
		if back.Epochs != 2 || back.BestEpoch < 1 || back.TrainPatches != 6 || back.ValPatches != 2 {
			t.Errorf("epochs %d best %d train %d val %d", back.Epochs, back.BestEpoch, back.TrainPatches, back.ValPatches)
		}
		for _, k := range MetricNames {
			if _, ok := back.Metrics[k]; !ok {
				t.Errorf("model metric %s missing: %v", k, back.Metrics)
			}
			if v, ok := back.Baseline[k]; !ok || math.IsNaN(float64(v)) {
				t.Errorf("baseline metric %s missing: %v", k, back.Baseline)
			}
		}
		if len(back.Images) != 2 || back.Images[0].Metrics == nil || back.BaselineName != "crappified input" {
			t.Errorf("images %+v baseline %q", back.Images, back.BaselineName)
		}
		if rep.Metrics["PSNR"] != back.Metrics["PSNR"] {
			t.Errorf("returned and written reports differ")
		}
	})
	t.Run("per_image", func(t *testing.T) {
		for _, n := range []string{"img00.tif", "img01.tif"} {
			img, err := data.ReadImage(filepath.Join(lay.PerImage, n))
			if err != nil {
				t.Fatal(err)
			}
			if img.DType != data.Uint8 || !slices.Equal(img.Shape, []int{40, 44, 1}) {
				t.Errorf("%s: %v %v, want uint8 [40 44 1]", n, img.DType, img.Shape)
			}
		}
	})
	t.Run("output", func(t *testing.T) {
		s := out.String()
		for _, want := range []string{"Test PSNR (merge patches): ", "Test SSIM (merge patches): ", "Baseline (crappified input) MAE: ", "epoch 2/2"} {
			if !strings.Contains(s, want) {
				t.Errorf("output lacks %q:\n%s", want, s)
			}
		}
	})
}

// cancelWriter cancels a context when the text it receives contains a marker.
type cancelWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	cancel context.CancelFunc
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.marker) {
		w.cancel()
	}
	return len(p), nil
}

func TestRunResume(t *testing.T) {
	root := t.TempDir()
	makeData(t, root)
	// Uninterrupted reference run.
	ref := crappifyOptions(filepath.Join(root, "a"), 3)
	ref.Data.TrainDir, ref.Data.TestDir = filepath.Join(root, "data", "train"), filepath.Join(root, "data", "test")
	ref.Test.Enable = false
	if _, err := Run(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	// Interrupted after the first epoch's summary, then resumed.
	o := ref
	o.Paths.ResultDir = filepath.Join(root, "b", "out")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o.Out = &cancelWriter{marker: "train loss", cancel: cancel}
	rep, err := Run(ctx, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err %v, want context.Canceled", err)
	}
	if rep == nil || rep.Epochs != 0 && rep.Epochs != 1 {
		t.Fatalf("interrupted report %+v", rep)
	}
	lay := NewLayout(o.Paths)
	c, err := train.ReadCheckpoint(train.CheckpointPath(lay.Checkpoints, lay.JobID, "last"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Info.Epoch != 1 {
		t.Fatalf("checkpoint at epoch %d, want 1", c.Info.Epoch)
	}
	o.Out, o.Resume = nil, true
	rep, err = Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Resumed || rep.Epochs != 3 {
		t.Errorf("resumed report: resumed %v epochs %d", rep.Resumed, rep.Epochs)
	}
	logs, _ := filepath.Glob(filepath.Join(lay.TrainLogs, "*.txt"))
	if len(logs) != 1 {
		t.Fatalf("train logs %v", logs)
	}
	hist, err := train.ReadJSONLog(logs[0])
	if err != nil || len(hist) != 3 {
		t.Fatalf("train log: %d epochs (%v), want 3 (continued, not restarted)", len(hist), err)
	}
	a, err := train.ReadCheckpoint(train.CheckpointPath(NewLayout(ref.Paths).Checkpoints, "job_1", "last"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := train.ReadCheckpoint(train.CheckpointPath(lay.Checkpoints, "job_1", "last"))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range a.Model {
		if !slices.Equal(v.Values(), b.Model[k].Values()) {
			t.Errorf("%s differs between the uninterrupted and the resumed run", k)
		}
	}
	// Resuming a job without a checkpoint is an error.
	o.Paths.Name = "other"
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "nothing to resume") {
		t.Errorf("resume without checkpoint: %v", err)
	}
}

func TestRun3D(t *testing.T) {
	root := t.TempDir()
	writeImages(t, filepath.Join(root, "train"), 2, data.Uint16, 8, 20, 20, 1)
	writeImages(t, filepath.Join(root, "test"), 1, data.Uint16, 12, 24, 24, 1)
	o := Options{
		NewModel: unetBuilder(3),
		Crappify: CrappifyOptions{Factor: 2, Noise: 0},
		Data: DataOptions{TrainDir: filepath.Join(root, "train"), TestDir: filepath.Join(root, "test"),
			Patch: []int{8, 16, 16, 1}, ExtractRandomPatch: true, Normalization: data.Normalization{Type: data.NormDiv}},
		Train: TrainOptions{Enable: true, Epochs: 2, BatchSize: 2},
		Test:  TestOptions{Enable: true, Padding: []int{1, 2, 2}},
		Paths: PathOptions{ResultDir: filepath.Join(root, "out"), Name: "three"},
		Log:   quiet(),
	}
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	img, err := data.ReadImage(filepath.Join(NewLayout(o.Paths).PerImage, "img00.tif"))
	if err != nil {
		t.Fatal(err)
	}
	if img.DType != data.Uint16 || !slices.Equal(img.Shape, []int{12, 24, 24, 1}) {
		t.Errorf("3-D output %v %v", img.DType, img.Shape)
	}
	if rep.Epochs != 2 || len(rep.Metrics) != 4 || len(rep.Baseline) != 4 {
		t.Errorf("report epochs %d metrics %v baseline %v", rep.Epochs, rep.Metrics, rep.Baseline)
	}
}

func TestRunMAE(t *testing.T) {
	root := t.TempDir()
	writeImages(t, filepath.Join(root, "train"), 3, data.Float32, 16, 16, 1)
	writeImages(t, filepath.Join(root, "test"), 2, data.Float32, 24, 20, 1)
	m, err := models.NewMAE(models.MAEOptions{ImgSize: 16, PatchSize: 4, EmbedDim: 16, Depth: 1, Heads: 2,
		MLPRatio: 2, DecoderDim: 16, DecoderDepth: 1, DecoderHeads: 2, MaskType: "random"}, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	o := Options{
		Model:     m,
		Data:      DataOptions{TrainDir: filepath.Join(root, "train"), TestDir: filepath.Join(root, "test"), Patch: []int{16, 16, 1}},
		Train:     TrainOptions{Enable: true, Epochs: 2, BatchSize: 2, Optimizer: train.OptimizerOptions{Kind: train.AdamW, LR: 1e-3}},
		Test:      TestOptions{Enable: true},
		Paths:     PathOptions{ResultDir: filepath.Join(root, "out"), Name: "mae", RunID: 2},
		MAEChecks: 1,
		Log:       quiet(),
	}
	var out bytes.Buffer
	o.Out = &out
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	lay := NewLayout(o.Paths)
	for _, p := range []string{
		filepath.Join(lay.MAEChecks, "img00_original.tif"),
		filepath.Join(lay.MAEChecks, "img00_masked.tif"),
		filepath.Join(lay.MAEChecks, "img00_reconstruction.tif"),
		filepath.Join(lay.MAEChecks, "img00_reconstruction_and_visible.tif"),
		filepath.Join(lay.PerImage, "img01.tif"),
		filepath.Join(lay.PerImage, "img01_masked.tif"),
		filepath.Join(lay.PerImage, "img01_reconstruction_and_visible.tif"),
	} {
		if !exists(p) {
			t.Errorf("missing %s", p)
		}
	}
	if exists(filepath.Join(lay.MAEChecks, "img01_original.tif")) {
		t.Errorf("MAE_checks written for more images than asked")
	}
	if exists(filepath.Join(root, "train_ssl_source")) {
		t.Errorf("masking made a crappify cache")
	}
	if rep.Pretext != Masking || rep.BaselineName != "masked input" || len(rep.Metrics) != 4 {
		t.Errorf("report %+v", rep)
	}
	if !strings.Contains(out.String(), "Test PSNR (merge patches): ") {
		t.Errorf("output:\n%s", out.String())
	}
}
