package config

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const head = "PROBLEM.TYPE: SELF_SUPERVISED\n" // line 1 of every case below

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // substrings of the error, in order of appearance
	}{
		{"misspelled dotted key", head + "DATA.PATCH_SZE: (64, 64, 1)\n",
			[]string{"bad.yaml:2: DATA.PATCH_SZE: unknown key; did you mean DATA.PATCH_SIZE?"}},
		{"misspelled nested key", head + "DATA:\n  TRAIN:\n    PAHT: /x\n",
			[]string{"bad.yaml:4: DATA.TRAIN.PAHT: unknown key; did you mean DATA.TRAIN.PATH?"}},
		{"misspelled section", head + "MODLE:\n  ARCHITECTURE: unet\n",
			[]string{"bad.yaml:2: MODLE: unknown key; did you mean MODEL?"}},
		{"lower-case key", head + "train.epochs: 3\n",
			[]string{"bad.yaml:2: train.epochs: unknown key; did you mean TRAIN.EPOCHS?"}},
		{"other workflow key", head + "PROBLEM:\n  INSTANCE_SEG:\n    DATA_CHANNELS: BC\n",
			[]string{"bad.yaml:4: PROBLEM.INSTANCE_SEG.DATA_CHANNELS: not supported by selfsup (it belongs to another BiaPy workflow)"}},
		{"unimplemented augmentation", head + "AUGMENTOR.GRIDMASK: True\n",
			[]string{"bad.yaml:2: AUGMENTOR.GRIDMASK: not supported by selfsup (selfsup does not implement this augmentation); only BiaPy's default False is accepted"}},
		{"torchvision source", head + "MODEL.SOURCE: torchvision\n",
			[]string{"bad.yaml:2: MODEL.SOURCE: torchvision is not available in the self-supervised workflow"}},
		{"unimplemented architecture", head + "MODEL.ARCHITECTURE: unext_v1\n",
			[]string{"bad.yaml:2: MODEL.ARCHITECTURE: unext_v1: not supported by selfsup"}},
		{"unknown architecture", head + "MODEL.ARCHITECTURE: resnet\n",
			[]string{`bad.yaml:2: MODEL.ARCHITECTURE: "resnet": want one of unet, resunet`}},
		{"string for int", head + "TRAIN.EPOCHS: ten\n",
			[]string{"bad.yaml:2: TRAIN.EPOCHS: want an integer, got ten"}},
		{"float for int", head + "TRAIN.BATCH_SIZE: 2.5\n",
			[]string{"bad.yaml:2: TRAIN.BATCH_SIZE: want an integer, got 2.5"}},
		{"malformed tuple", head + "DATA.PATCH_SIZE: (256, 256\n",
			[]string{`bad.yaml:2: DATA.PATCH_SIZE: malformed tuple "(256, 256"; want a list of integers`}},
		{"tuple element type", head + "DATA.PATCH_SIZE: (256, 2.5, 1)\n",
			[]string{"bad.yaml:2: DATA.PATCH_SIZE: element 1 of (256, 2.5, 1): want an integer, got 2.5"}},
		{"bad bool", head + "TRAIN.ENABLE: maybe\n",
			[]string{"bad.yaml:2: TRAIN.ENABLE: want True or False, got maybe"}},
		{"range pair length", head + "AUGMENTOR.ZOOM_RANGE: (0.8, 1.0, 1.2)\n",
			[]string{"bad.yaml:2: AUGMENTOR.ZOOM_RANGE: want a pair of numbers like (0.1, 0.2), got 3 values"}},
		{"mapping for a value", head + "DATA:\n  PATCH_SIZE:\n    Y: 1\n",
			[]string{"bad.yaml:3: DATA.PATCH_SIZE: want a value, got a mapping"}},
		{"value for a section", head + "DATA.TRAIN: /x\n",
			[]string{"bad.yaml:2: DATA.TRAIN: is a section; want a mapping of keys under it"}},
		{"set twice", head + "TRAIN.LR: 1.E-3\nTRAIN:\n  LR: 1.E-4\n",
			[]string{"bad.yaml:4: TRAIN.LR: set twice (first at line 2)"}},
		{"missing problem type", "TRAIN.EPOCHS: 3\n",
			[]string{"bad.yaml: PROBLEM.TYPE: not set; want SELF_SUPERVISED"}},
		{"other problem type", "PROBLEM.TYPE: DETECTION\n",
			[]string{`bad.yaml:1: PROBLEM.TYPE: "DETECTION": selfsup runs only SELF_SUPERVISED and SEMANTIC_SEG`}},
		{"bad pretext task", head + "PROBLEM.SELF_SUPERVISED.PRETEXT_TASK: inpainting\n",
			[]string{`bad.yaml:2: PROBLEM.SELF_SUPERVISED.PRETEXT_TASK: "inpainting": want crappify or masking`}},
		{"crappify forbids mae", head + "MODEL.ARCHITECTURE: mae\n",
			[]string{"bad.yaml:2: MODEL.ARCHITECTURE: mae cannot be used with PROBLEM.SELF_SUPERVISED.PRETEXT_TASK crappify"}},
		{"masking requires mae", head + "PROBLEM.SELF_SUPERVISED.PRETEXT_TASK: masking\n",
			[]string{`bad.yaml: MODEL.ARCHITECTURE: "unet": PROBLEM.SELF_SUPERVISED.PRETEXT_TASK masking requires mae`}},
		{"resizing factor", head + "PROBLEM.SELF_SUPERVISED.RESIZING_FACTOR: 3\n",
			[]string{"bad.yaml:2: PROBLEM.SELF_SUPERVISED.RESIZING_FACTOR: 3: want 2, 4 or 6"}},
		{"noise range", head + "PROBLEM.SELF_SUPERVISED.NOISE: 1.5\n",
			[]string{"bad.yaml:2: PROBLEM.SELF_SUPERVISED.NOISE: 1.5: want a value in [0, 1]"}},
		{"mask type", head + "PROBLEM.SELF_SUPERVISED.PRETEXT_TASK: masking\nMODEL.ARCHITECTURE: mae\nMODEL.MAE_MASK_TYPE: checker\n",
			[]string{`bad.yaml:4: MODEL.MAE_MASK_TYPE: "checker": want grid or random`}},
		{"mask ratio", head + "PROBLEM.SELF_SUPERVISED.PRETEXT_TASK: masking\nMODEL.ARCHITECTURE: mae\nMODEL.MAE_MASK_TYPE: random\nMODEL.MAE_MASK_RATIO: 1.5\n",
			[]string{"bad.yaml:5: MODEL.MAE_MASK_RATIO: 1.5: want a value in (0, 1]"}},
		{"3D needs a 4-tuple", head + "PROBLEM.NDIM: 3D\nDATA.PATCH_SIZE: (64, 64, 1)\n",
			[]string{"bad.yaml:3: DATA.PATCH_SIZE: (64, 64, 1): PROBLEM.NDIM 3D needs (z, y, x, channels), 4 values"}},
		{"mae needs a square patch", head + "PROBLEM.SELF_SUPERVISED.PRETEXT_TASK: masking\nMODEL.ARCHITECTURE: mae\nDATA.PATCH_SIZE: (128, 64, 1)\n",
			[]string{"bad.yaml:4: DATA.PATCH_SIZE: (128, 64, 1): mae needs equal spatial sizes"}},
		{"token must divide the patch", head + "MODEL.ARCHITECTURE: unetr\nDATA.PATCH_SIZE: (72, 72, 1)\n",
			[]string{"MODEL.VIT_TOKEN_SIZE: 16: must divide the patch size 72"}},
		{"unet divisibility", head + "DATA.PATCH_SIZE: (100, 96, 1)\n",
			[]string{"bad.yaml:2: DATA.PATCH_SIZE: (100, 96, 1): unet with 4 levels needs each spatial size divisible by 16"}},
		{"z divisibility", head + "PROBLEM.NDIM: 3D\nDATA.PATCH_SIZE: (20, 64, 64, 1)\n",
			[]string{"divisible by 16 (z by the product of MODEL.Z_DOWN, 16)"}},
		{"edsr is 2D only", head + "PROBLEM.NDIM: 3D\nDATA.PATCH_SIZE: (16, 64, 64, 1)\nMODEL.ARCHITECTURE: edsr\n",
			[]string{"bad.yaml:4: MODEL.ARCHITECTURE: edsr is 2D only"}},
		{"dropout length", head + "MODEL.DROPOUT_VALUES: [0.1, 0.2]\n",
			[]string{"bad.yaml:2: MODEL.DROPOUT_VALUES: [0.1 0.2]: want 5 values, one per MODEL.FEATURE_MAPS level"}},
		{"squeeze-excitation widths", head + "MODEL.ARCHITECTURE: seunet\nMODEL.FEATURE_MAPS: [8, 16, 32]\n",
			[]string{"bad.yaml:3: MODEL.FEATURE_MAPS: [8 16 32]: seunet needs at least 16 feature maps per level"}},
		{"z down values", head + "MODEL.Z_DOWN: [1, 3, 1, 1]\n",
			[]string{"bad.yaml:2: MODEL.Z_DOWN: [1 3 1 1]: each value must be 1 or 2"}},
		{"test padding", head + "DATA.PATCH_SIZE: (64, 64, 1)\nDATA.TEST.PADDING: (32, 32)\n",
			[]string{"bad.yaml:3: DATA.TEST.PADDING: (32, 32): each padding must be in [0, patch size / 2) = [0, 32)"}},
		{"normalization type", head + "DATA.NORMALIZATION.TYPE: custom\n",
			[]string{`bad.yaml:2: DATA.NORMALIZATION.TYPE: "custom": want div, scale_range or zero_mean_unit_variance`}},
		{"gamma contrast with zmuv", head + "AUGMENTOR.GAMMA_CONTRAST: True\n",
			[]string{"bad.yaml:2: AUGMENTOR.GAMMA_CONTRAST: cannot be used with DATA.NORMALIZATION.TYPE zero_mean_unit_variance"}},
		{"augmentor probability", head + "AUGMENTOR.DA_PROB: 1.5\n",
			[]string{"bad.yaml: AUGMENTOR: "}},
		{"ssim loss", head + "LOSS.TYPE: SSIM\n",
			[]string{"bad.yaml:2: LOSS.TYPE: SSIM: not supported by selfsup (want MAE or MSE)"}},
		{"unknown loss", head + "TRAIN.ENABLE: True\nLOSS.TYPE: CE\n",
			[]string{`bad.yaml:3: LOSS.TYPE: "CE": want MAE or MSE`}},
		{"optimizer", head + "TRAIN.OPTIMIZER: RMSPROP\n",
			[]string{`bad.yaml:2: TRAIN.OPTIMIZER: "RMSPROP": want SGD, ADAM or ADAMW`}},
		{"warmupcosine needs min lr", head + "TRAIN.LR_SCHEDULER.NAME: warmupcosine\nTRAIN.LR_SCHEDULER.WARMUP_COSINE_DECAY_EPOCHS: 400\n",
			[]string{"bad.yaml: TRAIN.LR_SCHEDULER.MIN_LR: must be set for warmupcosine",
				"bad.yaml:3: TRAIN.LR_SCHEDULER.WARMUP_COSINE_DECAY_EPOCHS: 400: want a value in [0, TRAIN.EPOCHS 360]"}},
		{"plateau patience", head + "TRAIN.PATIENCE: 5\nTRAIN.LR_SCHEDULER:\n  NAME: reduceonplateau\n  MIN_LR: 1.E-6\n  REDUCEONPLATEAU_PATIENCE: 5\n",
			[]string{"bad.yaml:6: TRAIN.LR_SCHEDULER.REDUCEONPLATEAU_PATIENCE: 5: must be below TRAIN.PATIENCE 5"}},
		{"test metric", head + "TEST.METRICS: ['psnr', 'fid']\n",
			[]string{`bad.yaml:2: TEST.METRICS: "fid": not supported by selfsup`}},
		{"use val as test", head + "DATA.TEST.USE_VAL_AS_TEST: True\n",
			[]string{"bad.yaml:2: DATA.TEST.USE_VAL_AS_TEST: needs DATA.VAL.CROSS_VAL"}},
		{"several errors at once", head + "TRAIN.EPOCHS: ten\nDATA.PATCH_SZE: (1, 1)\nMODEL.SOURCE: bmz\n",
			[]string{"bad.yaml:2: TRAIN.EPOCHS: want an integer", "bad.yaml:3: DATA.PATCH_SZE: unknown key"}},
		{"yaml syntax", head + "DATA: [\n",
			[]string{"config: bad.yaml: yaml: "}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.yaml), "bad.yaml")
			if err == nil {
				t.Fatalf("no error; config %+v", c)
			}
			msg := err.Error()
			at := 0
			for _, w := range tc.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("error\n%s\nlacks (in order) %q", msg, w)
				}
				at += i + len(w)
			}
		})
	}
}

func TestErrorsAreKeyErrors(t *testing.T) {
	_, err := Parse([]byte(head+"TRAIN.EPOCHS: ten\nMODEL.ARCHITECTURE: vit\n"), "x.yaml")
	var ke *Error
	if !errors.As(err, &ke) || ke.Key != "TRAIN.EPOCHS" || ke.Line != 2 || ke.File != "x.yaml" {
		t.Fatalf("errors.As: %#v from %v", ke, err)
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 2 {
		t.Errorf("%d errors, want 2: %v", n, err)
	}
}

func TestDottedNestedEquivalence(t *testing.T) {
	dotted := `PROBLEM.TYPE: SELF_SUPERVISED
PROBLEM.NDIM: 3D
PROBLEM.SELF_SUPERVISED.PRETEXT_TASK: masking
DATA.PATCH_SIZE: (32, 32, 32, 2)
DATA.TRAIN.PATH: /data/train
DATA.TEST.PADDING: (4, 4, 4)
MODEL.ARCHITECTURE: mae
MODEL.VIT_TOKEN_SIZE: 8
MODEL.MAE_MASK_TYPE: random
MODEL.MAE_MASK_RATIO: 0.75
TRAIN.ENABLE: True
TRAIN.LR: 1.E-4
TRAIN.OPT_BETAS: (0.9, 0.95)
AUGMENTOR.ZOOM_RANGE: (0.9, 1.1)
`
	nested := `# nested, with dotted keys inside sections
PROBLEM:
    TYPE: SELF_SUPERVISED
    NDIM: 3D
    SELF_SUPERVISED.PRETEXT_TASK: 'masking'
DATA:
    PATCH_SIZE: [32, 32, 32, 2]   # a list works as well as a tuple
    TRAIN: {PATH: /data/train}
    TEST.PADDING: (4,4,4)
MODEL:
    ARCHITECTURE: mae
    VIT_TOKEN_SIZE: 8
    MAE_MASK_TYPE: random
    MAE_MASK_RATIO: 0.75
TRAIN:
    ENABLE: true
    LR: 0.0001
    OPT_BETAS: [0.9, 0.95]
AUGMENTOR.ZOOM_RANGE: [0.9, 1.1]
`
	a, err := Parse([]byte(dotted), "dotted.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse([]byte(nested), "nested.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !sameValues(a, b) {
		t.Fatalf("dotted and nested differ:\n%s\n---\n%s", a.YAML(), b.YAML())
	}
	if a.Data.Test.Overlap == nil || len(a.Data.Test.Overlap) != 3 || a.Data.Train.SSLSourceDir != "/data/train_ssl_source" {
		t.Errorf("derived values: overlap %v, ssl dir %q", a.Data.Test.Overlap, a.Data.Train.SSLSourceDir)
	}
	if a.Line("MODEL.MAE_MASK_RATIO") != 10 || b.Line("MODEL.MAE_MASK_RATIO") != 14 {
		t.Errorf("lines %d, %d", a.Line("MODEL.MAE_MASK_RATIO"), b.Line("MODEL.MAE_MASK_RATIO"))
	}
}

// TestDefaults checks Defaults against SPEC Part B §1 key by key (as YAML literals).
func TestDefaults(t *testing.T) {
	want := map[string]string{
		"PROBLEM.TYPE": "SELF_SUPERVISED", "PROBLEM.NDIM": "'2D'",
		"PROBLEM.SELF_SUPERVISED.PRETEXT_TASK": "crappify", "PROBLEM.SELF_SUPERVISED.RESIZING_FACTOR": "4",
		"PROBLEM.SELF_SUPERVISED.NOISE": "0.2", "PROBLEM.SUPER_RESOLUTION.UPSCALING": "()",
		"DATA.PATCH_SIZE": "(256, 256, 1)", "DATA.EXTRACT_RANDOM_PATCH": "False",
		"DATA.NORMALIZATION.TYPE": "zero_mean_unit_variance", "DATA.NORMALIZATION.MEASURE_BY": "image",
		"DATA.NORMALIZATION.PERC_CLIP.LOWER_PERC": "-1.0", "DATA.NORMALIZATION.ZERO_MEAN_UNIT_VAR.STD_VAL": "-1.0",
		"DATA.TRAIN.PATH": "user_data/train/x", "DATA.TRAIN.SSL_SOURCE_DIR": "user_data/train/x_ssl_source",
		"DATA.TRAIN.IN_MEMORY": "True", "DATA.TRAIN.OVERLAP": "(0.0, 0.0)", "DATA.TRAIN.PADDING": "(0, 0)",
		"DATA.VAL.FROM_TRAIN": "True", "DATA.VAL.SPLIT_TRAIN": "0.1", "DATA.VAL.CROSS_VAL_NFOLD": "5",
		"DATA.VAL.CROSS_VAL_FOLD": "1", "DATA.TEST.IN_MEMORY": "False", "DATA.TEST.SSL_SOURCE_DIR": "user_data/test/x_ssl_source",
		"MODEL.SOURCE": "biapy", "MODEL.ARCHITECTURE": "unet", "MODEL.FEATURE_MAPS": "[16, 32, 64, 128, 256]",
		"MODEL.DROPOUT_VALUES": "[0.0, 0.0, 0.0, 0.0, 0.0]", "MODEL.NORMALIZATION": "bn", "MODEL.KERNEL_SIZE": "3",
		"MODEL.UPSAMPLE_LAYER": "convtranspose", "MODEL.ACTIVATION": "ELU", "MODEL.Z_DOWN": "[0, 0, 0, 0]",
		"MODEL.VIT_TOKEN_SIZE": "16", "MODEL.VIT_EMBED_DIM": "768", "MODEL.VIT_NUM_LAYERS": "12", "MODEL.VIT_NUM_HEADS": "12",
		"MODEL.VIT_MLP_RATIO": "4.0", "MODEL.VIT_NORM_EPS": "1e-06", "MODEL.MAE_DEC_HIDDEN_SIZE": "512",
		"MODEL.MAE_DEC_NUM_LAYERS": "8", "MODEL.MAE_DEC_NUM_HEADS": "16", "MODEL.MAE_DEC_MLP_DIMS": "2048",
		"MODEL.MAE_MASK_TYPE": "grid", "MODEL.MAE_MASK_RATIO": "0.5", "MODEL.RCAN_RG_BLOCK_NUM": "10",
		"MODEL.RCAN_RCAB_BLOCK_NUM": "20", "MODEL.RCAN_CONV_FILTERS": "16", "MODEL.RCAN_REDUCTION_RATIO": "16",
		"MODEL.RCAN_UPSCALING_LAYER": "True", "MODEL.SAVE_CKPT_FREQ": "-1", "MODEL.LOAD_CHECKPOINT_EPOCH": "best_on_val",
		"LOSS.TYPE": "''", "LOSS.WEIGHTS": "[0.66, 0.34]",
		"TRAIN.ENABLE": "False", "TRAIN.OPTIMIZER": "SGD", "TRAIN.LR": "0.0001", "TRAIN.W_DECAY": "0.02",
		"TRAIN.OPT_BETAS": "(0.9, 0.999)", "TRAIN.BATCH_SIZE": "2", "TRAIN.ACCUM_ITER": "1", "TRAIN.EPOCHS": "360",
		"TRAIN.PATIENCE": "-1", "TRAIN.LR_SCHEDULER.NAME": "''", "TRAIN.LR_SCHEDULER.MIN_LR": "-1.0",
		"TRAIN.LR_SCHEDULER.REDUCEONPLATEAU_FACTOR": "0.5", "TRAIN.LR_SCHEDULER.REDUCEONPLATEAU_PATIENCE": "-1",
		"TRAIN.LR_SCHEDULER.WARMUP_COSINE_DECAY_EPOCHS": "-1", "TRAIN.METRICS": "[]",
		"AUGMENTOR.ENABLE": "False", "AUGMENTOR.DA_PROB": "0.5", "AUGMENTOR.RANDOM_ROT_RANGE": "(-180.0, 180.0)",
		"AUGMENTOR.ZOOM_RANGE": "(0.8, 1.2)", "AUGMENTOR.E_SIGMA": "4.0", "AUGMENTOR.MB_KERNEL": "(3, 7)",
		"AUGMENTOR.AFFINE_MODE": "reflect", "AUGMENTOR.BRIGHTNESS_MODE": "'3D'", "AUGMENTOR.MS_DISPLACEMENT": "16",
		"TEST.ENABLE": "False", "TEST.VERBOSE": "True", "TEST.AUGMENTATION_MODE": "mean", "TEST.METRICS": "[]",
		"LOG.CHART_CREATION_FREQ": "5", "SYSTEM.NUM_CPUS": "-1", "SYSTEM.SEED": "0", "SYSTEM.DEVICE": "cpu",
	}
	got := map[string]string{}
	section := []string{}
	for _, line := range strings.Split(string(Defaults().YAML()), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		depth := (len(line) - len(strings.TrimLeft(line, " "))) / 4
		k, v, _ := strings.Cut(strings.TrimSpace(line), ": ")
		section = section[:depth]
		if strings.HasSuffix(k, ":") {
			section = append(section, strings.TrimSuffix(k, ":"))
			continue
		}
		got[strings.Join(append(section, k), ".")] = v
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %s, want %s", k, got[k], w)
		}
	}
	if len(got) != len(Keys()) {
		t.Errorf("YAML() writes %d keys, Keys() lists %d", len(got), len(Keys()))
	}
	if err := Defaults().Check(); err != nil {
		t.Errorf("Defaults().Check(): %v", err)
	}
}

func TestLegacyKeys(t *testing.T) {
	c, err := Parse([]byte(head+"DATA.TRAIN.MASK_PATH: /y\nMODEL.N_CLASSES: 3\nTEST.STATS.PER_PATCH: True\nAUGMENTOR.GRIDMASK: False\n"), "old.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Data.Train.GTPath != "/y" || c.Data.NClasses != 3 {
		t.Errorf("renames not applied: %q %d", c.Data.Train.GTPath, c.Data.NClasses)
	}
	w := strings.Join(c.Warnings(), "\n")
	for _, s := range []string{"old.yaml:2: DATA.TRAIN.MASK_PATH: renamed DATA.TRAIN.GT_PATH", "old.yaml:4: TEST.STATS.PER_PATCH: pre-v3 key, ignored"} {
		if !strings.Contains(w, s) {
			t.Errorf("warnings\n%s\nlack %q", w, s)
		}
	}
}

func TestLiterals(t *testing.T) {
	cases := []struct {
		yaml string
		get  func(*Config) any
		want any
	}{
		{"TRAIN.LR: 1.E-4", func(c *Config) any { return c.Train.LR }, 1e-4},
		{"TRAIN.LR: '1e-3'", func(c *Config) any { return c.Train.LR }, 1e-3},
		{"TRAIN.LR: 2", func(c *Config) any { return c.Train.LR }, 2.0},
		{"TRAIN.ENABLE: True", func(c *Config) any { return c.Train.Enable }, true},
		{"TRAIN.ENABLE: yes", func(c *Config) any { return c.Train.Enable }, true},
		{"DATA.PATCH_SIZE: (256,256,1)", func(c *Config) any { return c.Data.PatchSize }, []int{256, 256, 1}},
		{"DATA.PATCH_SIZE: '(64, 64, 3)'", func(c *Config) any { return c.Data.PatchSize }, []int{64, 64, 3}},
		{"PROBLEM.SUPER_RESOLUTION.UPSCALING: (1,)", func(c *Config) any { return c.Problem.SuperResolution.Upscaling }, []int{1}},
		{"MODEL.ISOTROPY: [True, False, True, True, True]", func(c *Config) any { return c.Model.Isotropy }, []bool{true, false, true, true, true}},
		{"TRAIN.METRICS: ['psnr', \"ssim\"]", func(c *Config) any { return c.Train.Metrics }, []string{"psnr", "ssim"}},
		{"TRAIN.METRICS: [psnr, mae]", func(c *Config) any { return c.Train.Metrics }, []string{"psnr", "mae"}},
		{"AUGMENTOR.RANDOM_ROT_RANGE: (-90, 90)", func(c *Config) any { return c.Augmentor.RandomRotRange }, [2]float64{-90, 90}},
		{"DATA.TRAIN.PATH: /a b/c", func(c *Config) any { return c.Data.Train.Path }, "/a b/c"},
		{"PROBLEM.NDIM: '2D'", func(c *Config) any { return c.Problem.NDim }, "2D"},
	}
	for _, tc := range cases {
		t.Run(tc.yaml, func(t *testing.T) {
			c, err := Parse([]byte(head+tc.yaml+"\n"), "lit.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.get(c); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestValidatePaths(t *testing.T) {
	dir := t.TempDir()
	c, err := Parse([]byte(head+"TRAIN.ENABLE: True\nDATA.TRAIN.PATH: "+dir+"\nTEST.ENABLE: True\nDATA.TEST.PATH: "+filepath.Join(dir, "missing")+"\n"), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if err == nil || !strings.Contains(err.Error(), "p.yaml:5: DATA.TEST.PATH: folder") || strings.Contains(err.Error(), "DATA.TRAIN.PATH") {
		t.Fatalf("Validate: %v", err)
	}
	c.Data.Test.Path = dir
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

func TestSetJob(t *testing.T) {
	c := Defaults()
	c.SetJob("/out", "exp", 2)
	if c.Paths.Checkpoint != "/out/exp/checkpoints" || c.Log.LogDir != "/out/exp/train_logs" ||
		c.Paths.Charts != "/out/exp/results/exp_2/charts" || c.Log.LogFilePrefix != "exp_2" ||
		c.Paths.MAEOutDir != "/out/exp/results/exp_2/MAE_checks" {
		t.Errorf("paths %+v %+v", c.Paths, c.Log)
	}
}
