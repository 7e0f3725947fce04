package train

import "math"

// EarlyStopping is BiaPy's EarlyStopping callback on the validation loss (delta 0):
// with score = −loss, a score below the best increments Counter and the run stops when
// Counter reaches Patience; any other score (ties included) becomes the best and resets
// Counter. Patience ≤ 0 disables it. Its fields are saved in checkpoints.
type EarlyStopping struct {
	Patience  int   `json:"patience"`   // TRAIN.PATIENCE; ≤ 0 disables
	Counter   int   `json:"counter"`    // epochs since the best score
	BestScore Float `json:"best_score"` // −Inf before the first epoch
	Stopped   bool  `json:"stopped"`    // Counter reached Patience
}

// NewEarlyStopping returns an early-stopping state with the given patience.
func NewEarlyStopping(patience int) EarlyStopping {
	return EarlyStopping{Patience: patience, BestScore: Float(math.Inf(-1))}
}

// Update records one epoch's validation loss and reports whether training must stop.
// A NaN loss (no validation data) or a disabled patience never stops.
func (e *EarlyStopping) Update(valLoss float64) bool {
	if e.Patience <= 0 || math.IsNaN(valLoss) {
		return false
	}
	score := -valLoss
	if score < float64(e.BestScore) {
		e.Counter++
		if e.Counter >= e.Patience {
			e.Stopped = true
		}
	} else {
		e.BestScore, e.Counter = Float(score), 0
	}
	return e.Stopped
}
