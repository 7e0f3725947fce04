package segment

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/models"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train"
)

// workflow is the state of one Run.
type workflow struct {
	o      Options
	lay    Layout
	log    *slog.Logger
	model  nn.Module
	frozen []string // entries frozen by the transfer
	rep    *Report
}

// Run executes one BiaPy SEMANTIC_SEG job described by o: it creates the output tree
// ([NewLayout]), builds the model, loads Options.Pretrained (with its transfer
// report), trains when o.Train.Enable (labelled patches, augmentation with the labels
// as masks, [train.Fit] with best/last checkpoints, JSON-lines log, charts,
// TensorBoard, IoU and Dice per epoch, unfreezing the transferred layers after
// Pretrained.FreezeEpochs epochs) and runs the test phase when o.Test.Enable (tiled
// prediction with the best weights, merged probabilities, threshold or arg-max,
// per_image/<stem>.tif as uint8 class ids, IoU and Dice against DATA.TEST.GT_PATH). It
// writes and returns the [Report]; cancelling ctx returns the partial report with an
// error wrapping ctx.Err().
func Run(ctx context.Context, o Options) (*Report, error) {
	t0 := time.Now()
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if o.Train.Threads > 0 {
		defer tensor.SetThreads(tensor.SetThreads(o.Train.Threads))
	}
	w := &workflow{o: o, lay: NewLayout(o.Paths), log: o.Log}
	if err := w.setup(); err != nil {
		return nil, err
	}
	if o.Train.Enable {
		if err := w.train(ctx); err != nil {
			w.rep.Seconds = time.Since(t0).Seconds()
			return w.rep, err
		}
	}
	if o.Test.Enable {
		if err := w.test(ctx); err != nil {
			return w.rep, err
		}
	}
	w.rep.Seconds = time.Since(t0).Seconds()
	if err := w.rep.write(w.lay.Report); err != nil {
		return w.rep, err
	}
	return w.rep, nil
}

// setup creates the output folders, copies the configuration, builds the model and
// loads the pretrained weights.
func (w *workflow) setup() error {
	o, l := w.o, w.lay
	dirs := []string{l.JobDir, l.Results}
	if o.Paths.ConfigText != "" {
		dirs = append(dirs, l.ConfigDir)
	}
	if o.Train.Enable {
		dirs = append(dirs, l.Checkpoints, l.TrainLogs, l.Charts, l.TensorBoard)
	}
	if o.Test.Enable {
		dirs = append(dirs, l.PerImage)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("segment: %w", err)
		}
	}
	if o.Paths.ConfigText != "" {
		name := filepath.Base(o.Paths.ConfigName)
		if o.Paths.ConfigName == "" {
			name = l.JobID + ".yaml"
		}
		if err := os.WriteFile(filepath.Join(l.ConfigDir, name), []byte(o.Paths.ConfigText), 0o644); err != nil {
			return fmt.Errorf("segment: copying the configuration: %w", err)
		}
	}
	m := o.Model
	if m == nil {
		var err error
		if m, err = o.NewModel(tensor.NewRNG(o.Train.Seed), o.outChannels()); err != nil {
			return fmt.Errorf("segment: building the model: %w", err)
		}
	}
	nn.MoveTo(m, o.Device)
	w.model = m
	if err := w.checkOutput(); err != nil {
		return err
	}
	w.rep = &Report{JobID: l.JobID, ResultDir: l.Results, Classes: o.Classes, Loss: o.Loss,
		Parameters: nn.CountParams(models.LearnableParams(m))}
	if p := o.Pretrained; p.Checkpoint != "" {
		tr, err := models.TransferFile(m, p.Checkpoint, p.Transfer)
		if err != nil {
			return fmt.Errorf("segment: loading the pretrained checkpoint (PATHS.CHECKPOINT_FILE): %w", err)
		}
		w.frozen = tr.Frozen
		w.rep.Transfer = newTransferReport(p.Checkpoint, tr, p.FreezeEpochs)
		w.log.Info("segment: pretrained weights", "checkpoint", p.Checkpoint, "transfer", tr)
	}
	return nil
}

// checkOutput runs the model once on a zero patch (eval mode) and checks that it
// returns outChannels logits of the patch's spatial shape.
func (w *workflow) checkOutput() error {
	p := w.o.Data.Patch
	in := append([]int{1, p[len(p)-1]}, p[:len(p)-1]...)
	nn.SetTraining(w.model, false)
	defer nn.SetTraining(w.model, true)
	out := w.model.Forward(nil, nn.NewVar(tensor.Full(w.o.Device, 0, in...))).Value.Shape()
	want := append([]int{1, w.o.outChannels()}, p[:len(p)-1]...)
	if !slices.Equal(out, want) {
		return fmt.Errorf("segment: the model maps a patch %v to %v, want %v (%d output channels for MODEL.N_CLASSES %d)",
			in, out, want, w.o.outChannels(), w.o.Classes)
	}
	return nil
}

// loadLabelled loads an image folder with its labels converted to class ids.
func (w *workflow) labelled(ds *data.Dataset) (xs, ys []*data.Image, err error) {
	for _, s := range ds.Samples {
		y, err := classIDs(s.Label, w.o.Classes, w.o.Data.InvertBinary)
		if err != nil {
			return nil, nil, fmt.Errorf("segment: label of %s: %w", filepath.Join(ds.Dir, s.Name), err)
		}
		xs, ys = append(xs, s.Image), append(ys, y)
	}
	return xs, ys, nil
}

// train runs the training phase and fills the report's training fields.
func (w *workflow) train(ctx context.Context) error {
	o, l := w.o, w.lay
	t0 := time.Now()
	lo := data.LoadOptions{LabelDir: o.Data.TrainLabelDir, Patch: o.Data.Patch, ReflectToCompleteShape: o.Data.ReflectToCompleteShape}
	src := data.ValSource{Dir: o.Data.ValDir, LabelDir: o.Data.ValLabelDir}
	if o.Data.ValDir == "" && o.Data.ValSplit > 0 {
		src = data.ValSource{FromTrain: true, Split: o.Data.ValSplit, Random: o.Data.ValRandom, Seed: mix(o.Train.Seed, saltSplit)}
	}
	trd, vad, err := data.LoadTrainVal(ctx, o.Data.TrainDir, lo, src)
	if err != nil {
		return fmt.Errorf("segment: %w", err)
	}
	trX, trY, err := w.labelled(trd)
	if err != nil {
		return err
	}
	po := pairOptions{patch: o.Data.Patch, random: o.Data.ExtractRandomPatch, reflect: o.Data.ReflectToCompleteShape,
		overlap: o.Data.TrainOverlap, padding: o.Data.TrainPadding}
	tp, err := makePairs(trX, trY, o.Data.Normalization, po)
	if err != nil {
		return fmt.Errorf("segment: training data: %w", err)
	}
	multi := !o.binary()
	tb := &batches{p: tp, bs: o.Train.BatchSize, seed: o.Train.Seed, salt: saltTrain, shuffle: !o.Train.NoShuffle, multi: multi, dev: o.Device}
	if augEnabled(o.Augment) {
		a := o.Augment
		a.TargetIsMask = true
		tb.aug = &a
	}
	var vb train.Batches
	if vad != nil && len(vad.Samples) > 0 {
		vaX, vaY, err := w.labelled(vad)
		if err != nil {
			return err
		}
		po.overlap, po.padding = o.Data.ValOverlap, o.Data.ValPadding
		vp, err := makePairs(vaX, vaY, o.Data.Normalization, po)
		if err != nil {
			return fmt.Errorf("segment: validation data: %w", err)
		}
		vb = &batches{p: vp, bs: o.Train.BatchSize, seed: o.Train.Seed, salt: saltVal, fixed: true, multi: multi, dev: o.Device}
		w.rep.ValPatches = vp.Len()
	}
	w.rep.TrainImages, w.rep.TrainPatches = len(trX), tp.Len()
	var trainB train.Batches = tb
	if len(w.frozen) > 0 {
		frozen := w.frozen
		trainB = &unfreezer{batches: tb, at: o.Pretrained.FreezeEpochs,
			fn: func() int { return models.Unfreeze(w.model, frozen) },
			onDone: func(epoch, n int) {
				w.rep.Transfer.UnfrozenAtEpoch = epoch
				w.log.Info("segment: unfroze the pretrained layers", "epoch", epoch, "entries", n)
			}}
	}
	params := models.LearnableParams(w.model)
	opt := train.NewOptimizer(params, o.Train.Optimizer)
	so := o.Train.SchedulerOptions
	if so.LR == 0 {
		so.LR = o.Train.Optimizer.LR
		if so.LR == 0 {
			so.LR = 1e-4
		}
	}
	so.Epochs, so.Steps, so.AccumIter = o.Train.Epochs, tb.Len(), o.Train.AccumIter
	sched, err := train.NewScheduler(o.Train.Scheduler, so)
	if err != nil {
		return fmt.Errorf("segment: TRAIN.LR_SCHEDULER: %w", err)
	}
	logger, err := w.loggers()
	if err != nil {
		return err
	}
	sm := &segMetrics{classes: o.Classes, threshold: o.Threshold}
	fo := train.FitOptions{
		Model: w.model, Params: params, Train: trainB, Val: vb, Loss: w.lossFunc(), Metrics: sm.list(),
		Epochs: o.Train.Epochs, Optimizer: opt, Scheduler: sched, Patience: o.Train.Patience,
		AccumIter: o.Train.AccumIter, CheckpointDir: l.Checkpoints, Stem: l.JobID,
		Config: o.Paths.ConfigText, Metadata: map[string]string{"problem": "SEMANTIC_SEG", "job": l.JobID},
		RestoreBest: true, Logger: logger, Log: w.log,
	}
	w.log.Info("segment: training", "job", l.JobID, "samples", tp.Len(), "batches", tb.Len(), "classes", o.Classes, "loss", o.Loss)
	res, err := train.Fit(ctx, fo)
	w.rep.TrainSeconds = time.Since(t0).Seconds()
	if res != nil {
		w.rep.Epochs, w.rep.Steps = res.Epochs, res.Steps
		w.rep.BestEpoch, w.rep.BestValLoss, w.rep.StoppedEarly = res.BestEpoch, train.Float(res.BestValLoss), res.StoppedEarly
		for _, e := range res.History {
			w.rep.History = append(w.rep.History, EpochReport{Epoch: e.Epoch, TrainLoss: train.Float(e.TrainLoss),
				ValLoss: train.Float(e.ValLoss), Metrics: floats(e.Metrics)})
		}
		if n := len(res.History); n > 0 {
			w.rep.FinalTrainLoss = train.Float(res.History[n-1].TrainLoss)
		}
		if res.BestEpoch > 0 {
			w.rep.Checkpoint = res.BestPath
		}
	}
	if err != nil {
		return fmt.Errorf("segment: %w", err)
	}
	return nil
}

// lossFunc returns the training loss of the logits against the class-id batch.
func (w *workflow) lossFunc() train.LossFunc {
	o := w.o
	wce, wd := float32(o.LossWeights[0]), float32(o.LossWeights[1])
	return func(tp *nn.Tape, m nn.Module, x, y *tensor.Tensor) (*nn.Var, *nn.Var) {
		pred := m.Forward(tp, nn.NewVar(x))
		switch o.Loss {
		case LossDice:
			return tp.DiceLoss(pred, y, 1), pred
		case LossCEDice:
			return tp.BCEDiceLoss(pred, y, wce, wd, 1), pred
		}
		if o.binary() {
			return tp.BCEWithLogits(pred, y, 1), pred
		}
		return tp.CrossEntropy(pred, y, -1), pred
	}
}

// loggers opens the run's loggers: the JSON-lines train log, the PNG charts,
// TensorBoard and, with Options.Out, the progress display.
func (w *workflow) loggers() (train.Logger, error) {
	l := w.lay
	jl, err := train.NewJSONLogger(filepath.Join(l.TrainLogs, train.JSONLogName(l.JobID, time.Now())))
	if err != nil {
		return nil, err
	}
	tb, err := train.NewTensorBoardLogger(l.TensorBoard)
	if err != nil {
		jl.Close()
		return nil, err
	}
	ls := []train.Logger{jl, train.NewChartLogger(l.Charts, l.JobID, w.o.Train.ChartFreq), tb}
	if w.o.Out != nil {
		ls = append(ls, train.NewProgressLogger(w.o.Out))
	}
	return train.MultiLogger(ls...), nil
}

// augEnabled reports whether any transform of a is on.
func augEnabled(a data.AugmentOptions) bool {
	return a.Rot90 || a.RandomRot || a.Shear || a.Zoom || a.Shift || a.VFlip || a.HFlip || a.ZFlip ||
		a.Elastic || a.GaussianBlur || a.MedianBlur || a.GammaContrast || a.Brightness || a.Contrast ||
		a.GaussianNoise || a.PoissonNoise || a.SaltAndPepper || a.Cutout || a.MissingSections || a.Misalignment
}
