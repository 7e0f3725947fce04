package segment

import (
	"fmt"
	"io"

	"github.com/selfsup/selfsup/internal/workflows"
	"github.com/selfsup/selfsup/models"
	"github.com/selfsup/selfsup/train"
)

// Report summarises a run; Run writes it as results/<job>/report.json.
type Report struct {
	JobID      string  `json:"job_id"`      // <name>_<run_id>
	ResultDir  string  `json:"result_dir"`  // JobDir/results/<job id>
	Classes    int     `json:"classes"`     // MODEL.N_CLASSES (≤ 2: binary)
	Loss       string  `json:"loss"`        // CE, DICE or W_CE_DICE
	Parameters int     `json:"parameters"`  // learnable parameters of the model
	Checkpoint string  `json:"checkpoint"`  // weights used by the test phase
	Seconds    float64 `json:"run_seconds"` // whole run

	// Transfer describes the pretrained checkpoint load (nil without one).
	Transfer *TransferReport `json:"transfer,omitempty"`

	// Training (absent when TRAIN.ENABLE is off).
	Epochs         int           `json:"epochs"`
	Steps          int           `json:"steps"`             // optimizer steps taken
	BestEpoch      int           `json:"best_epoch"`        // 1-based epoch of BestValLoss
	BestValLoss    train.Float   `json:"best_val_loss"`     // validation loss (training loss without validation data)
	StoppedEarly   bool          `json:"stopped_early"`     // TRAIN.PATIENCE ended the run
	TrainSeconds   float64       `json:"train_seconds"`     // training time
	TrainImages    int           `json:"train_images"`      // training images after the validation split
	TrainPatches   int           `json:"train_samples"`     // training samples per epoch
	ValPatches     int           `json:"val_samples"`       // validation samples
	FinalTrainLoss train.Float   `json:"final_train_loss"`  // training loss of the last epoch
	History        []EpochReport `json:"history,omitempty"` // one entry per epoch run

	// Test phase: IoU and Dice averaged over the test images with labels.
	TestSeconds float64                `json:"test_seconds"`
	Metrics     map[string]train.Float `json:"metrics,omitempty"` // IoU and Dice averaged over the labelled test images
	Images      []ImageReport          `json:"images,omitempty"`  // one entry per test image
}

// EpochReport is one epoch's losses and metrics ("train/IoU", "val/Dice", …).
type EpochReport struct {
	Epoch     int                    `json:"epoch"`      // 1-based
	TrainLoss train.Float            `json:"train_loss"` // mean training loss
	ValLoss   train.Float            `json:"val_loss"`   // mean validation loss (NaN without validation data)
	Metrics   map[string]train.Float `json:"metrics"`    // "train/IoU", "val/Dice", …
}

// TransferReport counts what the pretrained load did (see models.TransferReport).
type TransferReport struct {
	Checkpoint    string   `json:"checkpoint"`    // file loaded (PATHS.CHECKPOINT_FILE)
	Loaded        int      `json:"loaded"`        // entries copied from the checkpoint
	Skipped       int      `json:"skipped"`       // entries skipped for a shape mismatch (SkipUnmatched)
	Missing       int      `json:"missing"`       // model entries the checkpoint lacks
	Unexpected    int      `json:"unexpected"`    // checkpoint keys that name no model entry
	Dropped       int      `json:"dropped"`       // checkpoint keys the name map dropped on purpose
	Reinitialised []string `json:"reinitialised"` // head entries left at their fresh values
	Excluded      int      `json:"excluded"`      // non-encoder entries left out (EncoderOnly)
	Frozen        int      `json:"frozen"`        // trainable entries frozen
	// FreezeEpochs is how long the loaded layers stay frozen; UnfrozenAtEpoch the
	// 1-based epoch they were unfrozen at (0: not yet).
	FreezeEpochs    int    `json:"freeze_epochs"`
	UnfrozenAtEpoch int    `json:"unfrozen_at_epoch"` // 1-based; 0: not yet
	Summary         string `json:"summary"`           // one-line count of every category
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
	Name    string                 `json:"name"`              // file name in the test folder
	Output  string                 `json:"output"`            // per_image/<stem>.tif
	Shape   []int                  `json:"shape"`             // (z,) y, x of the label image
	Metrics map[string]train.Float `json:"metrics,omitempty"` // IoU and Dice against the label; absent without one
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
	return workflows.WriteReport("segment", path, r)
}

// ReadReport reads a report.json written by Run.
func ReadReport(path string) (*Report, error) {
	return workflows.ReadReport[Report]("segment", path)
}
