package train

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestAppendPyFloat(t *testing.T) {
	cases := []struct {
		v    float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{1, "1.0"},
		{0.5, "0.5"},
		{0.1, "0.1"},
		{1e-4, "0.0001"},
		{1e-5, "1e-05"},
		{2.5e-7, "2.5e-07"},
		{123456789, "123456789.0"},
		{1e16, "1e+16"},
		{-3.25, "-3.25"},
		{1.0 / 3, "0.3333333333333333"},
		{math.NaN(), "null"},
		{math.Inf(1), "null"},
	}
	for _, c := range cases {
		t.Run(c.want, func(t *testing.T) {
			if got := string(appendPyFloat(nil, c.v)); got != c.want {
				t.Errorf("appendPyFloat(%v) = %q, want %q", c.v, got, c.want)
			}
		})
	}
}

func TestJSONLogName(t *testing.T) {
	got := JSONLogName("my_job_1", time.Date(2024, 3, 7, 9, 5, 2, 0, time.UTC))
	if want := "my_job_1_log_2024_03_07_09_05_02.txt"; got != want {
		t.Errorf("JSONLogName = %q, want %q", got, want)
	}
}

func TestJSONLogger(t *testing.T) {
	cases := []struct {
		name string
		e    EpochStats
		want string
	}{
		{
			name: "with validation",
			e: EpochStats{Epoch: 1, Epochs: 3, TrainLoss: 0.5, ValLoss: 0.625, LR: 1e-4,
				Metrics: map[string]float64{"val/PSNR": 19.5, "train/PSNR": 20.25, "train/MAE": 0.125, "val/MAE": 0.25}},
			want: `{"train_loss": 0.5, "train_lr": 0.0001, "train_MAE": 0.125, "train_PSNR": 20.25, "test_loss": 0.625, "test_MAE": 0.25, "test_PSNR": 19.5, "epoch": 0}`,
		},
		{
			name: "no validation",
			e: EpochStats{Epoch: 2, Epochs: 3, TrainLoss: 0.25, ValLoss: math.NaN(), LR: 5e-5,
				Metrics: map[string]float64{"train/SSIM": 0.75}},
			want: `{"train_loss": 0.25, "train_lr": 5e-05, "train_SSIM": 0.75, "epoch": 1}`,
		},
		{
			name: "other keys and non-finite",
			e: EpochStats{Epoch: 3, Epochs: 3, TrainLoss: math.Inf(1), ValLoss: 1, LR: 0,
				Metrics: map[string]float64{"time": 2, "extra/x": math.NaN()}},
			want: `{"train_loss": null, "train_lr": 0.0, "test_loss": 1.0, "extra_x": null, "time": 2.0, "epoch": 2}`,
		},
	}
	path := filepath.Join(t.TempDir(), "train_logs", JSONLogName("job_1", time.Unix(0, 0)))
	l, err := NewJSONLogger(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := l.Epoch(c.e); err != nil {
				t.Fatal(err)
			}
			// Flushed per epoch: the file holds i+1 lines before Close.
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
			if len(lines) != i+1 {
				t.Fatalf("%d lines after %d epochs", len(lines), i+1)
			}
			if lines[i] != c.want {
				t.Errorf("line %d:\n got %s\nwant %s", i, lines[i], c.want)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(lines[i]), &m); err != nil {
				t.Errorf("line %d is not valid JSON: %v", i, err)
			}
		})
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Epoch(cases[0].e); err == nil {
		t.Error("Epoch after Close: no error")
	}

	// Reopening (a resumed run) appends.
	l, err = NewJSONLogger(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Epoch(cases[0].e); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if n := strings.Count(string(data), "\n"); n != len(cases)+1 {
		t.Errorf("after reopening: %d lines, want %d", n, len(cases)+1)
	}
}

func TestJSONLoggerBadPath(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := NewJSONLogger(filepath.Join(file, "sub", "log.txt")); err == nil {
		t.Error("NewJSONLogger under a regular file: no error")
	}
}

func TestReadJSONLog(t *testing.T) {
	in := []EpochStats{
		{Epoch: 1, TrainLoss: 0.5, ValLoss: 0.625, LR: 1e-4,
			Metrics: map[string]float64{"train/PSNR": 20.25, "val/PSNR": 19.5, "train/MAE": 0.1}},
		{Epoch: 2, TrainLoss: 0.25, ValLoss: math.NaN(), LR: 5e-5,
			Metrics: map[string]float64{"train/SSIM": math.NaN(), "time": 3}},
	}
	path := filepath.Join(t.TempDir(), "log.txt")
	l, err := NewJSONLogger(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range in {
		if err := l.Epoch(e); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	got, err := ReadJSONLog(path)
	if err != nil {
		t.Fatal(err)
	}
	same := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
	if len(got) != len(in) {
		t.Fatalf("%d epochs, want %d", len(got), len(in))
	}
	for i, w := range in {
		g := got[i]
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			if g.Epoch != w.Epoch || !same(g.TrainLoss, w.TrainLoss) || !same(g.ValLoss, w.ValLoss) ||
				!same(g.LR, w.LR) || len(g.Metrics) != len(w.Metrics) {
				t.Fatalf("got %+v, want %+v", g, w)
			}
			for k, v := range w.Metrics {
				if gv, ok := g.Metrics[k]; !ok || !same(gv, v) {
					t.Errorf("Metrics[%q] = %v (%v), want %v", k, gv, ok, v)
				}
			}
		})
	}

	bad := []struct{ name, content string }{
		{"not json", "{\"epoch\": 0}\nnot json\n"},
		{"no epoch", "{\"train_loss\": 1.0}\n"},
		{"string value", "{\"epoch\": 0, \"train_loss\": \"x\"}\n"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "bad.txt")
			os.WriteFile(p, []byte(c.content), 0o644)
			if _, err := ReadJSONLog(p); err == nil {
				t.Error("no error")
			}
		})
	}
	if _, err := ReadJSONLog(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing file: no error")
	}
}
