package config

import (
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/models"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// AugmentOptions returns the AUGMENTOR.* settings as [data.AugmentOptions] for the
// self-supervised (input, target) pairs (the target is an image, not a mask). With
// AUGMENTOR.ENABLE False every transform is off.
func (c *Config) AugmentOptions() data.AugmentOptions {
	a := c.Augmentor
	o := data.AugmentOptions{
		DAProb:                     a.DAProb,
		RandomRotRange:             a.RandomRotRange,
		ShearRange:                 a.ShearRange,
		ZoomRange:                  a.ZoomRange,
		ZoomInZ:                    a.ZoomInZ,
		ShiftRange:                 a.ShiftRange,
		AffineMode:                 a.AffineMode,
		ElasticAlpha:               a.EAlpha,
		ElasticSigma:               a.ESigma,
		ElasticMode:                a.EMode,
		GaussianSigma:              a.GSigma,
		MedianKernel:               a.MBKernel,
		GammaRange:                 a.GCGamma,
		BrightnessFactor:           a.BrightnessFactor,
		BrightnessMode:             a.BrightnessMode,
		ContrastFactor:             a.ContrastFactor,
		ContrastMode:               a.ContrastMode,
		GaussianNoiseMean:          a.GaussianNoiseMean,
		GaussianNoiseVar:           a.GaussianNoiseVar,
		GaussianNoiseUseInputStats: a.GaussianNoiseUseInputImgMeanAndVar,
		SaltAndPepperAmount:        a.SaltAndPepperAmount,
		SaltAndPepperProp:          a.SaltAndPepperProp,
		CutoutIterations:           a.CoutNbIterations,
		CutoutSize:                 a.CoutSize,
		CutoutCval:                 a.CoutCval,
		CutoutApplyToMask:          a.CoutApplyToMask,
		MissingSectionsIterations:  a.MisspIterations,
		MisalignmentDisplacement:   a.MSDisplacement,
		MisalignmentRotateRatio:    a.MSRotateRatio,
	}
	if !a.Enable {
		return o
	}
	o.Rot90, o.RandomRot, o.Shear, o.Zoom, o.Shift = a.Rot90, a.RandomRot, a.Shear, a.Zoom, a.Shift
	o.VFlip, o.HFlip, o.ZFlip = a.VFlip, a.HFlip, a.ZFlip
	o.Elastic, o.GaussianBlur, o.MedianBlur, o.GammaContrast = a.Elastic, a.GBlur, a.MedianBlur, a.GammaContrast
	o.Brightness, o.Contrast, o.GaussianNoise, o.PoissonNoise = a.Brightness, a.Contrast, a.GaussianNoise, a.PoissonNoise
	o.SaltAndPepper, o.Cutout, o.MissingSections, o.Misalignment = a.SaltAndPepper, a.Cutout, a.MissingSections, a.Misalignment
	return o
}

// Normalization returns DATA.NORMALIZATION.* as [data.Normalization]: -1 values of
// PERC_CLIP.LOWER_VALUE/UPPER_VALUE and ZERO_MEAN_UNIT_VAR.MEAN_VAL/STD_VAL mean
// "measured per image" (nil).
func (c *Config) Normalization() data.Normalization {
	n := c.Data.Normalization
	opt := func(v float64) *float64 {
		if v == -1 {
			return nil
		}
		return &v
	}
	out := data.Normalization{
		Type:           data.NormType(n.Type),
		PercentileClip: n.PercClip.Enable,
		LowerPerc:      n.PercClip.LowerPerc,
		UpperPerc:      n.PercClip.UpperPerc,
	}
	if n.PercClip.Enable {
		out.LowerValue, out.UpperValue = opt(n.PercClip.LowerValue), opt(n.PercClip.UpperValue)
	}
	if n.Type == "zero_mean_unit_variance" {
		out.Mean, out.Std = opt(n.ZeroMeanUnitVar.MeanVal), opt(n.ZeroMeanUnitVar.StdVal)
	}
	return out
}

// dropout32 returns MODEL.DROPOUT_VALUES as float32, nil when all are zero (BiaPy
// then resizes them to one zero per level).
func (c *Config) dropout32() []float32 {
	v := c.Model.DropoutValues
	if !slices.ContainsFunc(v, func(x float64) bool { return x != 0 }) {
		return nil
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// UNetOptions returns the MODEL.* settings of the U-Net family (unet, resunet,
// resunet++, attention_unet, seunet, resunet_se) as [models.UNetOptions], with C input
// and C output channels (C = DATA.PATCH_SIZE[-1]).
func (c *Config) UNetOptions() models.UNetOptions {
	m := c.Model
	o := models.UNetOptions{
		Ndim:          c.Spatial(),
		InChannels:    c.Channels(),
		OutChannels:   c.Channels(),
		FeatureMaps:   slices.Clone(m.FeatureMaps),
		DropValues:    c.dropout32(),
		Normalization: m.Normalization,
		KernelSize:    m.KernelSize,
		UpsampleLayer: m.UpsampleLayer,
		Activation:    m.Activation,
		ZDown:         c.zDown(max(len(m.FeatureMaps)-1, 0)),
		LargerIO:      m.LargerIO,
	}
	if m.Architecture == "resunet" || m.Architecture == "seunet" || m.Architecture == "resunet_se" {
		o.Isotropy = slices.Clone(m.Isotropy)
	}
	return o
}

// MultiResUNetOptions returns the multiresunet settings (MODEL.Z_DOWN; BiaPy
// hard-codes the widths) as [models.MultiResUNetOptions].
func (c *Config) MultiResUNetOptions() models.MultiResUNetOptions {
	return models.MultiResUNetOptions{NDim: c.Spatial(), InChannels: c.Channels(), OutChannels: c.Channels(), ZDown: c.zDown(4)}
}

// MAEOptions returns the mae settings (MODEL.VIT_*, MAE_*) as [models.MAEOptions].
func (c *Config) MAEOptions() models.MAEOptions {
	m := c.Model
	return models.MAEOptions{
		NDim:          c.Spatial(),
		ImgSize:       c.patchSide(),
		PatchSize:     m.ViTTokenSize,
		InChannels:    c.Channels(),
		EmbedDim:      m.ViTEmbedDim,
		Depth:         m.ViTNumLayers,
		Heads:         m.ViTNumHeads,
		MLPRatio:      m.ViTMLPRatio,
		DecoderDim:    m.MAEDecHiddenSize,
		DecoderDepth:  m.MAEDecNumLayers,
		DecoderHeads:  m.MAEDecNumHeads,
		DecoderMLPDim: m.MAEDecMLPDims,
		Eps:           float32(m.ViTNormEps),
		MaskType:      m.MAEMaskType,
		MaskRatio:     m.MAEMaskRatio,
	}
}

// UNETROptions returns the unetr settings (MODEL.VIT_*, UNETR_*, NORMALIZATION,
// DROPOUT_VALUES[0]) as [models.UNETROptions]. VIT_NORM_EPS is not passed: BiaPy's
// UNETR uses LayerNorm's default eps.
func (c *Config) UNETROptions() models.UNETROptions {
	m := c.Model
	o := models.UNETROptions{
		Dims:              c.Spatial(),
		ImageSize:         c.patchSide(),
		InChannels:        c.Channels(),
		OutChannels:       c.Channels(),
		PatchSize:         m.ViTTokenSize,
		EmbedDim:          m.ViTEmbedDim,
		Depth:             m.ViTNumLayers,
		NumHeads:          m.ViTNumHeads,
		MLPRatio:          m.ViTMLPRatio,
		NumFilters:        m.UNETRViTNumFilters,
		HiddMult:          m.UNETRViTHiddMult,
		DecoderActivation: m.UNETRDecActivation,
		Normalization:     m.Normalization,
		KernelSize:        m.UNETRDecKernelSize,
	}
	if len(m.DropoutValues) > 0 {
		o.Dropout = float32(m.DropoutValues[0])
	}
	return o
}

// RCANOptions returns the rcan settings (MODEL.RCAN_*) as [models.RCANOptions], scale 1.
func (c *Config) RCANOptions() models.RCANOptions {
	m := c.Model
	return models.RCANOptions{
		Dims:             c.Spatial(),
		Channels:         c.Channels(),
		Filters:          m.RCANConvFilters,
		Scale:            1,
		Groups:           m.RCANRGBlockNum,
		RCABs:            m.RCANRCABBlockNum,
		Reduction:        m.RCANReductionRatio,
		NoUpscalingLayer: !m.RCANUpscalingLayer,
	}
}

// EDSROptions returns the edsr settings (64 filters and 16 blocks, hard-coded by
// BiaPy's build_model) as [models.EDSROptions], scale 1.
func (c *Config) EDSROptions() models.EDSROptions {
	return models.EDSROptions{Dims: c.Spatial(), Scale: 1, Channels: c.Channels()}
}

// WDSROptions returns the wdsr settings (hard-coded by BiaPy) as [models.WDSROptions].
func (c *Config) WDSROptions() models.WDSROptions {
	return models.WDSROptions{Scale: 1, Channels: c.Channels()}
}

// DFCANOptions returns the dfcan settings (hard-coded by BiaPy) as [models.DFCANOptions].
func (c *Config) DFCANOptions() models.DFCANOptions {
	return models.DFCANOptions{Dims: c.Spatial(), Channels: c.Channels(), Scale: 1}
}

// patchSide returns DATA.PATCH_SIZE[0], the side of the square/cubic ViT input.
func (c *Config) patchSide() int {
	if len(c.Data.PatchSize) == 0 {
		return 0
	}
	return c.Data.PatchSize[0]
}

// NewModel builds the architecture named by MODEL.ARCHITECTURE for PROBLEM.NDIM, with
// DATA.PATCH_SIZE[-1] input channels and as many output channels (the
// self-supervised head), its weights initialised from rng. mae returns a
// *models.MAE (use its ForwardLoss for the masked loss).
func (c *Config) NewModel(rng *tensor.RNG) (nn.Module, error) {
	var (
		m   nn.Module
		err error
	)
	switch a := c.Model.Architecture; a {
	case "unet":
		m, err = models.NewUNet(c.UNetOptions(), rng)
	case "resunet":
		m, err = models.NewResUNet(c.UNetOptions(), rng)
	case "resunet++":
		m, err = models.NewResUNetPlusPlus(c.UNetOptions(), rng)
	case "attention_unet":
		m, err = models.NewAttentionUNet(c.UNetOptions(), rng)
	case "seunet":
		m, err = models.NewSEUNet(c.UNetOptions(), rng)
	case "resunet_se":
		m, err = models.NewResUNetSE(c.UNetOptions(), rng)
	case "multiresunet":
		m, err = models.NewMultiResUNet(c.MultiResUNetOptions(), rng)
	case "mae":
		m, err = models.NewMAE(c.MAEOptions(), rng)
	case "unetr":
		m, err = models.NewUNETR(c.UNETROptions(), rng)
	case "rcan":
		m, err = models.NewRCAN(c.RCANOptions(), rng)
	case "edsr":
		m, err = models.NewEDSR(c.EDSROptions(), rng)
	case "wdsr":
		if c.Spatial() != 2 {
			return nil, fmt.Errorf("config: MODEL.ARCHITECTURE wdsr is 2D only")
		}
		m, err = models.NewWDSR(c.WDSROptions(), rng)
	case "dfcan":
		m, err = models.NewDFCAN(c.DFCANOptions(), rng)
	default:
		return nil, fmt.Errorf("config: MODEL.ARCHITECTURE %q: not supported by selfsup", a)
	}
	if err != nil {
		return nil, fmt.Errorf("config: MODEL.ARCHITECTURE %s: %w", c.Model.Architecture, err)
	}
	return m, nil
}
