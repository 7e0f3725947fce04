package config

import (
	"fmt"
	"slices"
	"testing"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/models"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// TestNewModel builds every architecture from a small configuration and checks that
// the self-supervised head maps [N, C, *patch] to the same shape.
func TestNewModel(t *testing.T) {
	const u2 = "DATA.PATCH_SIZE: (32, 32, 2)\nMODEL.FEATURE_MAPS: [4, 8, 16]\n"
	const se = "DATA.PATCH_SIZE: (16, 16, 2)\nMODEL.FEATURE_MAPS: [16, 16, 32]\n"
	cases := []struct{ name, yaml string }{
		{"unet", u2 + "MODEL.ARCHITECTURE: unet\nMODEL.DROPOUT_VALUES: [0.1, 0.1, 0.2]\n"},
		{"resunet", u2 + "MODEL.ARCHITECTURE: resunet\n"},
		{"resunet++", se + "MODEL.ARCHITECTURE: resunet++\n"},
		{"attention_unet", u2 + "MODEL.ARCHITECTURE: attention_unet\n"},
		{"seunet", se + "MODEL.ARCHITECTURE: seunet\n"},
		{"resunet_se", se + "MODEL.ARCHITECTURE: resunet_se\n"},
		{"unet 3D", "PROBLEM.NDIM: 3D\nDATA.PATCH_SIZE: (6, 16, 16, 1)\nMODEL.FEATURE_MAPS: [4, 8, 16]\nMODEL.Z_DOWN: [1, 1]\n"},
		{"multiresunet", "DATA.PATCH_SIZE: (16, 16, 1)\nMODEL.ARCHITECTURE: multiresunet\n"},
		{"rcan", "DATA.PATCH_SIZE: (8, 8, 1)\nMODEL.ARCHITECTURE: rcan\nMODEL.RCAN_RG_BLOCK_NUM: 1\nMODEL.RCAN_RCAB_BLOCK_NUM: 1\n"},
		{"edsr", "DATA.PATCH_SIZE: (8, 8, 1)\nMODEL.ARCHITECTURE: edsr\n"},
		{"wdsr", "DATA.PATCH_SIZE: (8, 8, 1)\nMODEL.ARCHITECTURE: wdsr\n"},
		{"dfcan", "DATA.PATCH_SIZE: (8, 8, 1)\nMODEL.ARCHITECTURE: dfcan\n"},
		{"unetr", "DATA.PATCH_SIZE: (16, 16, 1)\nMODEL.ARCHITECTURE: unetr\nMODEL.VIT_TOKEN_SIZE: 4\nMODEL.VIT_EMBED_DIM: 16\nMODEL.VIT_NUM_HEADS: 2\nMODEL.VIT_NUM_LAYERS: 3\nMODEL.UNETR_VIT_NUM_FILTERS: 4\n"},
		{"mae", "PROBLEM.SELF_SUPERVISED.PRETEXT_TASK: masking\nDATA.PATCH_SIZE: (16, 16, 1)\nMODEL.ARCHITECTURE: mae\nMODEL.VIT_TOKEN_SIZE: 4\nMODEL.VIT_EMBED_DIM: 16\nMODEL.VIT_NUM_HEADS: 2\nMODEL.VIT_NUM_LAYERS: 1\nMODEL.MAE_DEC_HIDDEN_SIZE: 16\nMODEL.MAE_DEC_NUM_LAYERS: 1\nMODEL.MAE_DEC_NUM_HEADS: 2\nMODEL.MAE_DEC_MLP_DIMS: 32\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(head+tc.yaml), tc.name+".yaml")
			if err != nil {
				t.Fatal(err)
			}
			m, err := c.NewModel(tensor.NewRNG(1))
			if err != nil {
				t.Fatal(err)
			}
			if ts, ok := m.(nn.TrainingSetter); ok {
				ts.SetTraining(false)
			}
			shape := append([]int{1, c.Channels()}, c.Data.PatchSize[:c.Spatial()]...)
			out := m.Forward(nil, nn.NewVar(tensor.Zeros(tensor.CPU{}, shape...)))
			if !slices.Equal(out.Shape(), shape) {
				t.Errorf("output %v, want %v", out.Shape(), shape)
			}
		})
	}
}

func TestOptionBuilders(t *testing.T) {
	c, err := Parse([]byte(head+`PROBLEM.SELF_SUPERVISED.PRETEXT_TASK: masking
DATA.PATCH_SIZE: (64, 64, 3)
DATA.NORMALIZATION:
  TYPE: scale_range
  PERC_CLIP: {ENABLE: True, LOWER_PERC: 1, UPPER_PERC: 99.5, UPPER_VALUE: 200}
MODEL.ARCHITECTURE: mae
MODEL.MAE_MASK_TYPE: random
MODEL.MAE_MASK_RATIO: 0.75
AUGMENTOR:
  ENABLE: True
  VFLIP: True
  ZOOM_RANGE: (0.9, 1.1)
TRAIN:
  OPTIMIZER: ADAMW
  LR: 1.E-3
  OPT_BETAS: (0.9, 0.95)
  LR_SCHEDULER: {NAME: warmupcosine, MIN_LR: 1.E-5, WARMUP_COSINE_DECAY_EPOCHS: 10}
`), "b.yaml")
	if err != nil {
		t.Fatal(err)
	}
	mo := c.MAEOptions()
	if want := (models.MAEOptions{NDim: 2, ImgSize: 64, PatchSize: 16, InChannels: 3, EmbedDim: 768, Depth: 12, Heads: 12, MLPRatio: 4,
		DecoderDim: 512, DecoderDepth: 8, DecoderHeads: 16, DecoderMLPDim: 2048, Eps: 1e-6, MaskType: "random", MaskRatio: 0.75}); mo != want {
		t.Errorf("MAEOptions %+v, want %+v", mo, want)
	}
	ao := c.AugmentOptions()
	if !ao.VFlip || ao.HFlip || ao.ZoomRange != [2]float64{0.9, 1.1} || ao.DAProb != 0.5 || ao.TargetIsMask {
		t.Errorf("AugmentOptions %+v", ao)
	}
	c.Augmentor.Enable = false
	if ao := c.AugmentOptions(); ao.VFlip {
		t.Errorf("AUGMENTOR.ENABLE False still flips")
	}
	no := c.Normalization()
	if no.Type != data.NormScaleRange || !no.PercentileClip || no.LowerPerc != 1 || no.LowerValue != nil || no.UpperValue == nil || *no.UpperValue != 200 || no.Mean != nil {
		t.Errorf("Normalization %+v", no)
	}
	if err := no.Validate(); err != nil {
		t.Error(err)
	}
	oo := c.OptimizerOptions()
	if oo.Kind != "ADAMW" || oo.LR != 1e-5 || oo.WeightDecay != 0.02 || oo.Beta1 != 0.9 || oo.Beta2 != 0.95 {
		t.Errorf("OptimizerOptions %+v", oo)
	}
	d := Defaults()
	uo := d.UNetOptions()
	if uo.Ndim != 2 || uo.InChannels != 1 || uo.OutChannels != 1 || uo.DropValues != nil || !slices.Equal(uo.ZDown, []int{2, 2, 2, 2}) || uo.Isotropy != nil {
		t.Errorf("UNetOptions %+v", uo)
	}
	if ro := d.RCANOptions(); ro.Scale != 1 || ro.Groups != 10 || ro.RCABs != 20 || ro.NoUpscalingLayer {
		t.Errorf("RCANOptions %+v", ro)
	}
	if zo := d.Normalization(); zo.Type != data.NormZeroMeanUnitVar || zo.Mean != nil || zo.Std != nil {
		t.Errorf("default Normalization %+v", zo)
	}
}

func TestNewScheduler(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want string // %T of the scheduler
	}{
		{"", "<nil>"},
		{"TRAIN.LR_SCHEDULER: {NAME: warmupcosine, MIN_LR: 1.E-6, WARMUP_COSINE_DECAY_EPOCHS: 5}\n", "*train.WarmupCosine"},
		{"TRAIN.LR_SCHEDULER: {NAME: reduceonplateau, MIN_LR: 1.E-6, REDUCEONPLATEAU_PATIENCE: 3}\n", "*train.ReduceOnPlateau"},
		{"TRAIN.LR_SCHEDULER.NAME: onecycle\n", "*train.OneCycle"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			c, err := Parse([]byte(head+tc.yaml), "s.yaml")
			if err != nil {
				t.Fatal(err)
			}
			s, err := c.NewScheduler(10)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%T", s); got != tc.want {
				t.Errorf("scheduler %s, want %s", got, tc.want)
			}
		})
	}
}

func TestMetricLists(t *testing.T) {
	c, err := Parse([]byte(head+"TEST.METRICS: [PSNR, ssim]\n"), "m.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.TrainMetrics(); !slices.Equal(got, []string{"psnr", "mae", "mse", "ssim"}) {
		t.Errorf("TrainMetrics %v", got)
	}
	if got := c.TestMetrics(); !slices.Equal(got, []string{"psnr", "ssim"}) {
		t.Errorf("TestMetrics %v", got)
	}
}
