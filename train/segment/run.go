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
	"github.com/selfsup/selfsup/internal/workflows"
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
	w := &workflow{o: o, lay: NewLayout(o.Paths), log: o.Log}
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

// setup creates the output folders, copies the configuration, builds the model and
// loads the pretrained weights.
func (w *workflow) setup() error {
	o, l := w.o, w.lay
	if err := workflows.MakeDirs("segment", l.Dirs(o.Paths.ConfigText != "", o.Train.Enable, false, o.Test.Enable)); err != nil {
		return err
	}
	if o.Paths.ConfigText != "" {
		if err := os.WriteFile(workflows.ConfigCopy(l.ConfigDir, o.Paths.ConfigName, l.JobID), []byte(o.Paths.ConfigText), 0o644); err != nil {
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
	z := tensor.Full(w.o.Device, 0, in...)
	tp := nn.NewTape() // its Reset frees the pass's intermediates
	out := w.model.Forward(tp, nn.NewVar(z)).Value.Shape()
	tp.Reset()
	z.Device().Free(z.Buffer())
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
		src = data.ValSource{FromTrain: true, Split: o.Data.ValSplit, Random: o.Data.ValRandom, Seed: workflows.Mix(o.Train.Seed, workflows.SaltSplit)}
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
	tb := &batches{p: tp, bs: o.Train.BatchSize, seed: o.Train.Seed, salt: workflows.SaltTrain, shuffle: !o.Train.NoShuffle, multi: multi, dev: o.Device}
	if workflows.AugEnabled(o.Augment) {
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
		vb = &batches{p: vp, bs: o.Train.BatchSize, seed: o.Train.Seed, salt: workflows.SaltVal, fixed: true, multi: multi, dev: o.Device}
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
	sched, err := workflows.Scheduler("segment", o.Train.Scheduler, o.Train.SchedulerOptions, o.Train.Optimizer.LR,
		o.Train.Epochs, tb.Len(), o.Train.AccumIter)
	if err != nil {
		return err
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

// lossFunc returns the training loss of the logits against the class-id batch. A
// validation call (nil tape) runs on a tape of its own, whose intermediates are freed at
// once; the loss and prediction it returns are copies, freed at the next such call.
func (w *workflow) lossFunc() train.LossFunc {
	f := w.trainLoss()
	var held []*tensor.Tensor
	return func(tp *nn.Tape, m nn.Module, x, y *tensor.Tensor) (*nn.Var, *nn.Var) {
		if tp != nil {
			return f(tp, m, x, y)
		}
		for _, t := range held {
			t.Device().Free(t.Buffer())
		}
		itp := nn.NewTape()
		loss, pred := f(itp, m, x, y)
		lc, pc := loss.Value.Clone(), pred.Value.Clone()
		itp.Reset()
		held = append(held[:0], lc, pc)
		return nn.NewVar(lc), nn.NewVar(pc)
	}
}

// trainLoss returns the loss of the logits against the class-id batch on tp.
func (w *workflow) trainLoss() train.LossFunc {
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
	return workflows.Loggers(workflows.LoggerOptions{Pkg: "segment",
		Path:   filepath.Join(l.TrainLogs, train.JSONLogName(l.JobID, time.Now())),
		Charts: l.Charts, JobID: l.JobID, ChartFreq: w.o.Train.ChartFreq, Epochs: w.o.Train.Epochs,
		TensorBoard: l.TensorBoard, Out: w.o.Out, Log: w.log})
}
