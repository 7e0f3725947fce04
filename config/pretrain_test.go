package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train"
	"github.com/selfsup/selfsup/train/pretrain"
)

// TestPretrainOptions checks the mapping of BiaPy keys onto the workflow's options.
func TestPretrainOptions(t *testing.T) {
	const base = "PROBLEM.TYPE: SELF_SUPERVISED\nTEST.ENABLE: True\nDATA.TRAIN.PATH: tr\nDATA.TEST.PATH: te\n"
	job := Job{ResultDir: "out", Name: "n", RunID: 3, Resume: true}
	cases := []struct {
		name  string
		yaml  string
		check func(t *testing.T, o pretrain.Options)
	}{
		{"crappify defaults", "", func(t *testing.T, o pretrain.Options) {
			if o.Pretext != pretrain.Crappify || o.Crappify.Factor != 4 || o.Crappify.Noise != 0.2 || o.Loss != "MAE" {
				t.Errorf("pretext %q factor %v noise %v loss %q", o.Pretext, o.Crappify.Factor, o.Crappify.Noise, o.Loss)
			}
			d := o.Data
			if d.TrainDir != "tr" || d.TrainSourceDir != "tr_ssl_source" || d.TestDir != "te" || d.TestSourceDir != "te_ssl_source" {
				t.Errorf("folders %+v", d)
			}
			if d.ValDir != "" || d.ValSplit != 0.1 || !d.ValRandom {
				t.Errorf("validation: dir %q split %v random %v; want the 0.1 random split of train", d.ValDir, d.ValSplit, d.ValRandom)
			}
			if !slices.Equal(d.Patch, []int{256, 256, 1}) || d.Normalization.Type != data.NormZeroMeanUnitVar {
				t.Errorf("patch %v normalization %q", d.Patch, d.Normalization.Type)
			}
			tr := o.Train
			if !tr.Enable || tr.Epochs != 360 || tr.BatchSize != 2 || tr.Patience != -1 || tr.AccumIter != 1 || tr.ChartFreq != 5 || tr.NoShuffle || tr.Threads != 0 {
				t.Errorf("train %+v", tr)
			}
			if tr.Optimizer.Kind != train.SGD || tr.Optimizer.LR != 1e-4 || tr.Scheduler != "" {
				t.Errorf("optimizer %+v scheduler %q", tr.Optimizer, tr.Scheduler)
			}
			if !o.Test.Enable || !slices.Equal(o.Test.Padding, []int{0, 0}) || o.AugSamples != 0 || o.Checkpoint != "" {
				t.Errorf("test %+v aug samples %d checkpoint %q", o.Test, o.AugSamples, o.Checkpoint)
			}
			if o.Paths != (pretrain.PathOptions{ResultDir: "out", Name: "n", RunID: 3, ConfigName: "c.yaml", ConfigText: o.Paths.ConfigText}) || !o.Resume {
				t.Errorf("paths %+v resume %v", o.Paths, o.Resume)
			}
			if o.Paths.ConfigText == "" {
				t.Error("no configuration text for config_files/")
			}
			m, err := o.NewModel(tensor.NewRNG(1))
			if err != nil || m == nil {
				t.Errorf("NewModel: %v", err)
			}
		}},
		{"separate validation folder", "DATA.VAL.FROM_TRAIN: False\nDATA.VAL.PATH: va\n", func(t *testing.T, o pretrain.Options) {
			if o.Data.ValDir != "va" || o.Data.ValSourceDir != "va_ssl_source" || o.Data.ValSplit != 0 {
				t.Errorf("validation dir %q source %q split %v", o.Data.ValDir, o.Data.ValSourceDir, o.Data.ValSplit)
			}
		}},
		{"training settings", `TRAIN.OPTIMIZER: ADAMW
TRAIN.LR: 2.E-3
TRAIN.BATCH_SIZE: 6
TRAIN.EPOCHS: 7
TRAIN.PATIENCE: 3
TRAIN.ACCUM_ITER: 2
TRAIN.LR_SCHEDULER.NAME: onecycle
SYSTEM.NUM_CPUS: 3
SYSTEM.SEED: 42
LOG.CHART_CREATION_FREQ: 2
LOSS.TYPE: MSE
AUGMENTOR.ENABLE: True
AUGMENTOR.VFLIP: True
AUGMENTOR.AUG_NUM_SAMPLES: 4
AUGMENTOR.SHUFFLE_TRAIN_DATA_EACH_EPOCH: False
PROBLEM.SELF_SUPERVISED.RESIZING_FACTOR: 2
PROBLEM.SELF_SUPERVISED.NOISE: 0.1
DATA.TEST.PADDING: (16, 16)
DATA.TEST.OVERLAP: (0.5, 0.5)
`, func(t *testing.T, o pretrain.Options) {
			tr := o.Train
			if tr.Optimizer.Kind != train.AdamW || tr.Optimizer.LR != 2e-3 || tr.BatchSize != 6 || tr.Epochs != 7 || tr.Patience != 3 || tr.AccumIter != 2 {
				t.Errorf("train %+v", tr)
			}
			if tr.Scheduler != "onecycle" || tr.SchedulerOptions.LR != 2e-3 || tr.Threads != 3 || tr.Seed != 42 || tr.ChartFreq != 2 || !tr.NoShuffle {
				t.Errorf("train %+v", tr)
			}
			if o.Loss != "MSE" || o.Crappify.Factor != 2 || o.Crappify.Noise != 0.1 {
				t.Errorf("loss %q crappify %+v", o.Loss, o.Crappify)
			}
			if !o.Augment.VFlip || o.Augment.HFlip || o.AugSamples != 4 {
				t.Errorf("augment vflip %v hflip %v samples %d", o.Augment.VFlip, o.Augment.HFlip, o.AugSamples)
			}
			if !slices.Equal(o.Test.Padding, []int{16, 16}) || !slices.Equal(o.Test.Overlap, []float64{0.5, 0.5}) {
				t.Errorf("test %+v", o.Test)
			}
		}},
		{"masking with test GT", `PROBLEM.SELF_SUPERVISED.PRETEXT_TASK: masking
MODEL.ARCHITECTURE: mae
DATA.PATCH_SIZE: (16, 16, 1)
MODEL.VIT_TOKEN_SIZE: 4
MODEL.VIT_EMBED_DIM: 16
MODEL.VIT_NUM_HEADS: 2
MODEL.VIT_NUM_LAYERS: 1
MODEL.MAE_DEC_HIDDEN_SIZE: 16
MODEL.MAE_DEC_NUM_LAYERS: 1
MODEL.MAE_DEC_NUM_HEADS: 2
MODEL.MAE_DEC_MLP_DIMS: 32
DATA.TEST.LOAD_GT: True
DATA.TEST.GT_PATH: gt
`, func(t *testing.T, o pretrain.Options) {
			if o.Pretext != pretrain.Masking || o.Data.TestGTDir != "gt" {
				t.Errorf("pretext %q test GT %q", o.Pretext, o.Data.TestGTDir)
			}
		}},
		{"test only from a checkpoint", "TRAIN.ENABLE: False\nMODEL.LOAD_CHECKPOINT: True\nPATHS.CHECKPOINT_FILE: w.safetensors\n", func(t *testing.T, o pretrain.Options) {
			if o.Train.Enable || o.Checkpoint != "w.safetensors" {
				t.Errorf("train %v checkpoint %q", o.Train.Enable, o.Checkpoint)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := base + tc.yaml
			if !strings.Contains(text, "TRAIN.ENABLE") {
				text += "TRAIN.ENABLE: True\n"
			}
			c, err := Parse([]byte(text), "dir/c.yaml")
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c.PretrainOptions(job))
		})
	}
}
