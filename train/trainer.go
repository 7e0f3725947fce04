package train

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// Batches is a source of (input, target) batches. Batch must be deterministic for a
// given (epoch, i) — shuffling and augmentation seeded from them are the source's job —
// so that a resumed run sees the same batches as an uninterrupted one.
type Batches interface {
	// Len returns the number of batches per epoch.
	Len() int
	// Batch returns batch i (0-based) of the 0-based epoch: x: [N, …], y: [N, …].
	Batch(ctx context.Context, epoch, i int) (x, y *tensor.Tensor, err error)
}

// LossFunc computes the loss of model m on the batch (x, y), recording on tp (nil
// during validation), and returns the scalar loss and the prediction the metrics see.
type LossFunc func(tp *nn.Tape, m nn.Module, x, y *tensor.Tensor) (loss, pred *nn.Var)

// Metric is a per-batch metric averaged over the batches of an epoch and reported as
// "train/<Name>" and "val/<Name>".
type Metric struct {
	Name string                                  // reported as "train/<Name>" and "val/<Name>"
	Fn   func(x, y, pred *tensor.Tensor) float64 // value on one batch: input x, target y and the loss's prediction pred
}

// FitOptions configure [Fit]. Model, Train, Loss, Epochs and Optimizer are required.
type FitOptions struct {
	Model  nn.Module  // the model to train
	Params []nn.Param // trained parameters; nil: nn.Trainables(Model.Params())
	Train  Batches    // training batches
	Val    Batches    // nil: no validation (best is judged on the training loss)
	Loss   LossFunc   // loss and prediction of one batch

	Metrics   []Metric   // per-batch metrics averaged over each epoch
	Epochs    int        // TRAIN.EPOCHS
	Optimizer *Optimizer // built on Params
	Scheduler Scheduler  // nil: constant rate
	Patience  int        // TRAIN.PATIENCE; ≤ 0 disables early stopping
	// AccumIter is TRAIN.ACCUM_ITER (≤ 1: none): each micro-batch's loss is divided by
	// it and back-propagated, and the optimizer steps after every AccumIter batches,
	// so the gradients are averaged. An incomplete group at the end of an epoch is
	// dropped (the gradients are zeroed at each epoch start, as BiaPy does).
	AccumIter int

	// CheckpointDir and Stem place the checkpoints at
	// CheckpointPath(CheckpointDir, Stem, "best"|"last"). Empty Dir: no checkpoints.
	CheckpointDir, Stem string
	// Config and Metadata are stored in the checkpoints' side-cars.
	Config   string
	Metadata map[string]string // extra key-value metadata
	// Resume continues from CheckpointPath(Dir, Stem, "last"), which must exist;
	// ResumeFrom names another checkpoint to continue from. Either restores weights,
	// optimizer, scheduler, epoch, step, early-stopping counters and RNG states.
	Resume     bool
	ResumeFrom string // checkpoint path; "" with Resume: the last checkpoint
	// RestoreBest loads the best checkpoint's weights into the model at the end.
	RestoreBest bool

	// RNG is the loop's generator (for callers' random draws in Loss or Batches); its
	// state and that of each of RNGs (e.g. an MAE's mask generator) are checkpointed.
	RNG  *tensor.RNG
	RNGs map[string]*tensor.RNG // other generators to checkpoint, by name

	Logger Logger       // progress; nil: none
	Log    *slog.Logger // messages; nil: slog.Default()
}

// Result summarises a run.
type Result struct {
	Epochs       int          // epochs completed
	Steps        int          // optimizer steps taken
	BestValLoss  float64      // best monitored loss (validation, else training)
	BestEpoch    int          // 1-based epoch of BestValLoss
	StoppedEarly bool         // early stopping (Patience) ended the run
	History      []EpochStats // the epochs run by this call
	BestPath     string       // "" without checkpoints
	LastPath     string       // "" without checkpoints
}

// ErrNonFinite is wrapped by the error Fit returns when a training loss is NaN or ±Inf.
var ErrNonFinite = errors.New("non-finite loss")

// nonFiniteError is the error for a NaN/Inf loss.
type nonFiniteError struct {
	loss        float64
	epoch, step int
	last        string
}

func (e *nonFiniteError) Error() string {
	return fmt.Sprintf("train: loss is %v at epoch %d step %d; last good checkpoint: %s", e.loss, e.epoch, e.step, e.last)
}

func (e *nonFiniteError) Unwrap() error { return ErrNonFinite }

// Fit trains opts.Model: for each epoch it runs the training batches (forward, loss,
// backward with gradient accumulation, optimizer and scheduler steps), validates,
// writes the best checkpoint when the monitored loss improves and the last checkpoint
// every epoch, reports to the Logger and applies early stopping.
//
// Cancelling ctx stops at the next optimizer-step boundary, writes the last checkpoint
// (mid-epoch: the resumed run continues at the same batch) and returns an error
// wrapping ctx.Err(). A NaN or infinite training loss stops at once without writing
// anything, so the last good checkpoint stays intact; the error wraps [ErrNonFinite].
func Fit(ctx context.Context, o FitOptions) (*Result, error) {
	r, err := newRun(o)
	if err != nil {
		return nil, err
	}
	return r.fit(ctx)
}

// run is the state of one Fit call.
type run struct {
	o        FitOptions
	log      *slog.Logger
	params   []nn.Param // trained
	all      []nn.Param // state_dict
	accum    int
	lastPath string
	bestPath string

	epoch, batch int // position: next batch to train
	partial      PartialEpoch
	early        EarlyStopping
	best         float64
	bestEpoch    int
	trainLoss    float64
	valLoss      float64
	lastGood     string // last checkpoint written or loaded
	res          Result

	start      time.Time
	startSteps int // batches trained before this call (for ETA)
	doneSteps  int // batches trained by this call
	samples    int // samples trained by this call
}

func newRun(o FitOptions) (*run, error) {
	if o.Model == nil || o.Train == nil || o.Loss == nil || o.Optimizer == nil {
		return nil, errors.New("train: Fit needs a Model, Train batches, a Loss and an Optimizer")
	}
	if o.Epochs <= 0 {
		return nil, fmt.Errorf("train: Fit: epochs %d must be > 0", o.Epochs)
	}
	if o.Train.Len() <= 0 {
		return nil, errors.New("train: Fit: no training batches")
	}
	r := &run{o: o, log: o.Log, accum: max(o.AccumIter, 1), early: NewEarlyStopping(o.Patience),
		best: math.Inf(1), trainLoss: math.NaN(), valLoss: math.NaN(), lastGood: "none"}
	if r.log == nil {
		r.log = slog.Default()
	}
	r.all = o.Model.Params()
	r.params = o.Params
	if r.params == nil {
		r.params = nn.Trainables(r.all)
	}
	if o.CheckpointDir != "" {
		r.lastPath = CheckpointPath(o.CheckpointDir, o.Stem, "last")
		r.bestPath = CheckpointPath(o.CheckpointDir, o.Stem, "best")
	}
	r.res.BestPath, r.res.LastPath = r.bestPath, r.lastPath
	return r, nil
}

func (r *run) fit(ctx context.Context) (*Result, error) {
	o := r.o
	resume := o.ResumeFrom
	if o.Resume && resume == "" {
		if r.lastPath == "" {
			return nil, errors.New("train: Fit: Resume needs a CheckpointDir")
		}
		resume = r.lastPath
	}
	if resume != "" {
		if err := r.restore(resume); err != nil {
			return nil, err
		}
	} else if o.Scheduler != nil {
		o.Scheduler.Start(o.Optimizer)
	}
	r.start = time.Now()
	r.startSteps = r.epoch*o.Train.Len() + r.batch
	if r.o.Logger != nil {
		defer func() {
			if err := r.o.Logger.Close(); err != nil {
				r.log.Warn("train: closing the logger", "err", err)
			}
		}()
	}
	for !r.early.Stopped && r.epoch < o.Epochs {
		stats, err := r.runEpoch(ctx)
		if err != nil {
			return &r.res, err
		}
		r.res.History = append(r.res.History, stats)
		if o.Logger != nil {
			if err := o.Logger.Epoch(stats); err != nil {
				return &r.res, fmt.Errorf("train: logger: %w", err)
			}
		}
	}
	r.res.Epochs, r.res.Steps = r.epoch, o.Optimizer.Steps()
	r.res.BestValLoss, r.res.BestEpoch, r.res.StoppedEarly = r.best, r.bestEpoch, r.early.Stopped
	if r.early.Stopped {
		r.log.Info("train: early stopping", "epoch", r.epoch, "patience", o.Patience)
	}
	if o.RestoreBest && r.bestPath != "" && r.bestEpoch > 0 {
		if err := LoadWeights(r.bestPath, r.all); err != nil {
			return &r.res, err
		}
	}
	return &r.res, nil
}

// restore loads the checkpoint at path into the run.
func (r *run) restore(path string) error {
	c, err := ReadCheckpoint(path)
	if err != nil {
		return err
	}
	if err := c.LoadWeights(r.all); err != nil {
		return err
	}
	if err := c.LoadOptimizer(r.o.Optimizer); err != nil {
		return err
	}
	in := c.Info
	if s := r.o.Scheduler; s != nil {
		if in.Scheduler != s.Name() {
			return fmt.Errorf("train: checkpoint %s was made with scheduler %q, this run uses %q", path, in.Scheduler, s.Name())
		}
		if err := s.SetState(in.SchedulerState); err != nil {
			return fmt.Errorf("train: checkpoint %s: %w", path, err)
		}
	}
	for name, g := range r.rngs() {
		st, ok := in.RNG[name]
		if !ok {
			return fmt.Errorf("train: checkpoint %s has no state for generator %q", path, name)
		}
		if err := g.SetState(st); err != nil {
			return fmt.Errorf("train: checkpoint %s: generator %q: %w", path, name, err)
		}
	}
	if in.Batch < 0 || in.Batch > r.o.Train.Len() || in.Epoch < 0 {
		return fmt.Errorf("train: checkpoint %s: position epoch %d batch %d does not fit %d batches per epoch", path, in.Epoch, in.Batch, r.o.Train.Len())
	}
	r.epoch, r.batch = in.Epoch, in.Batch
	if in.Partial != nil {
		r.partial = *in.Partial
	}
	patience := r.early.Patience
	r.early = in.EarlyStopping
	r.early.Patience = patience
	r.best, r.bestEpoch = float64(in.BestValLoss), in.BestEpoch
	r.trainLoss, r.valLoss = float64(in.TrainLoss), float64(in.ValLoss)
	r.lastGood = path
	r.log.Info("train: resumed", "checkpoint", path, "epoch", r.epoch+1, "batch", r.batch+1, "step", r.o.Optimizer.Steps())
	return nil
}

// rngs returns every generator whose state is checkpointed.
func (r *run) rngs() map[string]*tensor.RNG {
	m := map[string]*tensor.RNG{}
	for k, g := range r.o.RNGs {
		if g != nil {
			m[k] = g
		}
	}
	if r.o.RNG != nil {
		m["train"] = r.o.RNG
	}
	return m
}

// save writes the checkpoint which ("best" or "last") for the current position.
func (r *run) save(which string) error {
	path := r.lastPath
	if which == "best" {
		path = r.bestPath
	}
	if path == "" {
		return nil
	}
	info := CheckpointInfo{
		Which: which, Epoch: r.epoch, Batch: r.batch, GlobalStep: r.o.Optimizer.Steps(),
		Config: r.o.Config, Metadata: r.o.Metadata, EarlyStopping: r.early,
		BestValLoss: Float(r.best), BestEpoch: r.bestEpoch,
		TrainLoss: Float(r.trainLoss), ValLoss: Float(r.valLoss), RNG: map[string][]byte{},
	}
	if r.batch > 0 {
		p := r.partial
		info.Partial = &p
	}
	if s := r.o.Scheduler; s != nil {
		st, err := s.State()
		if err != nil {
			return fmt.Errorf("train: scheduler state: %w", err)
		}
		info.Scheduler, info.SchedulerState = s.Name(), st
	}
	for name, g := range r.rngs() {
		info.RNG[name] = g.State()
	}
	if err := SaveCheckpoint(path, r.all, r.o.Optimizer, info); err != nil {
		return err
	}
	if which == "last" {
		r.lastGood = path
	}
	return nil
}
