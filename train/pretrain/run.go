package pretrain

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/internal/workflows"
	"github.com/selfsup/selfsup/models"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train"
)

// workflow is the state of one Run.
type workflow struct {
	o       Options
	lay     Layout
	log     *slog.Logger
	model   nn.Module
	mae     *models.MAE // nil for crappify models
	pretext Pretext
	cr      *crappifier
	rep     *Report
}

// Run executes one BiaPy SELF_SUPERVISED job described by o: it creates the output
// tree ([NewLayout]), copies the configuration text, builds the model (o.Model or
// o.NewModel), trains it when o.Train.Enable (crappify cache, patches, [train.Fit] with
// best/last checkpoints, JSON-lines log, charts, TensorBoard, progress on o.Out) and
// runs the test phase when o.Test.Enable (tiled prediction with the best weights,
// merge, un-normalisation, per_image TIFFs in the original dtype, MAE_checks, metrics
// next to the do-nothing baseline, BiaPy's result lines on o.Out). It writes and
// returns the [Report].
//
// Cancelling ctx during training saves the last checkpoint and returns the partial
// report with an error wrapping ctx.Err(); Options.Resume then continues the run.
// For the masking task the test phase reseeds the MAE's MaskRNG from the run seed, so
// test masks do not depend on how long the model was trained.
func Run(ctx context.Context, o Options) (*Report, error) {
	t0 := time.Now()
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	w := &workflow{o: o, lay: NewLayout(o.Paths), log: o.Log,
		cr: &crappifier{factor: o.Crappify.Factor, noise: o.Crappify.Noise, seed: o.Train.Seed, log: o.Log}}
	p := workflows.Phases{Start: t0, Threads: o.Train.Threads, Setup: w.setup,
		Seconds: func(s float64) { w.rep.Seconds = s },
		Write:   func() error { return w.rep.write(w.lay.Report) }}
	if o.Train.Enable {
		p.Train = w.train
	}
	if o.Test.Enable {
		p.Test = w.test
	}
	ran, err := workflows.Run(ctx, p)
	if !ran {
		return nil, err
	}
	return w.rep, err
}

// setup creates the output folders, copies the configuration and builds the model.
func (w *workflow) setup() error {
	o, l := w.o, w.lay
	if err := workflows.MakeDirs("pretrain", l.Dirs(o.Paths.ConfigText != "", o.Train.Enable, o.AugSamples > 0, o.Test.Enable)); err != nil {
		return err
	}
	if o.Paths.ConfigText != "" {
		if err := workflows.WriteFileAtomic(workflows.ConfigCopy(l.ConfigDir, o.Paths.ConfigName, l.JobID), []byte(o.Paths.ConfigText)); err != nil {
			return fmt.Errorf("pretrain: copying the configuration: %w", err)
		}
	}
	m := o.Model
	if m == nil {
		var err error
		if m, err = o.NewModel(tensor.NewRNG(o.Train.Seed)); err != nil {
			return fmt.Errorf("pretrain: building the model: %w", err)
		}
	}
	nn.MoveTo(m, o.Device)
	w.model = m
	w.mae, _ = m.(*models.MAE)
	w.pretext = o.Pretext
	if w.pretext == "" {
		w.pretext = Crappify
		if w.mae != nil {
			w.pretext = Masking
		}
	}
	switch {
	case w.pretext == Masking && w.mae == nil:
		return errors.New("pretrain: the masking pretext task needs an MAE model (MODEL.ARCHITECTURE mae)")
	case w.pretext == Crappify && w.mae != nil:
		return errors.New("pretrain: the crappify pretext task cannot train an MAE model (MODEL.ARCHITECTURE mae needs masking)")
	case w.pretext != Masking && w.pretext != Crappify:
		return fmt.Errorf("pretrain: pretext task %q: want crappify or masking", w.pretext)
	}
	if w.mae != nil {
		mo, p := w.mae.Options(), o.Data.Patch
		for _, v := range p[:len(p)-1] {
			if v != mo.ImgSize {
				return fmt.Errorf("pretrain: patch size %v does not fit the MAE's %d-pixel square input (DATA.PATCH_SIZE)", p, mo.ImgSize)
			}
		}
		if len(p)-1 != mo.NDim || p[len(p)-1] != mo.InChannels {
			return fmt.Errorf("pretrain: patch size %v does not fit the %d-D MAE with %d channels", p, mo.NDim, mo.InChannels)
		}
	}
	loss := o.Loss
	if w.mae != nil {
		loss = "MSE (masked patches)"
	}
	w.rep = &Report{JobID: l.JobID, ResultDir: l.Results, Pretext: w.pretext, Loss: loss,
		Parameters: nn.CountParams(nn.Trainables(m.Params()))}
	return nil
}

// loadSplit loads the training images (and validation images) with their pretext
// inputs: for crappify the cached crappified copies, for masking nil.
func (w *workflow) loadSplit(ctx context.Context) (trX, trY, vaX, vaY []*data.Image, err error) {
	o := w.o
	lo := data.LoadOptions{Patch: o.Data.Patch, ReflectToCompleteShape: o.Data.ReflectToCompleteShape}
	all, err := data.LoadDir(ctx, o.Data.TrainDir, lo)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	orig, src, err := w.inputs(ctx, o.Data.TrainDir, o.Data.TrainSourceDir, all)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	switch {
	case o.Data.ValDir != "":
		vds, err := data.LoadDir(ctx, o.Data.ValDir, lo)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		vo, vs, err := w.inputs(ctx, o.Data.ValDir, o.Data.ValSourceDir, vds)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		return src, orig, vs, vo, nil
	case o.Data.ValSplit > 0:
		ti, vi, err := data.SplitIndices(len(orig), o.Data.ValSplit, o.Data.ValRandom, workflows.Mix(o.Train.Seed, workflows.SaltSplit))
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("pretrain: DATA.VAL.SPLIT_TRAIN: %w", err)
		}
		pick := func(s []*data.Image, idx []int) []*data.Image {
			out := make([]*data.Image, len(idx))
			for i, k := range idx {
				out[i] = s[k]
			}
			return out
		}
		return pick(src, ti), pick(orig, ti), pick(src, vi), pick(orig, vi), nil
	}
	return src, orig, nil, nil, nil
}

// inputs returns the originals of ds and the model inputs made from them: the
// crappified copies (through the cache folder src) or, for masking, the originals.
func (w *workflow) inputs(ctx context.Context, dir, src string, ds *data.Dataset) (orig, in []*data.Image, err error) {
	orig = make([]*data.Image, len(ds.Samples))
	for i, s := range ds.Samples {
		orig[i] = s.Image
	}
	if w.pretext == Masking {
		return orig, orig, nil
	}
	in, err = w.cr.source(ctx, dir, src, ds.Samples)
	return orig, in, err
}

// train runs the training phase and fills the report's training fields.
func (w *workflow) train(ctx context.Context) error {
	o, l := w.o, w.lay
	t0 := time.Now()
	trX, trY, vaX, vaY, err := w.loadSplit(ctx)
	if err != nil {
		return err
	}
	if w.pretext == Masking {
		trY, vaY = nil, nil
	}
	po := pairOptions{patch: o.Data.Patch, random: o.Data.ExtractRandomPatch, reflect: o.Data.ReflectToCompleteShape,
		overlap: o.Data.TrainOverlap, padding: o.Data.TrainPadding}
	tp, err := makePairs(trX, trY, o.Data.Normalization, po)
	if err != nil {
		return fmt.Errorf("pretrain: training data: %w", err)
	}
	tb := &batches{p: tp, bs: o.Train.BatchSize, seed: o.Train.Seed, salt: workflows.SaltTrain, shuffle: !o.Train.NoShuffle, dev: o.Device}
	if workflows.AugEnabled(o.Augment) {
		a := o.Augment
		a.TargetIsMask = false
		tb.aug = &a
	}
	var vb train.Batches
	var vbs *batches
	if len(vaX) > 0 {
		po.overlap, po.padding = o.Data.ValOverlap, o.Data.ValPadding
		vp, err := makePairs(vaX, vaY, o.Data.Normalization, po)
		if err != nil {
			return fmt.Errorf("pretrain: validation data: %w", err)
		}
		vbs = &batches{p: vp, bs: o.Train.BatchSize, seed: o.Train.Seed, salt: workflows.SaltVal, fixed: true, dev: o.Device}
		vb = vbs
		w.rep.ValPatches = vp.Len()
	}
	w.rep.TrainPatches = tp.Len()
	if err := w.writeAugSamples(tb); err != nil {
		return err
	}
	last := train.CheckpointPath(l.Checkpoints, l.JobID, "last")
	if o.Resume {
		if _, err := os.Stat(last); err != nil {
			return fmt.Errorf("pretrain: nothing to resume: %w", err)
		}
		w.rep.Resumed = true
	}
	opt := train.NewOptimizer(nn.Trainables(w.model.Params()), o.Train.Optimizer)
	sched, err := workflows.Scheduler("pretrain", o.Train.Scheduler, o.Train.SchedulerOptions, o.Train.Optimizer.LR,
		o.Train.Epochs, tb.Len(), o.Train.AccumIter)
	if err != nil {
		return err
	}
	logger, err := w.loggers()
	if err != nil {
		return err
	}
	tm := &trainMetrics{norm: o.Data.Normalization.Type, ssim: ssimFits(o.Data.Patch[:len(o.Data.Patch)-1])}
	var valOut held // copies of the last validation loss and prediction
	fo := train.FitOptions{
		Model: w.model, Train: tb, Val: vb, Loss: w.lossFunc(&valOut), Metrics: tm.list(),
		Epochs: o.Train.Epochs, Optimizer: opt, Scheduler: sched, Patience: o.Train.Patience,
		AccumIter: o.Train.AccumIter, CheckpointDir: l.Checkpoints, Stem: l.JobID,
		Config: o.Paths.ConfigText, Metadata: map[string]string{"pretext": string(w.pretext), "job": l.JobID},
		Resume: o.Resume, RestoreBest: true, Logger: logger, Log: w.log,
	}
	if w.mae != nil {
		fo.RNGs = map[string]*tensor.RNG{"mae_mask": w.mae.MaskRNG}
	}
	w.log.Info("pretrain: training", "job", l.JobID, "samples", tp.Len(), "batches", tb.Len(), "scheduler", o.Train.Scheduler)
	res, err := train.Fit(ctx, fo)
	tb.up.release()
	if vbs != nil {
		vbs.up.release()
	}
	valOut.release()
	w.rep.TrainSeconds = time.Since(t0).Seconds()
	if res != nil {
		w.rep.Epochs, w.rep.Steps = res.Epochs, res.Steps
		w.rep.BestEpoch, w.rep.BestValLoss, w.rep.StoppedEarly = res.BestEpoch, train.Float(res.BestValLoss), res.StoppedEarly
		if n := len(res.History); n > 0 {
			w.rep.FinalTrainLoss = train.Float(res.History[n-1].TrainLoss)
		}
		if res.BestEpoch > 0 {
			w.rep.Checkpoint = res.BestPath
		}
	}
	if err != nil {
		return fmt.Errorf("pretrain: %w", err)
	}
	return nil
}

// lossFunc returns the training loss: the MAE's masked-token MSE (the metrics then
// see its unpatchified reconstruction, compared with the input) or the L1/MSE loss
// between the model's output and the original image.
//
// A validation call (nil tape) runs on a tape of its own, whose intermediates are freed
// at once (on the CPU too: back to its buffer cache); the loss and prediction it returns
// are copies kept in out until the next validation call (or out.release).
func (w *workflow) lossFunc(out *held) train.LossFunc {
	var f train.LossFunc
	if w.mae != nil {
		mae := w.mae
		f = func(tp *nn.Tape, _ nn.Module, x, _ *tensor.Tensor) (*nn.Var, *nn.Var) {
			loss, pred, _ := mae.ForwardLoss(tp, nn.NewVar(x), nil)
			// On the tape, so that its Reset frees the copies; no gradient reaches it.
			return loss, mae.Unpatchify(tp, pred)
		}
	} else {
		l1 := w.o.Loss == "MAE"
		f = func(tp *nn.Tape, m nn.Module, x, y *tensor.Tensor) (*nn.Var, *nn.Var) {
			pred := m.Forward(tp, nn.NewVar(x))
			if l1 {
				return tp.L1Loss(pred, nn.NewVar(y)), pred
			}
			return tp.MSELoss(pred, nn.NewVar(y)), pred
		}
	}
	return func(tp *nn.Tape, m nn.Module, x, y *tensor.Tensor) (*nn.Var, *nn.Var) {
		if tp != nil {
			return f(tp, m, x, y)
		}
		out.release()
		itp := nn.NewTape()
		loss, pred := f(itp, m, x, y)
		lc, pc := copyOf(loss.Value), copyOf(pred.Value)
		itp.Reset()
		*out = append(*out, lc, pc)
		return nn.NewVar(lc), nn.NewVar(pc)
	}
}

// loggers opens the run's loggers: the JSON-lines train log (a resumed run appends to
// the job's latest log, whose epochs are replayed into the charts), the PNG charts,
// TensorBoard and, with Options.Out, the progress display.
func (w *workflow) loggers() (train.Logger, error) {
	l := w.lay
	path := filepath.Join(l.TrainLogs, train.JSONLogName(l.JobID, time.Now()))
	var history []train.EpochStats
	if w.o.Resume {
		if prev := latestLog(l.TrainLogs, l.JobID); prev != "" {
			path = prev
			if h, err := train.ReadJSONLog(prev); err == nil {
				history = h
			} else {
				w.log.Warn("pretrain: previous train log unreadable; charts restart", "path", prev, "err", err)
			}
		}
	}
	return workflows.Loggers(workflows.LoggerOptions{Pkg: "pretrain", Path: path, Charts: l.Charts, JobID: l.JobID,
		ChartFreq: w.o.Train.ChartFreq, Epochs: w.o.Train.Epochs, TensorBoard: l.TensorBoard, History: history,
		Out: w.o.Out, Log: w.log})
}

// latestLog returns the newest train log of job in dir ("" if none); the names embed
// a sortable timestamp.
func latestLog(dir, job string) string {
	ms, err := filepath.Glob(filepath.Join(dir, job+"_log_*.txt"))
	if err != nil || len(ms) == 0 {
		return ""
	}
	slices.Sort(ms)
	return ms[len(ms)-1]
}

// writeAugSamples writes the first Options.AugSamples training samples of epoch 0,
// as the model sees them (normalised, augmented), to results/<job>/aug as float32
// TIFFs: aug_<k>_input.tif and, for crappify, aug_<k>_target.tif.
func (w *workflow) writeAugSamples(b *batches) error {
	n := min(w.o.AugSamples, b.p.Len())
	ord := b.order(0)
	for k := range n {
		x, y := b.draw(0, ord[k])
		if err := data.WriteTIFF(filepath.Join(w.lay.Aug, fmt.Sprintf("aug_%d_input.tif", k)), x, data.TIFFOptions{}); err != nil {
			return fmt.Errorf("pretrain: augmentation samples: %w", err)
		}
		if y != x {
			if err := data.WriteTIFF(filepath.Join(w.lay.Aug, fmt.Sprintf("aug_%d_target.tif", k)), y, data.TIFFOptions{}); err != nil {
				return fmt.Errorf("pretrain: augmentation samples: %w", err)
			}
		}
	}
	return nil
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}
