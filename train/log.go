package train

import (
	"errors"
	"time"
)

// StepStats describes one optimisation step, for progress display.
type StepStats struct {
	Epoch, Epochs int           // 1-based epoch and total
	Step, Steps   int           // 1-based step within the epoch and steps per epoch
	Loss          float64       // this step's training loss
	SamplesPerSec float64       // training throughput
	ETA           time.Duration // estimated time to the end of the run
}

// EpochStats summarises one epoch.
type EpochStats struct {
	Epoch     int                // 1-based epoch
	Epochs    int                // total epochs
	TrainLoss float64            // mean training loss over the epoch's batches
	ValLoss   float64            // NaN when there is no validation data
	LR        float64            // learning rate at the end of the epoch
	Metrics   map[string]float64 // e.g. "train/PSNR", "val/PSNR", "train/MAE"
	Duration  time.Duration      // wall-clock time of the epoch, validation included
	Best      bool               // validation loss improved (best checkpoint written)
	Time      time.Time          // wall-clock end of the epoch
}

// Logger receives training progress. Implementations: JSON-lines log, PNG charts,
// TensorBoard events, progress bar (train/logs_*.go).
type Logger interface {
	Step(s StepStats)
	Epoch(e EpochStats) error
	Close() error
}

// MultiLogger fans out to several loggers. Nil loggers are skipped; Epoch and Close call
// every logger and join their errors.
func MultiLogger(ls ...Logger) Logger {
	m := multiLogger{}
	for _, l := range ls {
		if l != nil {
			m = append(m, l)
		}
	}
	return m
}

type multiLogger []Logger

func (m multiLogger) Step(s StepStats) {
	for _, l := range m {
		l.Step(s)
	}
}

func (m multiLogger) Epoch(e EpochStats) error {
	var errs []error
	for _, l := range m {
		if err := l.Epoch(e); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (m multiLogger) Close() error {
	var errs []error
	for _, l := range m {
		if err := l.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
