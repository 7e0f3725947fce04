package config

import (
	"slices"
	"strings"

	"github.com/selfsup/selfsup/models"
)

func (k *checker) model() {
	c := k.c
	m := c.Model
	nd := c.Spatial()
	switch m.Source {
	case "biapy":
	case "torchvision":
		k.bad("MODEL.SOURCE", "torchvision is not available in the self-supervised workflow")
	case "bmz":
		k.bad("MODEL.SOURCE", "bmz: not supported by selfsup (BioImage Model Zoo models)")
	default:
		k.bad("MODEL.SOURCE", "%q: want biapy", m.Source)
	}
	arch := m.Architecture
	switch {
	case slices.Contains(notImplemented, arch):
		k.bad("MODEL.ARCHITECTURE", "%s: not supported by selfsup (BiaPy has it; selfsup implements %s)", arch, strings.Join(implementedArchs(), ", "))
		return
	case !slices.Contains(biapySSLArchs, arch):
		k.bad("MODEL.ARCHITECTURE", "%q: want one of %s", arch, strings.Join(implementedArchs(), ", "))
		return
	case nd == 3 && slices.Contains(only2D, arch):
		k.bad("MODEL.ARCHITECTURE", "%s is 2D only (PROBLEM.NDIM is 3D)", arch)
	}
	ps := c.Data.PatchSize
	patchOK := len(ps) == nd+1 && slices.Min(ps) > 0
	spatial := []int{}
	if patchOK {
		spatial = ps[:nd]
	}
	if len(m.FeatureMaps) < 3 {
		k.bad("MODEL.FEATURE_MAPS", "%v: want at least 3 levels", m.FeatureMaps)
	} else if slices.Min(m.FeatureMaps) <= 0 {
		k.bad("MODEL.FEATURE_MAPS", "%v: every level must be positive", m.FeatureMaps)
	}
	if (arch == "seunet" || arch == "resunet_se" || arch == "resunet++") && len(m.FeatureMaps) > 0 && slices.Min(m.FeatureMaps) < 16 {
		k.bad("MODEL.FEATURE_MAPS", "%v: %s needs at least 16 feature maps per level (squeeze-and-excitation reduction 16)", m.FeatureMaps, arch)
	}
	allZero := !slices.ContainsFunc(m.DropoutValues, func(v float64) bool { return v != 0 })
	for _, v := range m.DropoutValues {
		if !(v >= 0 && v < 1) {
			k.bad("MODEL.DROPOUT_VALUES", "%v: each value must be in [0, 1)", m.DropoutValues)
			break
		}
	}
	switch {
	case arch == "unetr" || arch == "mae":
		if !allZero && len(m.DropoutValues) != 1 {
			k.bad("MODEL.DROPOUT_VALUES", "%v: %s takes exactly one value", m.DropoutValues, arch)
		}
	case slices.Contains(unetLike, arch) && arch != "multiresunet":
		if !allZero && len(m.DropoutValues) != len(m.FeatureMaps) {
			k.bad("MODEL.DROPOUT_VALUES", "%v: want %d values, one per MODEL.FEATURE_MAPS level", m.DropoutValues, len(m.FeatureMaps))
		}
	}
	if _, err := models.Norm(m.Normalization, 16, nd); err != nil {
		k.bad("MODEL.NORMALIZATION", "%q: want bn, sync_bn, in, gn or none", m.Normalization)
	}
	if m.KernelSize < 1 {
		k.bad("MODEL.KERNEL_SIZE", "%d: want a positive size", m.KernelSize)
	}
	if m.UpsampleLayer != "convtranspose" && m.UpsampleLayer != "upsampling" {
		k.bad("MODEL.UPSAMPLE_LAYER", "%q: want convtranspose or upsampling", m.UpsampleLayer)
	}
	if _, err := models.Activation(m.Activation); err != nil {
		k.bad("MODEL.ACTIVATION", "%q: want relu, tanh, leaky_relu, elu, gelu, silu, sigmoid, softmax, softplus or linear", m.Activation)
	}
	depth := max(len(m.FeatureMaps)-1, 0)
	if arch == "multiresunet" {
		depth = 4
	}
	zdown := c.zDown(depth)
	for _, z := range zdown {
		if z != 1 && z != 2 {
			k.bad("MODEL.Z_DOWN", "%v: each value must be 1 or 2", m.ZDown)
			break
		}
	}
	if slices.Contains(unetLike, arch) {
		if len(zdown) != depth {
			k.bad("MODEL.Z_DOWN", "%v: want %d values, one per downsampling level", m.ZDown, depth)
		} else if patchOK {
			zf := 1
			for _, z := range zdown {
				zf *= z
			}
			xy := 1 << depth
			for i, s := range spatial {
				f := xy
				if nd == 3 && i == 0 {
					f = zf
				}
				if s%f != 0 {
					k.bad("DATA.PATCH_SIZE", "%v: %s with %d levels needs each spatial size divisible by %d (z by the product of MODEL.Z_DOWN, %d)", tuple(ps), arch, depth, xy, zf)
					break
				}
			}
		}
		if (arch == "resunet" || arch == "seunet" || arch == "resunet_se") && len(m.Isotropy) < depth {
			k.bad("MODEL.ISOTROPY", "%v: want at least %d values", m.Isotropy, depth)
		}
	}
	if arch == "mae" || arch == "unetr" {
		if patchOK {
			if slices.Min(spatial) != slices.Max(spatial) {
				k.bad("DATA.PATCH_SIZE", "%v: %s needs equal spatial sizes (a square or cube)", tuple(ps), arch)
			} else if m.ViTTokenSize <= 0 || spatial[0]%m.ViTTokenSize != 0 {
				k.bad("MODEL.VIT_TOKEN_SIZE", "%d: must divide the patch size %d", m.ViTTokenSize, spatial[0])
			}
		}
		if arch == "unetr" && (m.ViTTokenSize < 2 || m.ViTTokenSize&(m.ViTTokenSize-1) != 0) {
			k.bad("MODEL.VIT_TOKEN_SIZE", "%d: unetr needs a power of two ≥ 2", m.ViTTokenSize)
		}
		if m.ViTNumHeads <= 0 || m.ViTEmbedDim <= 0 || m.ViTEmbedDim%m.ViTNumHeads != 0 {
			k.bad("MODEL.VIT_EMBED_DIM", "%d: must be a positive multiple of MODEL.VIT_NUM_HEADS %d", m.ViTEmbedDim, m.ViTNumHeads)
		}
		if m.ViTNumLayers < 1 {
			k.bad("MODEL.VIT_NUM_LAYERS", "%d: want at least 1", m.ViTNumLayers)
		}
		if !(m.ViTMLPRatio > 0) {
			k.bad("MODEL.VIT_MLP_RATIO", "%v: want a positive ratio", m.ViTMLPRatio)
		}
	}
	if arch == "mae" {
		if m.MAEDecNumHeads <= 0 || m.MAEDecHiddenSize <= 0 || m.MAEDecHiddenSize%m.MAEDecNumHeads != 0 {
			k.bad("MODEL.MAE_DEC_HIDDEN_SIZE", "%d: must be a positive multiple of MODEL.MAE_DEC_NUM_HEADS %d", m.MAEDecHiddenSize, m.MAEDecNumHeads)
		}
		if m.MAEDecNumLayers < 1 {
			k.bad("MODEL.MAE_DEC_NUM_LAYERS", "%d: want at least 1", m.MAEDecNumLayers)
		}
		if m.MAEDecMLPDims < 1 {
			k.bad("MODEL.MAE_DEC_MLP_DIMS", "%d: want at least 1", m.MAEDecMLPDims)
		}
	}
	if arch == "unetr" {
		if _, err := models.Activation(m.UNETRDecActivation); err != nil {
			k.bad("MODEL.UNETR_DEC_ACTIVATION", "%q: unknown activation", m.UNETRDecActivation)
		}
	}
	if arch == "rcan" && (m.RCANConvFilters < 1 || m.RCANReductionRatio < 1 || m.RCANConvFilters/m.RCANReductionRatio < 1) {
		k.bad("MODEL.RCAN_REDUCTION_RATIO", "%d: must be between 1 and MODEL.RCAN_CONV_FILTERS %d", m.RCANReductionRatio, m.RCANConvFilters)
	}
	if m.LoadCheckpointEpoch != "best_on_val" && m.LoadCheckpointEpoch != "last_on_train" {
		k.bad("MODEL.LOAD_CHECKPOINT_EPOCH", "%q: want best_on_val or last_on_train", m.LoadCheckpointEpoch)
	}
	if m.OutCheckpointFormat != "pth" && m.OutCheckpointFormat != "safetensors" {
		k.bad("MODEL.OUT_CHECKPOINT_FORMAT", "%q: want pth or safetensors (selfsup always writes safetensors)", m.OutCheckpointFormat)
	}
	if m.SaveCkptFreq != -1 && m.SaveCkptFreq < 1 {
		k.bad("MODEL.SAVE_CKPT_FREQ", "%d: want -1 (off) or a positive number of epochs", m.SaveCkptFreq)
	}
}

// zDown returns MODEL.Z_DOWN with BiaPy's all-zero default resolved to 2 per level.
func (c *Config) zDown(depth int) []int {
	z := c.Model.ZDown
	if !slices.ContainsFunc(z, func(v int) bool { return v != 0 }) {
		return slices.Repeat([]int{2}, depth)
	}
	return slices.Clone(z)
}

// implementedArchs lists the MODEL.ARCHITECTURE values selfsup builds.
func implementedArchs() []string {
	var out []string
	for _, a := range biapySSLArchs {
		if !slices.Contains(notImplemented, a) {
			out = append(out, a)
		}
	}
	return out
}
