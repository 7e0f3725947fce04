package config

import (
	"strings"
	"testing"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train/segment"
)

// TestSegmentOptions checks that a BiaPy SEMANTIC_SEG file loads and maps onto
// segment.Options.
func TestSegmentOptions(t *testing.T) {
	const base = "PROBLEM.TYPE: SEMANTIC_SEG\nTRAIN.ENABLE: True\nTEST.ENABLE: True\nDATA.TRAIN.PATH: tr\n" +
		"DATA.TRAIN.GT_PATH: trl\nDATA.TEST.PATH: te\nDATA.TEST.GT_PATH: tel\nDATA.TEST.LOAD_GT: True\n" +
		"DATA.PATCH_SIZE: (64, 64, 1)\nTRAIN.METRICS: ['iou']\nTEST.METRICS: ['iou']\n"
	job := Job{ResultDir: "out", Name: "seg", RunID: 2}
	cases := []struct {
		name  string
		yaml  string
		check func(t *testing.T, o segment.Options)
	}{
		{"binary defaults", "", func(t *testing.T, o segment.Options) {
			d := o.Data
			if o.Classes != 2 || o.Loss != "" || d.TrainDir != "tr" || d.TrainLabelDir != "trl" || d.TestDir != "te" || d.TestLabelDir != "tel" {
				t.Errorf("classes %d loss %q data %+v", o.Classes, o.Loss, d)
			}
			if d.ValSplit != 0.1 || d.ValDir != "" || o.Pretrained.Checkpoint != "" || !o.Train.Enable || !o.Test.Enable {
				t.Errorf("val split %v dir %q pretrained %+v", d.ValSplit, d.ValDir, o.Pretrained)
			}
			if o.Paths.Name != "seg" || o.Paths.RunID != 2 {
				t.Errorf("paths %+v", o.Paths)
			}
			m, err := o.NewModel(tensor.NewRNG(1), 1)
			if err != nil {
				t.Fatal(err)
			}
			out := m.Forward(nil, nn.NewVar(tensor.Full(tensor.CPU{}, 0, 1, 1, 64, 64))).Shape()
			if out[1] != 1 {
				t.Errorf("output %v, want one channel", out)
			}
		}},
		{"multi-class, dice, pretrained, separate validation",
			"DATA.N_CLASSES: 4\nLOSS.TYPE: W_CE_DICE\nLOSS.WEIGHTS: [0.3, 0.7]\nMODEL.LOAD_CHECKPOINT: True\n" +
				"PATHS.CHECKPOINT_FILE: segment_test.go\nMODEL.SKIP_UNMATCHED_LAYERS: True\n" +
				"DATA.VAL.FROM_TRAIN: False\nDATA.VAL.PATH: va\nDATA.VAL.GT_PATH: val\n",
			func(t *testing.T, o segment.Options) {
				if o.Classes != 4 || o.Loss != segment.LossCEDice || o.LossWeights != [2]float64{0.3, 0.7} {
					t.Errorf("classes %d loss %q weights %v", o.Classes, o.Loss, o.LossWeights)
				}
				p := o.Pretrained
				if p.Checkpoint != "segment_test.go" || !p.Transfer.SkipUnmatched || p.Transfer.KeepHead {
					t.Errorf("pretrained %+v", p)
				}
				if o.Data.ValDir != "va" || o.Data.ValLabelDir != "val" || o.Data.ValSplit != 0 {
					t.Errorf("validation %+v", o.Data)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(base+tc.yaml), "c.yaml")
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c.SegmentOptions(job))
		})
	}
}

func TestSegmentRules(t *testing.T) {
	const base = "PROBLEM.TYPE: SEMANTIC_SEG\nTRAIN.ENABLE: True\nDATA.TRAIN.PATH: tr\nDATA.PATCH_SIZE: (64, 64, 1)\n"
	for _, tc := range []struct {
		name, yaml, key string
	}{
		{"ssl loss", "LOSS.TYPE: MAE\n", "LOSS.TYPE"},
		{"one class", "DATA.TRAIN.GT_PATH: l\nDATA.N_CLASSES: 1\n", "DATA.N_CLASSES"},
		{"no seg head", "DATA.TRAIN.GT_PATH: l\nMODEL.ARCHITECTURE: rcan\n", "MODEL.ARCHITECTURE"},
		{"other type", "DATA.TRAIN.GT_PATH: l\nPROBLEM.TYPE: DETECTION\n", "PROBLEM.TYPE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := base + tc.yaml
			if strings.Contains(tc.yaml, "PROBLEM.TYPE") {
				y = strings.Replace(y, "PROBLEM.TYPE: SEMANTIC_SEG\n", "", 1)
			}
			_, err := Parse([]byte(y), "c.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("error %v, want one naming %s", err, tc.key)
			}
		})
	}
}
