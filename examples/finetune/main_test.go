package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/tensor"
)

// writeSlices writes n size² uint8 "EM-like" slices (bright cells separated by dark
// membrane lines) and their ISBI-style labels (255 cell, 0 membrane) under dir.
func writeSlices(t *testing.T, dir string, n, size int, seed uint64, labels bool) {
	t.Helper()
	rng := tensor.NewRNG(seed)
	subs := []string{"raw"}
	if labels {
		subs = append(subs, "label")
	}
	for _, s := range subs {
		if err := os.MkdirAll(filepath.Join(dir, s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for k := range n {
		img := data.NewImage(data.Uint8, size, size, 1)
		lbl := data.NewImage(data.Uint8, size, size, 1)
		py, px := 10+rng.IntN(12), 10+rng.IntN(12)
		oy, ox := rng.IntN(py), rng.IntN(px)
		for y := range size {
			for x := range size {
				i := y*size + x
				membrane := (y+oy)%py < 2 || (x+ox)%px < 2
				v := 170 + 40*rng.Float64()
				if membrane {
					v = 40 + 40*rng.Float64()
				} else {
					lbl.Data[i] = 255
				}
				img.Data[i] = float32(math.Round(v))
			}
		}
		name := fmt.Sprintf("slice_%02d.png", k)
		if err := data.WriteImage(filepath.Join(dir, "raw", name), img); err != nil {
			t.Fatal(err)
		}
		if labels {
			if err := data.WriteImage(filepath.Join(dir, "label", name), lbl); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestQuick runs the -quick experiment on small synthetic slices.
func TestQuick(t *testing.T) {
	root := t.TempDir()
	d := filepath.Join(root, "data")
	writeSlices(t, filepath.Join(d, "train"), 4, 96, 1, true)
	writeSlices(t, filepath.Join(d, "test"), 2, 96, 2, true)
	writeSlices(t, filepath.Join(d, "unlabeled"), 2, 96, 3, false)
	c := config{data: d, out: filepath.Join(root, "out"), labeled: 2, norm: data.NormDiv, pretrainSched: "warmupcosine",
		factor: 4, noise: 0.2, firstSeed: 1}
	c.quickSettings()
	var out strings.Builder
	if err := run(context.Background(), c, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"| mean ± sd |", "| pretrained model |", "| baseline (crappified input) |", "seed 2: test IoU SSL",
		"re-initialised"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Log(s)
	}
	ssl, _ := os.ReadDir(filepath.Join(c.out, "data", "ssl", "raw"))
	if len(ssl) != 6 {
		t.Errorf("%d pretraining slices, want 4 train + 2 unlabeled", len(ssl))
	}

	// -pretrained: step (a) only tests the given checkpoint, and the fine-tuning starts
	// from it (the same weights give the same SSL IoU for seed 1).
	ckpt := filepath.Join(c.out, "results", "pretrain", "checkpoints", "pretrain_0-checkpoint-best.safetensors")
	c2 := c
	c2.out, c2.pretrained, c2.seeds = filepath.Join(root, "out2"), ckpt, 1
	var out2 strings.Builder
	if err := run(context.Background(), c2, &out2); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out2.String(), "reused checkpoint "+ckpt) {
		t.Errorf("-pretrained run output:\n%s", out2.String())
	}
	line := func(s string) string {
		i := strings.Index(s, "seed 1: ")
		if i < 0 {
			return ""
		}
		return s[i : i+strings.Index(s[i:], "\n")]
	}
	if a, b := line(s), line(out2.String()); a == "" || a != b {
		t.Errorf("seed 1 with the reused checkpoint: %q, want %q", b, a)
	}
}

func TestMeanSD(t *testing.T) {
	m, s := meanSD([]float64{1, 2, 3})
	if m != 2 || math.Abs(s-1) > 1e-12 {
		t.Errorf("mean %v sd %v, want 2 and 1", m, s)
	}
}
