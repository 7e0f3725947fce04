package workflows

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train"
)

// MakeDirs creates every folder of dirs (with parents).
func MakeDirs(pkg string, dirs []string) error {
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("%s: %w", pkg, err)
		}
	}
	return nil
}

// ConfigCopy returns the path, in configDir, of the copy of the configuration file
// name: its base name, or <jobID>.yaml without one.
func ConfigCopy(configDir, name, jobID string) string {
	if name == "" {
		return filepath.Join(configDir, jobID+".yaml")
	}
	return filepath.Join(configDir, filepath.Base(name))
}

// Scheduler returns the learning-rate scheduler name (TRAIN.LR_SCHEDULER) with
// settings so: its LR defaults to optLR (TRAIN.LR, 1e-4 when unset too), and Epochs,
// Steps (batches per epoch) and AccumIter are set.
func Scheduler(pkg, name string, so train.SchedulerOptions, optLR float64, epochs, steps, accum int) (train.Scheduler, error) {
	if so.LR == 0 {
		so.LR = optLR
		if so.LR == 0 {
			so.LR = 1e-4
		}
	}
	so.Epochs, so.Steps, so.AccumIter = epochs, steps, accum
	s, err := train.NewScheduler(name, so)
	if err != nil {
		return nil, fmt.Errorf("%s: TRAIN.LR_SCHEDULER: %w", pkg, err)
	}
	return s, nil
}

// LoggerOptions configure [Loggers].
type LoggerOptions struct {
	Pkg         string             // the caller, for messages
	Path        string             // the JSON-lines train log
	Charts      string             // the charts folder
	JobID       string             // the charts' file prefix
	ChartFreq   int                // LOG.CHART_CREATION_FREQ
	Epochs      int                // TRAIN.EPOCHS, set on replayed epochs
	TensorBoard string             // the TensorBoard folder
	History     []train.EpochStats // epochs of a previous log replayed into the charts
	Out         io.Writer          // progress display (nil: none)
	Log         *slog.Logger
}

// Loggers opens a run's loggers: the JSON-lines train log, the PNG charts (with
// History replayed into them), TensorBoard and, with Out, the progress display.
func Loggers(o LoggerOptions) (train.Logger, error) {
	jl, err := train.NewJSONLogger(o.Path)
	if err != nil {
		return nil, err
	}
	charts := train.NewChartLogger(o.Charts, o.JobID, o.ChartFreq)
	for _, e := range o.History {
		e.Epochs = o.Epochs
		if err := charts.Epoch(e); err != nil {
			o.Log.Warn(o.Pkg+": replaying the train log into the charts", "err", err)
			break
		}
	}
	tb, err := train.NewTensorBoardLogger(o.TensorBoard)
	if err != nil {
		jl.Close()
		return nil, err
	}
	ls := []train.Logger{jl, charts, tb}
	if o.Out != nil {
		ls = append(ls, train.NewProgressLogger(o.Out))
	}
	return train.MultiLogger(ls...), nil
}

// Phases are the steps of one workflow run for [Run].
type Phases struct {
	Start   time.Time                   // when the run began (the report's Seconds count from it)
	Threads int                         // CPU kernel goroutines for the run (0 keeps the setting)
	Setup   func() error                // folders, configuration copy, model; sets up the report
	Train   func(context.Context) error // nil: no training phase
	Test    func(context.Context) error // nil: no test phase
	Seconds func(s float64)             // records the run's duration in the report
	Write   func() error                // writes the report
}

// Run runs p's phases in order: Setup, Train, Test, then records the duration and
// writes the report. A Train error records the duration so far and stops the run; a
// Test error stops it. ran is false when Setup failed (there is no report).
func Run(ctx context.Context, p Phases) (ran bool, err error) {
	if p.Threads > 0 {
		defer tensor.SetThreads(tensor.SetThreads(p.Threads))
	}
	if err := p.Setup(); err != nil {
		return false, err
	}
	if p.Train != nil {
		if err := p.Train(ctx); err != nil {
			p.Seconds(time.Since(p.Start).Seconds())
			return true, err
		}
	}
	if p.Test != nil {
		if err := p.Test(ctx); err != nil {
			return true, err
		}
	}
	p.Seconds(time.Since(p.Start).Seconds())
	return true, p.Write()
}
