package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/selfsup/selfsup/train/segment"
)

// errSegmentResume is the error of -resume with a SEMANTIC_SEG configuration.
const errSegmentResume = "-resume: a SEMANTIC_SEG run cannot be resumed (train/segment has no resume); " +
	"run the command again without -resume to train from the start"

// runSegment runs a SEMANTIC_SEG job and returns the exit status.
func runSegment(ctx context.Context, j job, stdout, stderr io.Writer) int {
	if j.f.resume {
		fmt.Fprintf(stderr, "pretrain: %s\n", errSegmentResume)
		return exitUsage
	}
	opts := j.cfg.SegmentOptions(j.configJob())
	if j.f.threads > 0 {
		opts.Train.Threads = j.f.threads
	}
	opts.Device = j.dev
	opts.Out = stdout
	opts.Log = newLogger(stderr)

	layout := segment.NewLayout(opts.Paths)
	fmt.Fprintf(stdout, "selfsup pretrain: job %s (SEMANTIC_SEG), config %s, outputs in %s\n", layout.JobID, j.f.config, layout.JobDir)
	start := time.Now()
	rep, err := segment.Run(ctx, opts)
	elapsed := time.Since(start)
	if st := runStatus(ctx, err, elapsed, stderr, fmt.Sprintf("partial outputs are in %s; a SEMANTIC_SEG run cannot be resumed: "+
		"run the same command again (without -resume) to start over", layout.JobDir)); st != exitOK {
		return st
	}
	printSegmentSummary(stdout, rep, layout, elapsed)
	return exitOK
}

// printSegmentSummary writes the closing lines of a SEMANTIC_SEG run: the problem, the
// pretrained checkpoint's transfer, the training, the test IoU and Dice and where the
// outputs are.
func printSegmentSummary(w io.Writer, r *segment.Report, l segment.Layout, elapsed time.Duration) {
	fmt.Fprintln(w)
	problem := "binary"
	if r.Classes > 2 {
		problem = fmt.Sprintf("%d classes", r.Classes)
	}
	fmt.Fprintf(w, "== %s: semantic segmentation, %s, loss %s, %d parameters, %s ==\n",
		r.JobID, problem, r.Loss, r.Parameters, elapsed.Round(time.Second))
	if t := r.Transfer; t != nil {
		fmt.Fprintf(w, "pretrained: %s\n", filepath.Clean(t.Checkpoint))
		line := fmt.Sprintf("  %d loaded, %d skipped, %d missing, %d re-initialised%s",
			t.Loaded, t.Skipped, t.Missing, len(t.Reinitialised), names(t.Reinitialised))
		if t.Unexpected > 0 {
			line += fmt.Sprintf(", %d unexpected in the checkpoint", t.Unexpected)
		}
		if t.FreezeEpochs > 0 {
			line += fmt.Sprintf("; %d frozen for %d epochs", t.Frozen, t.FreezeEpochs)
		}
		fmt.Fprintln(w, line)
	}
	if r.Epochs > 0 {
		early := ""
		if r.StoppedEarly {
			early = ", stopped early (TRAIN.PATIENCE)"
		}
		fmt.Fprintf(w, "training: %d epochs (%d steps, %d samples per epoch) in %s; best epoch %d, loss %.4g%s\n",
			r.Epochs, r.Steps, r.TrainPatches, seconds(r.TrainSeconds), r.BestEpoch, float64(r.BestValLoss), early)
	}
	switch {
	case len(r.Metrics) > 0:
		fmt.Fprintf(w, "test (%d images, compared with the labels) in %s:\n", len(r.Images), seconds(r.TestSeconds))
		for _, k := range segment.MetricNames {
			if m, ok := r.Metrics[k]; ok {
				fmt.Fprintf(w, "  %-6s %12.5g\n", k, float64(m))
			}
		}
	case len(r.Images) > 0:
		fmt.Fprintf(w, "test (%d images, no labels: set DATA.TEST.LOAD_GT and DATA.TEST.GT_PATH for IoU and Dice) in %s\n",
			len(r.Images), seconds(r.TestSeconds))
	}
	fmt.Fprintf(w, "outputs: %s (report: %s)\n", l.JobDir, l.Report)
	if len(r.Images) > 0 {
		fmt.Fprintf(w, "labels: %s (uint8 class ids, one TIFF per test image)\n", l.PerImage)
	}
	if r.Checkpoint != "" {
		fmt.Fprintf(w, "weights: %s\n", filepath.Clean(r.Checkpoint))
	}
}

// names returns " (a, b, c)" for up to four entry names, " (a, b, c, …)" for more and
// "" for none.
func names(ns []string) string {
	switch {
	case len(ns) == 0:
		return ""
	case len(ns) > 4:
		return " (" + strings.Join(ns[:3], ", ") + ", …)"
	}
	return " (" + strings.Join(ns, ", ") + ")"
}
