package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train/segment"
)

// writeDisks writes n size×size uint8 images of bright disks on a noisy dark
// background into dir/raw and their binary labels {0, 255} into dir/label, as TIFFs
// named img00.tif, img01.tif, ….
func writeDisks(t *testing.T, dir string, n, size int, seed uint64) {
	t.Helper()
	for _, sub := range []string{"raw", "label"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rng := tensor.NewRNG(seed)
	for k := range n {
		img := data.NewImage(data.Uint8, size, size, 1)
		lbl := data.NewImage(data.Uint8, size, size, 1)
		for range 3 {
			cy, cx, r := 8+rng.IntN(size-16), 8+rng.IntN(size-16), 4+rng.IntN(4)
			for y := range size {
				for x := range size {
					if (y-cy)*(y-cy)+(x-cx)*(x-cx) <= r*r {
						lbl.Data[y*size+x] = 255
					}
				}
			}
		}
		for i := range img.Data {
			v := 40 + 30*rng.Float64()
			if lbl.Data[i] > 0 {
				v += 100
			}
			img.Data[i] = float32(math.Round(v))
		}
		name := fmt.Sprintf("img%02d.tif", k)
		if err := data.WriteTIFF(filepath.Join(dir, "raw", name), img, data.TIFFOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := data.WriteTIFF(filepath.Join(dir, "label", name), lbl, data.TIFFOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// tinyUNet are the keys of a three-level U-Net with 4, 8 and 16 feature maps on 32×32
// patches, trained for one or two epochs: the model of both the pretraining and the
// segmentation configurations of these tests.
const tinyUNet = "PROBLEM.NDIM: 2D\nDATA.PATCH_SIZE: (32, 32, 1)\nDATA.NORMALIZATION.TYPE: div\n" +
	"MODEL.ARCHITECTURE: unet\nMODEL.FEATURE_MAPS: [4, 8, 16]\nMODEL.DROPOUT_VALUES: [0, 0, 0]\n" +
	"TRAIN.ENABLE: True\nTRAIN.OPTIMIZER: ADAMW\nTRAIN.LR: 5.E-3\nTRAIN.BATCH_SIZE: 4\n" +
	"TEST.ENABLE: True\nSYSTEM.SEED: 3\n"

// segYAML returns a SEMANTIC_SEG configuration of the tiny U-Net on the labelled
// images under dir (train/{raw,label}, test/{raw,label}), two epochs, followed by extra.
func segYAML(dir, extra string) string {
	return "PROBLEM.TYPE: SEMANTIC_SEG\n" + tinyUNet + "LOSS.TYPE: CE\nTRAIN.EPOCHS: 2\nDATA.VAL.SPLIT_TRAIN: 0.25\n" +
		"DATA.TRAIN.PATH: " + filepath.Join(dir, "train", "raw") + "\nDATA.TRAIN.GT_PATH: " + filepath.Join(dir, "train", "label") + "\n" +
		"DATA.TEST.PATH: " + filepath.Join(dir, "test", "raw") + "\nDATA.TEST.GT_PATH: " + filepath.Join(dir, "test", "label") + "\n" +
		extra
}

// sslYAML returns a SELF_SUPERVISED (crappify) configuration of the same tiny U-Net
// on the raw images under dir, one epoch.
func sslYAML(dir string) string {
	return "PROBLEM.TYPE: SELF_SUPERVISED\nPROBLEM.SELF_SUPERVISED.PRETEXT_TASK: crappify\nPROBLEM.SELF_SUPERVISED.RESIZING_FACTOR: 2\n" +
		tinyUNet + "TRAIN.EPOCHS: 1\n" +
		"DATA.TRAIN.PATH: " + filepath.Join(dir, "train", "raw") + "\nDATA.TEST.PATH: " + filepath.Join(dir, "test", "raw") + "\n"
}

// writeConfig writes text to dir/name and returns its path.
func writeConfig(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSegment runs the program on SEMANTIC_SEG configurations end to end: from random
// weights, from the checkpoint of a SELF_SUPERVISED run of the same program, and
// without test labels. It checks the exit status, the summary lines, report.json and
// the per-image label TIFFs.
func TestSegment(t *testing.T) {
	dir := t.TempDir()
	writeDisks(t, filepath.Join(dir, "train"), 4, 48, 1)
	writeDisks(t, filepath.Join(dir, "test"), 2, 40, 2)
	res := filepath.Join(dir, "results")
	sslBest := filepath.Join(res, "ssl", "checkpoints", "ssl_1-checkpoint-best.safetensors")
	for _, tc := range []struct {
		name     string
		extra    string // YAML lines added to segYAML
		pretrain bool   // run the SELF_SUPERVISED job "ssl" first
		want     []string
		not      []string
	}{
		{name: "from scratch", extra: "DATA.TEST.LOAD_GT: True\n",
			want: []string{"test (2 images, compared with the labels)"}, not: []string{"pretrained:"}},
		{name: "from a pretraining checkpoint", pretrain: true,
			extra: "DATA.TEST.LOAD_GT: True\nMODEL.LOAD_CHECKPOINT: True\nPATHS.CHECKPOINT_FILE: " + sslBest + "\n",
			want: []string{"pretrained: " + sslBest + "\n", " loaded, 0 skipped, 0 missing, 2 re-initialised (",
				"test (2 images, compared with the labels)"}},
		{name: "without test labels", extra: "DATA.TEST.LOAD_GT: False\n",
			want: []string{"test (2 images, no labels: set DATA.TEST.LOAD_GT"},
			not:  []string{"Test IoU", "pretrained:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.ReplaceAll(tc.name, " ", "_")
			var stdout, stderr bytes.Buffer
			if tc.pretrain {
				cfg := writeConfig(t, dir, "ssl.yaml", sslYAML(dir))
				code := run(context.Background(), []string{"-config", cfg, "-result_dir", res, "-name", "ssl", "-threads", "2"}, &stdout, &stderr)
				if code != exitOK {
					t.Fatalf("SELF_SUPERVISED run: exit status %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
				}
				stdout.Reset()
				stderr.Reset()
			}
			cfg := writeConfig(t, dir, name+".yaml", segYAML(dir, tc.extra))
			code := run(context.Background(), []string{"-config", cfg, "-result_dir", res, "-name", name, "-run_id", "1", "-threads", "2"}, &stdout, &stderr)
			if code != exitOK {
				t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
			}
			job := filepath.Join(res, name)
			results := filepath.Join(job, "results", name+"_1")
			out := stdout.String()
			t.Logf("stdout:\n%s", out)
			want := append([]string{
				"selfsup pretrain: job " + name + "_1 (SEMANTIC_SEG)",
				"== " + name + "_1: semantic segmentation, binary, loss CE, ",
				"training: 2 epochs (",
				"outputs: " + job + " (report: " + filepath.Join(results, "report.json") + ")",
				"labels: " + filepath.Join(results, "per_image") + " (uint8 class ids",
				"weights: " + filepath.Join(job, "checkpoints", name+"_1-checkpoint-best.safetensors"),
			}, tc.want...)
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(out, w) {
					t.Errorf("stdout has %q:\n%s", w, out)
				}
			}
			rep, err := segment.ReadReport(filepath.Join(results, "report.json"))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Epochs != 2 || rep.Steps == 0 || len(rep.Images) != 2 || rep.Classes != 2 {
				t.Errorf("report: %d epochs, %d steps, %d images, %d classes; want 2, > 0, 2, 2", rep.Epochs, rep.Steps, len(rep.Images), rep.Classes)
			}
			labelled := strings.Contains(tc.extra, "LOAD_GT: True")
			for _, k := range segment.MetricNames {
				v, ok := rep.Metrics[k]
				switch {
				case ok != labelled:
					t.Errorf("report metric %s present %v, want %v", k, ok, labelled)
				case ok && !(v >= 0 && v <= 1):
					t.Errorf("report metric %s = %v, want a value in [0, 1]", k, v)
				case ok && !strings.Contains(out, fmt.Sprintf("Test %s (merge patches): ", k)):
					t.Errorf("stdout lacks the BiaPy line of %s:\n%s", k, out)
				}
			}
			if tc.pretrain != (rep.Transfer != nil) {
				t.Errorf("report transfer %+v, want one iff a checkpoint was loaded", rep.Transfer)
			}
			if tr := rep.Transfer; tr != nil && (tr.Loaded == 0 || tr.Skipped+tr.Missing+tr.Unexpected != 0 || len(tr.Reinitialised) != 2) {
				t.Errorf("transfer %+v: want every entry but the head loaded", tr)
			}
			for _, im := range []string{"img00.tif", "img01.tif"} {
				m, err := data.ReadTIFF(filepath.Join(results, "per_image", im))
				if err != nil {
					t.Errorf("per-image output: %v", err)
					continue
				}
				if m.Shape[0] != 40 || m.Shape[1] != 40 {
					t.Errorf("%s: shape %v, want 40×40", im, m.Shape)
				}
				for _, v := range m.Data {
					if v != 0 && v != 1 {
						t.Errorf("%s: value %v, want class ids 0 and 1", im, v)
						break
					}
				}
			}
			if b, err := os.ReadFile(filepath.Join(job, "config_files", name+".yaml")); err != nil || !strings.Contains(string(b), "SEMANTIC_SEG") {
				t.Errorf("config_files/%s.yaml is not a copy of the input: %v", name, err)
			}
		})
	}
}

// TestSegmentInterrupted checks that a cancelled SEMANTIC_SEG run exits with status 130
// and says that it cannot be resumed.
func TestSegmentInterrupted(t *testing.T) {
	dir := t.TempDir()
	writeDisks(t, filepath.Join(dir, "train"), 2, 32, 1)
	writeDisks(t, filepath.Join(dir, "test"), 1, 32, 2)
	cfg := writeConfig(t, dir, "seg.yaml", segYAML(dir, ""))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"-config", cfg, "-result_dir", filepath.Join(dir, "results"), "-name", "s"}, &stdout, &stderr)
	if code != exitInterrupted {
		t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInterrupted, &stdout, &stderr)
	}
	if !strings.Contains(stderr.String(), "cannot be resumed") {
		t.Errorf("stderr does not say that the run cannot be resumed:\n%s", &stderr)
	}
}
