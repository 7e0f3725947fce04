package train

import (
	"encoding/json"
	"fmt"
	"math"
)

// Scheduler sets the optimizer's learning rate (and, for one-cycle, its momentum) at
// the points of the training loop where BiaPy's schedulers act (SPEC §6.2). Fit calls
// Start once on a fresh run, Iter before each training batch, Stepped after each
// optimizer step and Epoch after each epoch's validation. State and SetState save and
// restore everything a resumed run needs.
type Scheduler interface {
	// Name is the TRAIN.LR_SCHEDULER.NAME value ("warmupcosine", …).
	Name() string
	// Start sets the rate before the first step.
	Start(o *Optimizer)
	// Iter is called before batch i (0-based) of the 0-based epoch, of steps batches.
	Iter(o *Optimizer, epoch, i, steps int)
	// Stepped is called after every optimizer step.
	Stepped(o *Optimizer)
	// Epoch is called after the epoch's validation with its mean loss (NaN: none).
	Epoch(o *Optimizer, valLoss float64)
	// State returns the scheduler's resumable state as JSON.
	State() (json.RawMessage, error)
	// SetState restores a state returned by State.
	SetState(s json.RawMessage) error
}

// NewScheduler returns the scheduler called name ("" or "none": nil, a constant rate)
// with BiaPy's TRAIN.LR_SCHEDULER options: lr is TRAIN.LR, epochs TRAIN.EPOCHS and
// steps the number of training batches per epoch.
func NewScheduler(name string, o SchedulerOptions) (Scheduler, error) {
	switch name {
	case "", "none":
		return nil, nil
	case "warmupcosine":
		if o.MinLR == -1 || o.MinLR < 0 {
			return nil, fmt.Errorf("train: warmupcosine needs a minimum learning rate ≥ 0, got %g", o.MinLR)
		}
		if o.WarmupEpochs < 0 || o.WarmupEpochs > o.Epochs {
			return nil, fmt.Errorf("train: warmupcosine: warm-up epochs %d must be in [0, epochs %d]", o.WarmupEpochs, o.Epochs)
		}
		return &WarmupCosine{LR: o.LR, MinLR: o.MinLR, WarmupEpochs: o.WarmupEpochs, Epochs: o.Epochs, AccumIter: max(o.AccumIter, 1)}, nil
	case "reduceonplateau":
		if o.MinLR < 0 {
			return nil, fmt.Errorf("train: reduceonplateau needs a minimum learning rate ≥ 0, got %g", o.MinLR)
		}
		if o.Patience < 0 {
			return nil, fmt.Errorf("train: reduceonplateau needs a patience ≥ 0, got %d", o.Patience)
		}
		if o.Factor <= 0 || o.Factor >= 1 {
			return nil, fmt.Errorf("train: reduceonplateau factor %g must be in (0, 1)", o.Factor)
		}
		return NewReduceOnPlateau(o.Factor, o.Patience, o.MinLR), nil
	case "onecycle":
		if o.Epochs <= 0 || o.Steps <= 0 {
			return nil, fmt.Errorf("train: onecycle needs epochs %d and steps per epoch %d > 0", o.Epochs, o.Steps)
		}
		return NewOneCycle(o.LR, o.Epochs*o.Steps), nil
	}
	return nil, fmt.Errorf("train: unknown learning-rate scheduler %q (want warmupcosine, reduceonplateau, onecycle or none)", name)
}

// SchedulerOptions are the inputs of [NewScheduler] (TRAIN.* keys).
type SchedulerOptions struct {
	LR           float64 // TRAIN.LR
	MinLR        float64 // TRAIN.LR_SCHEDULER.MIN_LR
	WarmupEpochs int     // TRAIN.LR_SCHEDULER.WARMUP_COSINE_DECAY_EPOCHS
	Factor       float64 // TRAIN.LR_SCHEDULER.REDUCEONPLATEAU_FACTOR
	Patience     int     // TRAIN.LR_SCHEDULER.REDUCEONPLATEAU_PATIENCE
	Epochs       int     // TRAIN.EPOCHS
	Steps        int     // training batches per epoch
	AccumIter    int     // TRAIN.ACCUM_ITER
}

// WarmupCosine is BiaPy's WarmUpCosineDecayScheduler, called before every batch with
// the fractional epoch t = epoch + i/steps, but only in epochs where
// epoch % AccumIter == 0 (as BiaPy does). With W warm-up epochs and E epochs:
//
//	t < W:  lr = LR·t/W                                   (from 0, not from MinLR)
//	t ≥ W:  lr = MinLR + (LR−MinLR)·½·(1 + cos(π·(t−W)/(E−W)))
//
// Before the first call the rate is MinLR (BiaPy creates the optimizer with it).
type WarmupCosine struct {
	LR           float64 // peak rate (TRAIN.LR)
	MinLR        float64 // rate before the first call and at the end (TRAIN.LR_SCHEDULER.MIN_LR)
	WarmupEpochs int     // W (TRAIN.LR_SCHEDULER.WARMUP_COSINE_DECAY_EPOCHS)
	Epochs       int     // E (TRAIN.EPOCHS)
	AccumIter    int     // TRAIN.ACCUM_ITER: the rate changes only in epochs divisible by it
}

// Name returns "warmupcosine".
func (s *WarmupCosine) Name() string { return "warmupcosine" }

// Start sets the rate to MinLR.
func (s *WarmupCosine) Start(o *Optimizer) { o.SetLR(s.MinLR) }

// At returns the rate at fractional epoch t.
func (s *WarmupCosine) At(t float64) float64 {
	w, e := float64(s.WarmupEpochs), float64(s.Epochs)
	if t < w {
		return s.LR * t / w
	}
	return s.MinLR + (s.LR-s.MinLR)*0.5*(1+math.Cos(math.Pi*(t-w)/(e-w)))
}

// Iter sets the rate for batch i of epoch.
func (s *WarmupCosine) Iter(o *Optimizer, epoch, i, steps int) {
	if epoch%max(s.AccumIter, 1) == 0 {
		o.SetLR(s.At(float64(i)/float64(steps) + float64(epoch)))
	}
}

// Stepped does nothing.
func (s *WarmupCosine) Stepped(*Optimizer) {}

// Epoch does nothing.
func (s *WarmupCosine) Epoch(*Optimizer, float64) {}

// State returns null: the rate depends only on the position in the run.
func (s *WarmupCosine) State() (json.RawMessage, error) { return json.RawMessage("null"), nil }

// SetState accepts any state.
func (s *WarmupCosine) SetState(json.RawMessage) error { return nil }
