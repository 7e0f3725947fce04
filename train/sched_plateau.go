package train

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// ReduceOnPlateau is torch.optim.lr_scheduler.ReduceLROnPlateau in mode "min" with a
// relative threshold 1e-4 and no cooldown, stepped once per epoch with the mean
// validation loss (never without validation data):
//
//	if loss < best·(1 − 1e-4): best = loss, bad = 0, else bad++
//	if bad > Patience: lr = max(lr·Factor, MinLR) (only if that lowers it by > 1e-8), bad = 0
type ReduceOnPlateau struct {
	Factor   float64 // rate multiplier on a plateau, in (0, 1) (TRAIN.LR_SCHEDULER.REDUCEONPLATEAU_FACTOR)
	Patience int     // bad epochs tolerated (TRAIN.LR_SCHEDULER.REDUCEONPLATEAU_PATIENCE)
	MinLR    float64 // lowest rate (TRAIN.LR_SCHEDULER.MIN_LR)

	Best       Float `json:"best"`        // best loss so far (+Inf before the first)
	BadEpochs  int   `json:"bad_epochs"`  // epochs since the last improvement
	LastEpochs int   `json:"last_epochs"` // number of Epoch calls
}

// NewReduceOnPlateau returns a reduce-on-plateau scheduler.
func NewReduceOnPlateau(factor float64, patience int, minLR float64) *ReduceOnPlateau {
	return &ReduceOnPlateau{Factor: factor, Patience: patience, MinLR: minLR, Best: Float(math.Inf(1))}
}

// Name returns "reduceonplateau".
func (s *ReduceOnPlateau) Name() string { return "reduceonplateau" }

// Start keeps the optimizer's rate (TRAIN.LR).
func (s *ReduceOnPlateau) Start(*Optimizer) {}

// Iter does nothing.
func (s *ReduceOnPlateau) Iter(*Optimizer, int, int, int) {}

// Stepped does nothing.
func (s *ReduceOnPlateau) Stepped(*Optimizer) {}

// Epoch updates the plateau counter with valLoss and lowers the rate when the loss
// has not improved for more than Patience epochs. A NaN loss (no validation) is ignored.
func (s *ReduceOnPlateau) Epoch(o *Optimizer, valLoss float64) {
	if math.IsNaN(valLoss) {
		return
	}
	s.LastEpochs++
	if valLoss < float64(s.Best)*(1-1e-4) {
		s.Best, s.BadEpochs = Float(valLoss), 0
	} else {
		s.BadEpochs++
	}
	if s.BadEpochs > s.Patience {
		old := o.LR()
		lr := math.Max(old*s.Factor, s.MinLR)
		if old-lr > 1e-8 {
			o.SetLR(lr)
		}
		s.BadEpochs = 0
	}
}

// State returns the counters as JSON.
func (s *ReduceOnPlateau) State() (json.RawMessage, error) { return json.Marshal(s) }

// SetState restores the counters.
func (s *ReduceOnPlateau) SetState(b json.RawMessage) error {
	var t ReduceOnPlateau
	if err := json.Unmarshal(b, &t); err != nil {
		return fmt.Errorf("train: reduceonplateau state: %w", err)
	}
	s.Best, s.BadEpochs, s.LastEpochs = t.Best, t.BadEpochs, t.LastEpochs
	return nil
}

// OneCycle is torch.optim.lr_scheduler.OneCycleLR with its defaults (pct_start 0.3,
// cosine annealing, div_factor 25, final_div_factor 1e4, momentum cycled between 0.95
// and 0.85), stepped after every optimizer step. With T total steps, initial rate
// LR/25 and final rate LR/25/1e4, step n lies in phase 1 (n ≤ 0.3·T − 1: initial → LR,
// momentum 0.95 → 0.85) or phase 2 (up to T − 1: LR → final, momentum 0.85 → 0.95),
// each annealed as end + (start − end)/2·(1 + cos(π·pct)).
type OneCycle struct {
	MaxLR      float64 // peak rate (TRAIN.LR)
	TotalSteps int     // T: steps of the whole run (epochs × batches per epoch)
	StepNum    int     `json:"step_num"` // scheduler steps taken
}

// NewOneCycle returns a one-cycle scheduler peaking at maxLR over total steps.
func NewOneCycle(maxLR float64, total int) *OneCycle {
	return &OneCycle{MaxLR: maxLR, TotalSteps: total}
}

// Name returns "onecycle".
func (s *OneCycle) Name() string { return "onecycle" }

// At returns the learning rate and momentum at step n.
func (s *OneCycle) At(n int) (lr, momentum float64) {
	const pct0, div, finalDiv, mMax, mBase = 0.3, 25.0, 1e4, 0.95, 0.85
	initial := s.MaxLR / div
	final := initial / finalDiv
	anneal := func(start, end, pct float64) float64 {
		return end + (start-end)/2*(math.Cos(math.Pi*pct)+1)
	}
	end1 := pct0*float64(s.TotalSteps) - 1
	end2 := float64(s.TotalSteps) - 1
	t := float64(n)
	if t <= end1 {
		pct := t / end1
		return anneal(initial, s.MaxLR, pct), anneal(mMax, mBase, pct)
	}
	pct := (t - end1) / (end2 - end1)
	return anneal(s.MaxLR, final, pct), anneal(mBase, mMax, pct)
}

// Start sets the rate and momentum of step 0.
func (s *OneCycle) Start(o *Optimizer) { s.StepNum = 0; s.apply(o) }

func (s *OneCycle) apply(o *Optimizer) {
	lr, m := s.At(min(s.StepNum, s.TotalSteps-1)) // torch raises past the end; we stay there
	o.SetLR(lr)
	o.SetMomentum(m)
}

// Iter does nothing.
func (s *OneCycle) Iter(*Optimizer, int, int, int) {}

// Stepped advances one step.
func (s *OneCycle) Stepped(o *Optimizer) { s.StepNum++; s.apply(o) }

// Epoch does nothing.
func (s *OneCycle) Epoch(*Optimizer, float64) {}

// State returns the step count as JSON.
func (s *OneCycle) State() (json.RawMessage, error) { return json.Marshal(s) }

// SetState restores the step count.
func (s *OneCycle) SetState(b json.RawMessage) error {
	var t OneCycle
	if err := json.Unmarshal(b, &t); err != nil {
		return fmt.Errorf("train: onecycle state: %w", err)
	}
	s.StepNum = t.StepNum
	return nil
}

// Float is a float64 whose JSON form allows NaN and ±Inf (as the strings "NaN",
// "+Inf", "-Inf"); finite values are plain JSON numbers.
type Float float64

// MarshalJSON encodes f.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON decodes a number or one of the strings MarshalJSON writes.
func (f *Float) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("train: bad float %q", s)
		}
		*f = Float(v)
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = Float(v)
	return nil
}
