package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/config"
	"github.com/selfsup/selfsup/models"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train"
	"github.com/selfsup/selfsup/train/pretrain"
)

// repoRoot is the repository root relative to this package: the configs' paths are
// relative to it.
const repoRoot = "../.."

// TestConfigsValidate checks that every examples/configs/*.yaml loads, validates (its
// data folders exist, seen from the repository root), builds its model and maps onto
// its workflow's options: package pretrain's for SELF_SUPERVISED, package segment's for
// SEMANTIC_SEG. A configuration that loads a checkpoint must name the one the quick
// start writes; as that file need not exist, a stand-in is validated in its place.
func TestConfigsValidate(t *testing.T) {
	t.Chdir(repoRoot)
	files, err := filepath.Glob("examples/configs/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 7 {
		t.Fatalf("examples/configs holds %d YAML files, want the quickstart, five template variants and the fine-tuning example", len(files))
	}
	quickstartBest := train.CheckpointPath(pretrain.NewLayout(pretrain.PathOptions{ResultDir: "results", Name: "quickstart", RunID: 1}).Checkpoints,
		"quickstart_1", "best")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := config.Load(f)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			c.SetJob(t.TempDir(), "job", 1)
			ckpt := c.Paths.CheckpointFile
			if c.Model.LoadCheckpoint {
				if ckpt != quickstartBest {
					t.Errorf("PATHS.CHECKPOINT_FILE %q, want the quick start's %q", ckpt, quickstartBest)
				}
				c.Paths.CheckpointFile = filepath.Join(t.TempDir(), "stand-in.safetensors")
				if err := os.WriteFile(c.Paths.CheckpointFile, nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			c.Paths.CheckpointFile = ckpt
			if w := c.Warnings(); len(w) > 0 {
				t.Errorf("warnings: %q", w)
			}
			if !c.Train.Enable || !c.Test.Enable {
				t.Errorf("TRAIN.ENABLE %v, TEST.ENABLE %v: an example should train and test", c.Train.Enable, c.Test.Enable)
			}
			job := config.Job{ResultDir: "r", Name: "job", RunID: 1, ConfigName: filepath.Base(f)}
			if c.Problem.Type == config.SemanticSegType {
				checkSegmentConfig(t, c, job)
				return
			}
			if _, err := c.NewModel(tensor.NewRNG(1)); err != nil {
				t.Fatalf("NewModel: %v", err)
			}
			o := c.PretrainOptions(job)
			if o.Data.TrainDir != c.Data.Train.Path || o.Data.TestDir != c.Data.Test.Path || len(o.Data.Patch) != c.Spatial()+1 {
				t.Errorf("options: train %q test %q patch %v", o.Data.TrainDir, o.Data.TestDir, o.Data.Patch)
			}
			if want := pretrain.Pretext(c.Problem.SelfSupervised.PretextTask); o.Pretext != want {
				t.Errorf("pretext %q, want %q", o.Pretext, want)
			}
			if o.Paths.ConfigName != filepath.Base(f) {
				t.Errorf("config name %q, want %q", o.Paths.ConfigName, filepath.Base(f))
			}
		})
	}
}

// checkSegmentConfig checks that the SEMANTIC_SEG configuration c builds its model,
// maps onto segment.Options with labelled train and test folders that exist, and, when
// it loads a checkpoint, that the pretraining model of quickstart.yaml transfers into
// it with only the head re-initialised.
func checkSegmentConfig(t *testing.T, c *config.Config, job config.Job) {
	t.Helper()
	m, err := c.NewSegModel(tensor.NewRNG(1), 1)
	if err != nil {
		t.Fatalf("NewSegModel: %v", err)
	}
	o := c.SegmentOptions(job)
	d := o.Data
	for _, p := range []string{d.TrainDir, d.TrainLabelDir, d.TestDir, d.TestLabelDir} {
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			t.Errorf("data folder %q: %v", p, err)
		}
	}
	if len(d.Patch) != c.Spatial()+1 || o.Paths.ConfigName != job.ConfigName {
		t.Errorf("options: patch %v config name %q", d.Patch, o.Paths.ConfigName)
	}
	if !c.Model.LoadCheckpoint {
		return
	}
	if o.Pretrained.Checkpoint != c.Paths.CheckpointFile {
		t.Errorf("pretrained checkpoint %q, want PATHS.CHECKPOINT_FILE %q", o.Pretrained.Checkpoint, c.Paths.CheckpointFile)
	}
	q, err := config.Load("examples/configs/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src, err := q.NewModel(tensor.NewRNG(2))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "quickstart.safetensors")
	if err := models.SaveWeights(path, src, nil); err != nil {
		t.Fatal(err)
	}
	r, err := models.TransferFile(m, path, o.Pretrained.Transfer)
	if err != nil {
		t.Fatalf("the quick start's model does not transfer: %v", err)
	}
	if len(r.Loaded) == 0 || len(r.Skipped) > 0 || len(r.Missing) > 0 || len(r.Unexpected) > 0 {
		t.Errorf("transfer from the quick start's model: %s", r.Summary())
	}
	t.Logf("transfer from the quick start's model: %s", r.Summary())
}

// copyFiles copies the named files of dir src into a new folder dst.
func copyFiles(t *testing.T, src, dst string, names ...string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// quickstart writes examples/configs/quickstart.yaml to a temporary folder with a tiny
// budget: one epoch on three of its training slices and one test slice, copied there
// so that the crappify caches stay out of the repository. It returns the config path.
func quickstart(t *testing.T, dir string) string {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(repoRoot, "examples/configs/quickstart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(repoRoot, "examples/data/isbi2012")
	train, test := filepath.Join(dir, "train", "raw"), filepath.Join(dir, "test", "raw")
	copyFiles(t, filepath.Join(data, "train/raw"), train, "slice_17.png", "slice_18.png", "slice_19.png")
	copyFiles(t, filepath.Join(data, "test/raw"), test, "slice_20.png")
	s := string(text)
	for _, r := range [][2]string{
		{"PATH: examples/data/isbi2012/train/raw", "PATH: " + train},
		{"PATH: examples/data/isbi2012/test/raw", "PATH: " + test},
		{"EPOCHS: 10", "EPOCHS: 1"},
	} {
		if !strings.Contains(s, r[0]) {
			t.Fatalf("quickstart.yaml has no %q to replace", r[0])
		}
		s = strings.Replace(s, r[0], r[1], 1)
	}
	path := filepath.Join(dir, "quickstart.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestQuickstart runs the program on the quickstart configuration with a tiny budget
// and checks its output lines, exit status and output tree.
func TestQuickstart(t *testing.T) {
	dir := t.TempDir()
	cfg := quickstart(t, dir)
	res := filepath.Join(dir, "results")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-config", cfg, "-result_dir", res, "-name", "quickstart", "-run_id", "1", "-threads", "2"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit status %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	out := stdout.String()
	for _, want := range []string{
		"Test PSNR (merge patches): ", "Test MAE (merge patches): ", "Test SSIM (merge patches): ",
		"Baseline (crappified input) MAE: ",
		"== quickstart_1: crappify pretext",
		"training: 1 epochs",
		"test (1 images, compared with the original image)",
		"(baseline: crappified input)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	job := filepath.Join(res, "quickstart")
	for _, p := range []string{
		"config_files/quickstart.yaml",
		"checkpoints/quickstart_1-checkpoint-best.safetensors",
		"checkpoints/quickstart_1-checkpoint-last.safetensors",
		"train_logs/quickstart_1_log_*.txt",
		"results/quickstart_1/per_image/slice_20.tif",
		"results/quickstart_1/charts/quickstart_1_loss.png",
		"results/quickstart_1/tensorboard/*",
		"results/quickstart_1/aug/*.tif",
		"results/quickstart_1/report.json",
	} {
		if m, _ := filepath.Glob(filepath.Join(job, p)); len(m) == 0 {
			t.Errorf("output %s is missing", p)
		}
	}
	if b, err := os.ReadFile(filepath.Join(job, "config_files/quickstart.yaml")); err != nil || !strings.Contains(string(b), "EPOCHS: 1") {
		t.Errorf("config_files/quickstart.yaml is not a copy of the input: %v", err)
	}
	rep, err := pretrain.ReadReport(filepath.Join(job, "results/quickstart_1/report.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"PSNR", "MAE", "MSE", "SSIM"} {
		if _, ok := rep.Metrics[k]; !ok {
			t.Errorf("report metrics lack %s: %v", k, rep.Metrics)
		}
		if _, ok := rep.Baseline[k]; !ok {
			t.Errorf("report baseline lacks %s: %v", k, rep.Baseline)
		}
	}
	if rep.Epochs != 1 || len(rep.Images) != 1 {
		t.Errorf("report: %d epochs, %d images; want 1 and 1", rep.Epochs, len(rep.Images))
	}

	// The same job again with -resume: training already reached TRAIN.EPOCHS, so the
	// run goes straight to the test phase and reports the resumed state.
	stdout.Reset()
	stderr.Reset()
	code = run(context.Background(), []string{"-config", cfg, "-result_dir", res, "-name", "quickstart", "-run_id", "1", "-resume"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("-resume: exit status %d\nstdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
	}
	if !strings.Contains(stdout.String(), "Test MAE (merge patches): ") {
		t.Errorf("-resume: stdout lacks the test results:\n%s", &stdout)
	}
}

// TestInterrupted checks that a cancelled run (Ctrl-C) exits with status 130 and says
// how to resume.
func TestInterrupted(t *testing.T) {
	dir := t.TempDir()
	cfg := quickstart(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"-config", cfg, "-result_dir", filepath.Join(dir, "results"), "-name", "q", "-run_id", "2"}, &stdout, &stderr)
	if code != exitInterrupted {
		t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitInterrupted, &stdout, &stderr)
	}
	if !strings.Contains(stderr.String(), "-resume") {
		t.Errorf("stderr does not say how to resume:\n%s", &stderr)
	}
}
