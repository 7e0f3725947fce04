package segment

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/selfsup/selfsup/models"
	"github.com/selfsup/selfsup/train"
)

// Report summarises a run; Run writes it as results/<job>/report.json.
type Report struct {
	JobID      string  `json:"job_id"`
	ResultDir  string  `json:"result_dir"`
	Classes    int     `json:"classes"`    // MODEL.N_CLASSES (≤ 2: binary)
	Loss       string  `json:"loss"`       // CE, DICE or W_CE_DICE
	Parameters int     `json:"parameters"` // learnable parameters of the model
	Checkpoint string  `json:"checkpoint"` // weights used by the test phase
	Seconds    float64 `json:"run_seconds"`

	// Transfer describes the pretrained checkpoint load (nil without one).
	Transfer *TransferReport `json:"transfer,omitempty"`

	// Training (absent when TRAIN.ENABLE is off).
	Epochs         int           `json:"epochs"`
	Steps          int           `json:"steps"`
	BestEpoch      int           `json:"best_epoch"`
	BestValLoss    train.Float   `json:"best_val_loss"`
	StoppedEarly   bool          `json:"stopped_early"`
	TrainSeconds   float64       `json:"train_seconds"`
	TrainImages    int           `json:"train_images"`
	TrainPatches   int           `json:"train_samples"`
	ValPatches     int           `json:"val_samples"`
	FinalTrainLoss train.Float   `json:"final_train_loss"`
	History        []EpochReport `json:"history,omitempty"`

	// Test phase: IoU and Dice averaged over the test images with labels.
	TestSeconds float64                `json:"test_seconds"`
	Metrics     map[string]train.Float `json:"metrics,omitempty"`
	Images      []ImageReport          `json:"images,omitempty"`
}

// EpochReport is one epoch's losses and metrics ("train/IoU", "val/Dice", …).
type EpochReport struct {
	Epoch     int                    `json:"epoch"`
	TrainLoss train.Float            `json:"train_loss"`
	ValLoss   train.Float            `json:"val_loss"`
	Metrics   map[string]train.Float `json:"metrics"`
}

// TransferReport counts what the pretrained load did (see models.TransferReport).
type TransferReport struct {
	Checkpoint    string   `json:"checkpoint"`
	Loaded        int      `json:"loaded"`
	Skipped       int      `json:"skipped"`
	Missing       int      `json:"missing"`
	Unexpected    int      `json:"unexpected"`
	Dropped       int      `json:"dropped"`
	Reinitialised []string `json:"reinitialised"` // head entries left at their fresh values
	Excluded      int      `json:"excluded"`
	Frozen        int      `json:"frozen"`
	// FreezeEpochs is how long the loaded layers stay frozen; UnfrozenAtEpoch the
	// 1-based epoch they were unfrozen at (0: not yet).
	FreezeEpochs    int    `json:"freeze_epochs"`
	UnfrozenAtEpoch int    `json:"unfrozen_at_epoch"`
	Summary         string `json:"summary"`
}

// newTransferReport condenses r.
func newTransferReport(path string, r *models.TransferReport, freeze int) *TransferReport {
	t := &TransferReport{Checkpoint: path, Loaded: len(r.Loaded), Skipped: len(r.Skipped), Missing: len(r.Missing),
		Unexpected: len(r.Unexpected), Dropped: len(r.Dropped), Excluded: len(r.Excluded), Frozen: len(r.Frozen),
		FreezeEpochs: freeze, Summary: r.Summary(), Reinitialised: []string{}}
	for _, e := range r.Reinitialised {
		t.Reinitialised = append(t.Reinitialised, e.Name)
	}
	return t
}

// ImageReport holds one test image's output and metrics.
type ImageReport struct {
	Name    string                 `json:"name"`
	Output  string                 `json:"output"` // per_image/<stem>.tif
	Shape   []int                  `json:"shape"`  // (z,) y, x of the label image
	Metrics map[string]train.Float `json:"metrics,omitempty"`
}

// floats converts a metric map for JSON (NaN and ±Inf allowed).
func floats(m map[string]float64) map[string]train.Float {
	if m == nil {
		return nil
	}
	out := make(map[string]train.Float, len(m))
	for k, v := range m {
		out[k] = train.Float(v)
	}
	return out
}

// printMetrics writes "Test IoU (merge patches): 0.81" lines in MetricNames order.
func (r *Report) printMetrics(w io.Writer) error {
	if w == nil || r.Metrics == nil {
		return nil
	}
	for _, k := range MetricNames {
		if v, ok := r.Metrics[k]; ok {
			if _, err := fmt.Fprintf(w, "Test %s (merge patches): %.6g\n", k, float64(v)); err != nil {
				return err
			}
		}
	}
	return nil
}

// write stores r as indented JSON at path through a temporary file.
func (r *Report) write(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("segment: report: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ReadReport reads a report.json written by Run.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("segment: report %s: %w", path, err)
	}
	return &r, nil
}
