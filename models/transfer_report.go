package models

import (
	"fmt"
	"log/slog"
	"strings"
)

// Summary returns the one-line count of every category, e.g. "transfer: 48 loaded,
// 0 skipped, 0 missing, 0 unexpected, 0 dropped, 2 re-initialised, 0 excluded,
// 0 frozen".
func (r *TransferReport) Summary() string {
	return fmt.Sprintf("transfer: %d loaded, %d skipped, %d missing, %d unexpected, %d dropped, %d re-initialised, %d excluded, %d frozen",
		len(r.Loaded), len(r.Skipped), len(r.Missing), len(r.Unexpected), len(r.Dropped), len(r.Reinitialised), len(r.Excluded), len(r.Frozen))
}

// LogValue makes a report a slog group of counts:
//
//	slog.Info("weights loaded", "transfer", rep)
//	// … transfer.loaded=48 transfer.skipped=0 transfer.missing=0 …
func (r *TransferReport) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("loaded", len(r.Loaded)),
		slog.Int("skipped", len(r.Skipped)),
		slog.Int("missing", len(r.Missing)),
		slog.Int("unexpected", len(r.Unexpected)),
		slog.Int("dropped", len(r.Dropped)),
		slog.Int("reinitialised", len(r.Reinitialised)),
		slog.Int("excluded", len(r.Excluded)),
		slog.Int("frozen", len(r.Frozen)),
	)
}

// String returns the summary line and a table with one row per entry: status, model
// name, model shape, source key (when it differs from the name) and source shape.
// Frozen entries are loaded rows marked "loaded*".
func (r *TransferReport) String() string {
	frozen := make(map[string]bool, len(r.Frozen))
	for _, n := range r.Frozen {
		frozen[n] = true
	}
	rows := [][4]string{{"status", "name", "shape", "source shape"}}
	add := func(status string, es []TransferEntry) {
		for _, e := range es {
			st := status
			if status == "loaded" && frozen[e.Name] {
				st = "loaded*"
			}
			name := e.Name
			switch {
			case name == "":
				name = e.Source
			case e.Source != "" && e.Source != e.Name:
				name += " ← " + e.Source
			}
			rows = append(rows, [4]string{st, name, shapeCell(e.Shape, e.Name != ""), shapeCell(e.SourceShape, e.Source != "")})
		}
	}
	add("loaded", r.Loaded)
	add("skipped", r.Skipped)
	add("missing", r.Missing)
	add("unexpected", r.Unexpected)
	add("dropped", r.Dropped)
	add("re-init", r.Reinitialised)
	add("excluded", r.Excluded)
	var w [4]int
	for _, c := range rows {
		for i := range c {
			w[i] = max(w[i], len([]rune(c[i])))
		}
	}
	var b strings.Builder
	b.WriteString(r.Summary())
	if len(r.Frozen) > 0 {
		b.WriteString(" (loaded* = frozen)")
	}
	b.WriteByte('\n')
	for _, c := range rows {
		line := ""
		for i := range c {
			line += c[i] + strings.Repeat(" ", w[i]-len([]rune(c[i]))+2)
		}
		b.WriteString(strings.TrimRight(line, " "))
		b.WriteByte('\n')
	}
	return b.String()
}

// shapeCell formats a shape for the report ("-" when absent, "[]" for a scalar).
func shapeCell(s []int, present bool) string {
	if !present {
		return "-"
	}
	return shapeString(s)
}
