package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/selfsup/selfsup/train/pretrain"
)

// lowerIsBetter lists the metrics where a smaller value is better.
var lowerIsBetter = map[string]bool{"MAE": true, "MSE": true}

// printSummary writes the closing lines of a run: what was trained, the model's test
// metrics next to the do-nothing baseline, and where the outputs are.
func printSummary(w io.Writer, r *pretrain.Report, l pretrain.Layout, elapsed time.Duration) {
	fmt.Fprintln(w)
	fmt.Fprintf(w, "== %s: %s pretext, %d parameters, %s ==\n", r.JobID, r.Pretext, r.Parameters, elapsed.Round(time.Second))
	if r.Epochs > 0 {
		early := ""
		if r.StoppedEarly {
			early = ", stopped early (TRAIN.PATIENCE)"
		}
		fmt.Fprintf(w, "training: %d epochs (%d steps, %d samples per epoch) in %s; best epoch %d, loss %.4g%s\n",
			r.Epochs, r.Steps, r.TrainPatches, seconds(r.TrainSeconds), r.BestEpoch, float64(r.BestValLoss), early)
	}
	if len(r.Metrics) > 0 {
		fmt.Fprintf(w, "test (%d images, compared with the %s) in %s:\n", len(r.Images), r.Reference, seconds(r.TestSeconds))
		base := r.BaselineName
		if base == "" {
			base = "do nothing"
		}
		fmt.Fprintf(w, "  %-6s %12s %12s   %s\n", "metric", "model", "baseline", "(baseline: "+base+")")
		for _, k := range pretrain.MetricNames {
			m, ok := r.Metrics[k]
			if !ok {
				continue
			}
			line := fmt.Sprintf("  %-6s %12.5g", k, float64(m))
			if b, ok := r.Baseline[k]; ok {
				line += fmt.Sprintf(" %12.5g   %s", float64(b), verdict(k, float64(m), float64(b)))
			}
			fmt.Fprintln(w, strings.TrimRight(line, " "))
		}
	}
	fmt.Fprintf(w, "outputs: %s (report: %s)\n", l.JobDir, l.Report)
	if r.Checkpoint != "" {
		fmt.Fprintf(w, "weights: %s\n", filepath.Clean(r.Checkpoint))
	}
}

// verdict says whether the model's value m of metric k beats the baseline b, with the
// relative change.
func verdict(k string, m, b float64) string {
	if math.IsNaN(m) || math.IsNaN(b) || math.IsInf(m, 0) || math.IsInf(b, 0) {
		return ""
	}
	better := m > b
	if lowerIsBetter[k] {
		better = m < b
	}
	word := "worse"
	switch {
	case m == b:
		return "same"
	case better:
		word = "better"
	}
	if b == 0 {
		return word
	}
	return fmt.Sprintf("%s (%+.1f%%)", word, 100*(m-b)/math.Abs(b))
}

// seconds formats a duration given in seconds.
func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(100 * time.Millisecond)
}
