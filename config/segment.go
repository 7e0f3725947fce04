package config

import (
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/models"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train/segment"
)

// SemanticSegType is the PROBLEM.TYPE of the semantic segmentation workflow
// (package train/segment), the downstream task of a pretrained model.
const SemanticSegType = "SEMANTIC_SEG"

// segLosses are the LOSS.TYPE values of SEMANTIC_SEG ("" means CE).
var segLosses = []string{"", segment.LossCE, segment.LossDice, segment.LossCEDice}

// sslMetrics returns the TRAIN.METRICS / TEST.METRICS values the self-supervised
// rules check: none for SEMANTIC_SEG, which always reports IoU and Dice.
func (k *checker) sslMetrics(ms []string) []string {
	if k.c.Problem.Type == SemanticSegType {
		return nil
	}
	return ms
}

// semanticSeg checks the SEMANTIC_SEG keys: LOSS.TYPE, LOSS.WEIGHTS, DATA.N_CLASSES
// and an architecture with a segmentation head. The GT_PATH keys have BiaPy's
// defaults; the folders are checked when loaded.
func (k *checker) semanticSeg() {
	c := k.c
	if !slices.Contains(segLosses, c.Loss.Type) {
		k.bad("LOSS.TYPE", "%q: want CE, DICE or W_CE_DICE for SEMANTIC_SEG", c.Loss.Type)
	}
	if c.Loss.Type == segment.LossCEDice && len(c.Loss.Weights) != 2 {
		k.bad("LOSS.WEIGHTS", "%v: want two weights (CE, Dice)", c.Loss.Weights)
	}
	if c.Data.NClasses < 2 {
		k.bad("DATA.N_CLASSES", "%d: want at least 2 (2: binary)", c.Data.NClasses)
	}
	if !slices.Contains(segArchitectures, c.Model.Architecture) {
		k.bad("MODEL.ARCHITECTURE", "%q: SEMANTIC_SEG supports %v", c.Model.Architecture, segArchitectures)
	}
}

// segArchitectures are the architectures [Config.NewSegModel] builds.
var segArchitectures = []string{"unet", "resunet", "resunet++", "attention_unet", "seunet", "resunet_se", "unetr"}

// NewSegModel builds MODEL.ARCHITECTURE for segmentation with out output channels
// (1 for a binary problem, DATA.N_CLASSES otherwise), weights from rng.
func (c *Config) NewSegModel(rng *tensor.RNG, out int) (nn.Module, error) {
	var (
		m   nn.Module
		err error
	)
	uo := c.UNetOptions()
	uo.OutChannels = out
	switch a := c.Model.Architecture; a {
	case "unet":
		m, err = models.NewUNet(uo, rng)
	case "resunet":
		m, err = models.NewResUNet(uo, rng)
	case "resunet++":
		m, err = models.NewResUNetPlusPlus(uo, rng)
	case "attention_unet":
		m, err = models.NewAttentionUNet(uo, rng)
	case "seunet":
		m, err = models.NewSEUNet(uo, rng)
	case "resunet_se":
		m, err = models.NewResUNetSE(uo, rng)
	case "unetr":
		vo := c.UNETROptions()
		vo.OutChannels = out
		m, err = models.NewUNETR(vo, rng)
	default:
		return nil, fmt.Errorf("config: MODEL.ARCHITECTURE %q: not supported for SEMANTIC_SEG (want one of %v)", a, segArchitectures)
	}
	if err != nil {
		return nil, fmt.Errorf("config: MODEL.ARCHITECTURE %s: %w", c.Model.Architecture, err)
	}
	return m, nil
}

// SegmentOptions returns the [segment.Options] of a SEMANTIC_SEG configuration for
// job: model (MODEL.*, DATA.N_CLASSES), loss (LOSS.TYPE, LOSS.WEIGHTS), labelled data
// folders (DATA.TRAIN/VAL/TEST.PATH and GT_PATH) and patches, augmentation, training
// loop and test phase, and the pretrained checkpoint (MODEL.LOAD_CHECKPOINT with
// PATHS.CHECKPOINT_FILE, MODEL.SKIP_UNMATCHED_LAYERS; the head is re-initialised).
// Device, Out and Log are left for the caller. Without training, a loaded checkpoint
// is the test phase's weights instead.
func (c *Config) SegmentOptions(job Job) segment.Options {
	p := c.PretrainOptions(job) // the shared keys, mapped once
	d := c.Data
	o := segment.Options{
		NewModel: c.NewSegModel,
		Classes:  d.NClasses,
		Loss:     c.Loss.Type,
		Data: segment.DataOptions{
			TrainDir: d.Train.Path, TrainLabelDir: d.Train.GTPath,
			ValDir: p.Data.ValDir, ValSplit: p.Data.ValSplit, ValRandom: p.Data.ValRandom,
			TestDir:                d.Test.Path,
			Patch:                  p.Data.Patch,
			Normalization:          p.Data.Normalization,
			ReflectToCompleteShape: p.Data.ReflectToCompleteShape,
			ExtractRandomPatch:     p.Data.ExtractRandomPatch,
			TrainOverlap:           p.Data.TrainOverlap,
			TrainPadding:           p.Data.TrainPadding,
			ValOverlap:             p.Data.ValOverlap,
			ValPadding:             p.Data.ValPadding,
		},
		Augment: p.Augment,
		Train:   p.Train,
		Test:    p.Test,
		Paths:   p.Paths,
	}
	if o.Data.ValDir != "" {
		o.Data.ValLabelDir = d.Val.GTPath
	}
	if d.Test.LoadGT {
		o.Data.TestLabelDir = d.Test.GTPath
	}
	if w := c.Loss.Weights; c.Loss.Type == segment.LossCEDice && len(w) == 2 {
		o.LossWeights = [2]float64{w[0], w[1]}
	}
	if c.Model.LoadCheckpoint && c.Paths.CheckpointFile != "" {
		if c.Train.Enable {
			o.Pretrained.Checkpoint = c.Paths.CheckpointFile
			o.Pretrained.Transfer.SkipUnmatched = c.Model.SkipUnmatchedLayers
		} else {
			o.Checkpoint = c.Paths.CheckpointFile
		}
	}
	return o
}
