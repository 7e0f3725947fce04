package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandLineErrors checks that bad flags and bad configurations stop the program
// with status 2 and a message naming the problem, before any work is done.
func TestCommandLineErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "PROBLEM.TYPE: SELF_SUPERVISED\nDATA.TRAIN.PATH: "+dir+"\nDATA.TEST.PATH: "+dir+"\nTRAIN.ENABLE: True\n")
	typo := write("typo.yaml", "PROBLEM.TYPE: SELF_SUPERVISED\nTRAIN.EPOCH: 10\n")
	nodata := write("nodata.yaml", "PROBLEM.TYPE: SELF_SUPERVISED\nTRAIN.ENABLE: True\nDATA.TRAIN.PATH: "+filepath.Join(dir, "missing")+"\n")
	badval := write("badval.yaml", "PROBLEM:\n    TYPE: SELF_SUPERVISED\nTRAIN:\n    OPTIMIZER: LBFGS\n    LR: -1\n")
	seg := "PROBLEM.TYPE: SEMANTIC_SEG\nTRAIN.ENABLE: True\nTEST.ENABLE: True\nDATA.PATCH_SIZE: (32, 32, 1)\n" +
		"DATA.TRAIN.PATH: " + dir + "\nDATA.TRAIN.GT_PATH: " + dir + "\nDATA.TEST.PATH: " + dir + "\n"
	goodSeg := write("seg.yaml", seg)
	segLoss := write("segloss.yaml", seg+"LOSS.TYPE: MAE\n")
	noCkpt := write("nockpt.yaml", seg+"MODEL.LOAD_CHECKPOINT: True\nPATHS.CHECKPOINT_FILE: "+filepath.Join(dir, "none.safetensors")+"\n")
	res := filepath.Join(dir, "results")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string // in stderr
	}{
		{"no flags", nil, exitUsage, []string{"-config is required"}},
		{"unknown flag", []string{"-config", good, "-epochs", "3"}, exitUsage, []string{"flag provided but not defined: -epochs", "usage: pretrain"}},
		{"tf32 without gpu", []string{"-config", good, "-tf32"}, exitUsage, []string{"-tf32 needs -gpu"}},
		{"positional argument", []string{"-config", good, "extra"}, exitUsage, []string{`unexpected arguments ["extra"]`}},
		{"no GPU build", []string{"-config", good, "-result_dir", res, "-gpu", "0"}, exitUsage, []string{"selfsup was built without GPU support"}},
		{"bad GPU id", []string{"-config", good, "-gpu", "first"}, exitUsage, []string{`-gpu "first": want a GPU number`}},
		{"negative run id", []string{"-config", good, "-run_id", "-1"}, exitUsage, []string{"-run_id -1: want 0 or more"}},
		{"name with a slash", []string{"-config", good, "-name", "a/b"}, exitUsage, []string{`-name "a/b"`}},
		{"negative threads", []string{"-config", good, "-threads", "-2"}, exitUsage, []string{"-threads -2"}},
		{"missing config file", []string{"-config", filepath.Join(dir, "none.yaml"), "-result_dir", res}, exitUsage, []string{"none.yaml: no such file"}},
		{"misspelled key", []string{"-config", typo, "-result_dir", res}, exitUsage, []string{"invalid configuration", "typo.yaml:2: TRAIN.EPOCH: unknown key; did you mean TRAIN.EPOCHS?"}},
		{"missing data folder", []string{"-config", nodata, "-result_dir", res}, exitUsage, []string{"nodata.yaml:3: DATA.TRAIN.PATH: folder", "does not exist"}},
		{"several bad values", []string{"-config", badval, "-result_dir", res}, exitUsage, []string{"badval.yaml:4: TRAIN.OPTIMIZER", "badval.yaml:5: TRAIN.LR"}},
		{"segmentation with a restoration loss", []string{"-config", segLoss, "-result_dir", res}, exitUsage, []string{"segloss.yaml:8: LOSS.TYPE", "want CE, DICE or W_CE_DICE"}},
		{"segmentation without its checkpoint", []string{"-config", noCkpt, "-result_dir", res}, exitUsage, []string{"nockpt.yaml:9: PATHS.CHECKPOINT_FILE: file", "none.safetensors\" does not exist"}},
		{"segmentation resumed", []string{"-config", goodSeg, "-result_dir", res, "-resume"}, exitUsage, []string{"-resume: a SEMANTIC_SEG run cannot be resumed"}},
		{"help", []string{"-h"}, exitOK, []string{"usage: pretrain -config FILE", "SEMANTIC_SEG"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit status %d, want %d", code, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, &stderr)
				}
			}
			if _, err := os.Stat(res); err == nil {
				t.Errorf("%s was created for a run that should not start", res)
			}
		})
	}
}
