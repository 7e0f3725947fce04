package models

import (
	"fmt"
	"slices"
	"strings"
)

// UNetOptions configure the U-Net family ([NewUNet], [NewResUNet], [NewSEUNet],
// [NewResUNetSE], [NewAttentionUNet], and ResUNet++). The zero value means BiaPy's
// defaults for self-supervised pretraining: a 2-D model for 1 input channel with as
// many output channels, feature maps [16, 32, 64, 128, 256], no dropout, batch
// normalisation, 3×3 kernels, transposed-convolution upsampling, ELU, z-down 2 at
// every level, isotropic levels and no larger I/O.
type UNetOptions struct {
	// Ndim is the number of spatial axes: 2 (x: [N, C, H, W]) or 3 (x: [N, C, D, H, W]);
	// 0 means 2. BiaPy derives it from len(DATA.PATCH_SIZE).
	Ndim int
	// InChannels is the number of input channels (DATA.PATCH_SIZE[-1]); 0 means 1.
	InChannels int
	// OutChannels is the number of output channels; 0 means InChannels (the
	// self-supervised head: output channels = input channels, no final activation).
	OutChannels int
	// FeatureMaps is MODEL.FEATURE_MAPS: channels per level, the last one being the
	// bottleneck; nil means [16, 32, 64, 128, 256]. At least 2 entries.
	FeatureMaps []int
	// DropValues is MODEL.DROPOUT_VALUES: dropout probability per level (same length
	// as FeatureMaps); nil means all zero.
	DropValues []float32
	// Normalization is MODEL.NORMALIZATION: "bn", "sync_bn", "in", "gn" or "none"
	// (see [Norm]); "" means "bn".
	Normalization string
	// KernelSize is MODEL.KERNEL_SIZE; 0 means 3.
	KernelSize int
	// UpsampleLayer is MODEL.UPSAMPLE_LAYER: "convtranspose" or "upsampling"
	// (bilinear/trilinear resize, then a 1×1 convolution where channels change);
	// "" means "convtranspose".
	UpsampleLayer string
	// Activation is MODEL.ACTIVATION (see [Activation]); "" means "elu".
	Activation string
	// ZDown is MODEL.Z_DOWN: the z pooling factor (1 or 2) of each of the
	// len(FeatureMaps)−1 downsampling steps, used in 3-D only; nil means all 2.
	ZDown []int
	// Isotropy is MODEL.ISOTROPY (ResUNet, SE-U-Net, ResUNet-SE): per level, whether
	// the 3-D kernels are k×k×k (true) or 1×k×k (false); nil means all true. As in
	// BiaPy, entry i serves encoder and decoder level i and the last entry serves the
	// bottleneck; at least len(FeatureMaps)−1 entries.
	Isotropy []bool
	// LargerIO is MODEL.LARGER_IO (ResUNet, SE-U-Net, ResUNet-SE): extra input and
	// output convolution blocks.
	LargerIO bool
}

// resolve returns o with every default filled in, or an error naming the model
// (e.g. "models: UNet: 3 feature maps but 4 drop values").
func (o UNetOptions) resolve(model string) (UNetOptions, error) {
	if o.Ndim == 0 {
		o.Ndim = 2
	}
	if o.Ndim != 2 && o.Ndim != 3 {
		return o, fmt.Errorf("models: %s: ndim %d, want 2 or 3", model, o.Ndim)
	}
	if o.InChannels == 0 {
		o.InChannels = 1
	}
	if o.OutChannels == 0 {
		o.OutChannels = o.InChannels
	}
	if o.InChannels < 0 || o.OutChannels < 0 {
		return o, fmt.Errorf("models: %s: %d input and %d output channels", model, o.InChannels, o.OutChannels)
	}
	if o.FeatureMaps == nil {
		o.FeatureMaps = []int{16, 32, 64, 128, 256}
	}
	o.FeatureMaps = slices.Clone(o.FeatureMaps)
	if len(o.FeatureMaps) < 2 {
		return o, fmt.Errorf("models: %s: %d feature maps, want at least 2", model, len(o.FeatureMaps))
	}
	for _, f := range o.FeatureMaps {
		if f <= 0 {
			return o, fmt.Errorf("models: %s: feature maps %v must be positive", model, o.FeatureMaps)
		}
	}
	if o.DropValues == nil {
		o.DropValues = make([]float32, len(o.FeatureMaps))
	}
	o.DropValues = slices.Clone(o.DropValues)
	if len(o.DropValues) != len(o.FeatureMaps) {
		return o, fmt.Errorf("models: %s: %d feature maps but %d drop values", model, len(o.FeatureMaps), len(o.DropValues))
	}
	for _, d := range o.DropValues {
		if d < 0 || d >= 1 {
			return o, fmt.Errorf("models: %s: drop values %v must lie in [0, 1)", model, o.DropValues)
		}
	}
	if o.Normalization == "" {
		o.Normalization = "bn"
	}
	o.Normalization = strings.ToLower(o.Normalization)
	if _, err := Norm(o.Normalization, 16, o.Ndim); err != nil {
		return o, modelError(model, err)
	}
	if o.KernelSize == 0 {
		o.KernelSize = 3
	}
	if o.KernelSize < 0 {
		return o, fmt.Errorf("models: %s: kernel size %d", model, o.KernelSize)
	}
	if o.UpsampleLayer == "" {
		o.UpsampleLayer = "convtranspose"
	}
	o.UpsampleLayer = strings.ToLower(o.UpsampleLayer)
	if o.UpsampleLayer != "convtranspose" && o.UpsampleLayer != "upsampling" {
		return o, fmt.Errorf("models: %s: upsample layer %q, want convtranspose or upsampling", model, o.UpsampleLayer)
	}
	if o.Activation == "" {
		o.Activation = "elu"
	}
	if _, err := Activation(o.Activation); err != nil {
		return o, modelError(model, err)
	}
	depth := len(o.FeatureMaps) - 1
	if o.ZDown == nil {
		o.ZDown = slices.Repeat([]int{2}, depth)
	}
	o.ZDown = slices.Clone(o.ZDown)
	if len(o.ZDown) != depth {
		return o, fmt.Errorf("models: %s: %d feature maps but %d z-down factors (want %d)", model, len(o.FeatureMaps), len(o.ZDown), depth)
	}
	for _, z := range o.ZDown {
		if z != 1 && z != 2 {
			return o, fmt.Errorf("models: %s: z-down factors %v must be 1 or 2", model, o.ZDown)
		}
	}
	if o.Isotropy == nil {
		o.Isotropy = slices.Repeat([]bool{true}, len(o.FeatureMaps))
	}
	o.Isotropy = slices.Clone(o.Isotropy)
	if len(o.Isotropy) < max(depth, 1) {
		return o, fmt.Errorf("models: %s: %d feature maps but %d isotropy flags (want at least %d)", model, len(o.FeatureMaps), len(o.Isotropy), depth)
	}
	return o, nil
}

// poolFactors returns the pooling / upsampling factor per spatial axis of level i:
// (ZDown[i], 2, 2) in 3-D, (2, 2) in 2-D.
func (o UNetOptions) poolFactors(i int) []int {
	if o.Ndim == 3 {
		return []int{o.ZDown[i], 2, 2}
	}
	return []int{2, 2}
}

// kernel returns the convolution kernel per spatial axis: k in every axis, or 1×k×k
// in 3-D when isotropic is false.
func (o UNetOptions) kernel(k0 int, isotropic bool) []int {
	k := slices.Repeat([]int{k0}, o.Ndim)
	if o.Ndim == 3 && !isotropic {
		k[0] = 1
	}
	return k
}

// levelKernel returns the kernel of encoder/decoder level i (the bottleneck is level
// len(FeatureMaps)−1) following Isotropy.
func (o UNetOptions) levelKernel(i int) []int {
	iso := o.Isotropy[len(o.Isotropy)-1]
	if i < len(o.FeatureMaps)-1 {
		iso = o.Isotropy[i]
	}
	return o.kernel(o.KernelSize, iso)
}

// prefixedError is an error of a model constructor: "models: <model>: <cause>".
type prefixedError struct {
	model string
	err   error
}

func (e *prefixedError) Error() string {
	return "models: " + e.model + ": " + strings.TrimPrefix(e.err.Error(), "models: ")
}

func (e *prefixedError) Unwrap() error { return e.err }

// modelError prefixes err with the model name, dropping err's own "models: " prefix.
func modelError(model string, err error) error { return &prefixedError{model: model, err: err} }
