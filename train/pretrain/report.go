package pretrain

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/selfsup/selfsup/internal/workflows"
	"github.com/selfsup/selfsup/train"
)

// Report summarises a run; Run writes it as results/<job>/report.json.
type Report struct {
	JobID      string  `json:"job_id"`      // <name>_<run_id>
	ResultDir  string  `json:"result_dir"`  // results/<job>
	Pretext    Pretext `json:"pretext"`     // crappify or masking
	Loss       string  `json:"loss"`        // MAE, MSE, or the MAE model's masked MSE
	Parameters int     `json:"parameters"`  // trainable parameters of the model
	Resumed    bool    `json:"resumed"`     // training continued from a checkpoint
	Checkpoint string  `json:"checkpoint"`  // weights used by the test phase
	Seconds    float64 `json:"run_seconds"` // whole run

	// Training (absent when TRAIN.ENABLE is off).
	Epochs         int         `json:"epochs"`        // epochs completed (all runs of the job)
	Steps          int         `json:"steps"`         // optimizer steps taken
	BestEpoch      int         `json:"best_epoch"`    // 1-based
	BestValLoss    train.Float `json:"best_val_loss"` // validation loss (training loss without validation data)
	StoppedEarly   bool        `json:"stopped_early"` // TRAIN.PATIENCE ended the run
	TrainSeconds   float64     `json:"train_seconds"` // this call's training time
	TrainPatches   int         `json:"train_samples"` // training samples per epoch
	ValPatches     int         `json:"val_samples"`   // validation samples
	FinalTrainLoss train.Float `json:"final_train_loss"`

	// Test phase (absent when TEST.ENABLE is off or without a reference image).
	TestSeconds float64 `json:"test_seconds"`
	// Reference describes what the metrics compare against ("original image",
	// "ground truth", "input image").
	Reference string `json:"reference,omitempty"`
	// Metrics are the model's test metrics averaged over the images (SPEC §7.3: PSNR,
	// MAE, MSE, SSIM on raw intensities).
	Metrics map[string]train.Float `json:"metrics,omitempty"`
	// Baseline are the same metrics for doing nothing: the crappified input (crappify)
	// or the masked input (masking) against the reference. BaselineName says which.
	BaselineName string                 `json:"baseline_name,omitempty"`
	Baseline     map[string]train.Float `json:"baseline,omitempty"`
	Images       []ImageReport          `json:"images,omitempty"`
}

// ImageReport holds one test image's outputs and metrics.
type ImageReport struct {
	Name     string                 `json:"name"`   // file name in the test folder
	Output   string                 `json:"output"` // per_image/<stem>.tif
	Shape    []int                  `json:"shape"`  // (z,) y, x, c
	DType    string                 `json:"dtype"`  // sample type of the input and output
	Metrics  map[string]train.Float `json:"metrics,omitempty"`
	Baseline map[string]train.Float `json:"baseline,omitempty"`
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

// averages returns the per-metric means of the images' maps (metrics missing from an
// image are averaged over the images that have them).
func averages(ms []map[string]float64) map[string]float64 {
	sum, n := map[string]float64{}, map[string]int{}
	for _, m := range ms {
		for k, v := range m {
			sum[k] += v
			n[k]++
		}
	}
	out := map[string]float64{}
	for k, s := range sum {
		out[k] = s / float64(n[k])
	}
	return out
}

// printMetrics writes BiaPy's result lines, "Test PSNR (merge patches): 27.31", for
// the model's metrics, then the baseline's ("Baseline (crappified input) PSNR: 26.9"),
// in MetricNames order, values in Python's shortest repr.
func (r *Report) printMetrics(w io.Writer) error {
	if w == nil || r.Metrics == nil {
		return nil
	}
	for _, k := range MetricNames {
		if v, ok := r.Metrics[k]; ok {
			if _, err := fmt.Fprintf(w, "Test %s (merge patches): %s\n", k, pyFloat(float64(v))); err != nil {
				return err
			}
		}
	}
	for _, k := range MetricNames {
		if v, ok := r.Baseline[k]; ok {
			if _, err := fmt.Fprintf(w, "Baseline (%s) %s: %s\n", r.BaselineName, k, pyFloat(float64(v))); err != nil {
				return err
			}
		}
	}
	return nil
}

// pyFloat formats v as Python's repr of a float does: shortest round-trip digits,
// positional between 1e-4 and 1e16 (with ".0" for whole numbers), exponent otherwise.
func pyFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	if a := math.Abs(v); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(v, 'e', -1, 64)
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// write stores r as indented JSON at path, atomically.
func (r *Report) write(path string) error {
	return workflows.WriteReport("pretrain", path, r)
}

// ReadReport reads a report.json written by Run.
func ReadReport(path string) (*Report, error) {
	return workflows.ReadReport[Report]("pretrain", path)
}
