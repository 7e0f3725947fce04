package models

import (
	"fmt"
	"math/bits"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// UNETROptions configure [NewUNETR]. The zero value of every field is BiaPy's default
// for PROBLEM.TYPE SELF_SUPERVISED (build_model in biapy/models/__init__.py): a 2-D
// 256×256×1 input, token 16, ViT 768/12 layers/12 heads, MLP ratio 4, 16 decoder
// filters, ReLU decoder, skip connections every 3 blocks, BatchNorm, no dropout,
// decoder kernel 3, and as many output channels as input channels.
type UNETROptions struct {
	// Dims is the number of spatial axes, 2 or 3 (PROBLEM.NDIM); 0 means 2.
	Dims int
	// ImageSize is the spatial size of the (square/cubic) input, DATA.PATCH_SIZE[0];
	// BiaPy requires all spatial sizes equal. 0 means 256 in 2-D and 64 in 3-D (BiaPy
	// has no 3-D default; 64 is the size of the defaults fixture).
	ImageSize int
	// InChannels is DATA.PATCH_SIZE[-1]; 0 means 1.
	InChannels int
	// OutChannels is the number of output channels (output_channels[0]); 0 means
	// InChannels, the self-supervised head.
	OutChannels int
	// PatchSize is the ViT token size, MODEL.VIT_TOKEN_SIZE; 0 means 16. It must be a
	// power of two ≥ 2 dividing ImageSize: the decoder upsamples by 2 log2(PatchSize)
	// times.
	PatchSize int
	// EmbedDim is MODEL.VIT_EMBED_DIM; 0 means 768.
	EmbedDim int
	// Depth is the number of transformer blocks, MODEL.VIT_NUM_LAYERS; 0 means 12.
	Depth int
	// NumHeads is MODEL.VIT_NUM_HEADS; 0 means 12. EmbedDim must be a multiple of it.
	NumHeads int
	// MLPRatio is MODEL.VIT_MLP_RATIO; 0 means 4.
	MLPRatio float64
	// NormEps is the eps of the ViT LayerNorms; 0 means 1e-5 (build_model passes no
	// norm_layer, so nn.LayerNorm's default applies; MODEL.VIT_NORM_EPS is not read).
	NormEps float32
	// NumFilters is MODEL.UNETR_VIT_NUM_FILTERS, the decoder's filters at full
	// resolution (doubled at each coarser level); 0 means 16.
	NumFilters int
	// HiddMult is MODEL.UNETR_VIT_HIDD_MULT: skip connections are taken after blocks
	// HiddMult, 2·HiddMult, …, (log2(PatchSize)−1)·HiddMult; 0 means 3.
	HiddMult int
	// DecoderActivation is MODEL.UNETR_DEC_ACTIVATION (BiaPy's get_activation names:
	// relu, tanh, leaky_relu, elu, gelu, silu, sigmoid, softmax, linear, none); ""
	// means "relu".
	DecoderActivation string
	// Normalization is MODEL.NORMALIZATION: bn, sync_bn (as bn), in, gn or none; ""
	// means "bn".
	Normalization string
	// Dropout is MODEL.DROPOUT_VALUES[0], the dropout of every decoder ConvBlock.
	Dropout float32
	// DropoutLevels, when set, gives one dropout per decoder level instead (BiaPy's
	// list form): level 0 is the full-resolution blocks, level l the blocks of the
	// skip connection upsampled l times; length log2(PatchSize).
	DropoutLevels []float32
	// KernelSize is MODEL.UNETR_DEC_KERNEL_SIZE; 0 means 3.
	KernelSize int
}

// UNETRMini, UNETRSmall and UNETRBase return the options of the UNETR variants BiaPy's
// notebooks and GUI offer as "UNETR-Mini/Small/Base" for a dims-D input of size
// imageSize with inChannels channels; in BiaPy's config they differ only in the
// MODEL.VIT_* values. Base is BiaPy's default ViT (768 wide, 12 blocks, 12 heads);
// Small and Mini follow the ViT-S (384/12/6) and ViT-Ti (192/12/3) sizes.
func UNETRMini(dims, imageSize, inChannels int) UNETROptions {
	return UNETROptions{Dims: dims, ImageSize: imageSize, InChannels: inChannels, EmbedDim: 192, Depth: 12, NumHeads: 3}
}

// UNETRSmall returns the "UNETR-Small" options (ViT 384 wide, 12 blocks, 6 heads); see
// [UNETRMini].
func UNETRSmall(dims, imageSize, inChannels int) UNETROptions {
	return UNETROptions{Dims: dims, ImageSize: imageSize, InChannels: inChannels, EmbedDim: 384, Depth: 12, NumHeads: 6}
}

// UNETRBase returns the "UNETR-Base" options, BiaPy's defaults (ViT 768 wide, 12
// blocks, 12 heads); see [UNETRMini].
func UNETRBase(dims, imageSize, inChannels int) UNETROptions {
	return UNETROptions{Dims: dims, ImageSize: imageSize, InChannels: inChannels, EmbedDim: 768, Depth: 12, NumHeads: 12}
}

// withDefaults returns o with every zero field replaced by BiaPy's default.
func (o UNETROptions) withDefaults() UNETROptions {
	if o.Dims == 0 {
		o.Dims = 2
	}
	if o.ImageSize == 0 {
		o.ImageSize = 256
		if o.Dims == 3 {
			o.ImageSize = 64
		}
	}
	if o.InChannels == 0 {
		o.InChannels = 1
	}
	if o.OutChannels == 0 {
		o.OutChannels = o.InChannels
	}
	if o.PatchSize == 0 {
		o.PatchSize = 16
	}
	if o.EmbedDim == 0 {
		o.EmbedDim = 768
	}
	if o.Depth == 0 {
		o.Depth = 12
	}
	if o.NumHeads == 0 {
		o.NumHeads = 12
	}
	if o.MLPRatio == 0 {
		o.MLPRatio = 4
	}
	if o.NormEps == 0 {
		o.NormEps = 1e-5
	}
	if o.NumFilters == 0 {
		o.NumFilters = 16
	}
	if o.HiddMult == 0 {
		o.HiddMult = 3
	}
	if o.DecoderActivation == "" {
		o.DecoderActivation = "relu"
	}
	if o.Normalization == "" {
		o.Normalization = "bn"
	}
	if o.KernelSize == 0 {
		o.KernelSize = 3
	}
	return o
}

// UNETR is BiaPy's UNETR (biapy/models/unetr.py, Hatamizadeh et al. 2022): a ViT
// encoder whose hidden states feed a convolutional U-Net decoder.
//
// x: [N, C, S, S] (2-D) or [N, C, S, S, S] (3-D) → [N, OutChannels, *S]. The input is cut
// into (S/P)^dims tokens by a P-strided conv, a class token is prepended, the frozen
// positional embedding added, and the tokens run through Depth pre-LN ViT blocks.
// With T = log2(P), the hidden states after blocks HiddMult·l (l = 1…T−1) are reshaped
// to [N, E, S/P, …] and upsampled l times (ConvTranspose + ConvBlock) into skip
// connections; the last block's output goes through the bottleneck deconvolution and
// the decoder levels (concat skip, DoubleConvBlock, deconvolution), is concatenated
// with a DoubleConvBlock of the input and finishes with a DoubleConvBlock and a 1×1
// conv, with no final activation. The final ViT LayerNorm ("norm") exists, as in
// BiaPy, but is not used by the forward pass.
//
// State_dict entries (BiaPy's names): cls_token [1, 1, E], pos_embed [1, L+1, E]
// (frozen, zeros as BiaPy leaves it), patch_embed.proj.*, blocks.<i>.*, norm.*,
// bottleneck.weight, mid_blue_block.<i>.<j>.*, two_yellow_layers.<i>.block.<j>.block.*,
// up_green_layers.<i>.weight, last_block.*.
type UNETR struct {
	Opts       UNETROptions      // options with defaults filled in
	ClsToken   *nn.Var           // [1, 1, E], trainable, zeros at init
	PosEmbed   *nn.Var           // [1, L+1, E], frozen
	PatchEmbed *nn.Conv          // C → E, kernel and stride P ("patch_embed.proj")
	Blocks     []*nn.Block       // ViT blocks ("blocks.<i>")
	Norm       *nn.LayerNorm     // final ViT LayerNorm ("norm"), unused in Forward as in BiaPy
	Bottleneck *nn.ConvTranspose // E → F·2^(T−1) ("bottleneck")
	MidBlue    []*nn.Sequential  // per decoder level: deconvolutions and ConvBlocks of a skip ("mid_blue_block.<i>")
	// Yellow are the DoubleConvBlocks ("two_yellow_layers.<i>"): one per decoder level,
	// then the input's block, then the output block.
	Yellow    []*DoubleConvBlock
	UpGreen   []*nn.ConvTranspose // per decoder level, upsampling after its DoubleConvBlock ("up_green_layers.<i>")
	LastBlock *nn.Conv            // 1×1 conv F → OutChannels ("last_block")
	grid      int                 // S/P tokens per axis
	levels    int                 // T = log2(P)
}

// NewUNETR returns a UNETR with BiaPy's initialisation drawn from rng: Xavier-uniform
// Linear and Conv weights with zero biases, LayerNorms 1/0, PyTorch's default
// ConvTranspose init, zero cls_token and pos_embed. It returns an error for invalid
// options.
func NewUNETR(o UNETROptions, rng *tensor.RNG) (*UNETR, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	dims, e, f, p := o.Dims, o.EmbedDim, o.NumFilters, o.PatchSize
	levels := bits.TrailingZeros(uint(p))
	drop := func(level int) float32 {
		if o.DropoutLevels != nil {
			return o.DropoutLevels[level]
		}
		return o.Dropout
	}
	grid := o.ImageSize / p
	tokens := 1
	for range dims {
		tokens *= grid
	}
	dev := tensor.CPU{}
	m := &UNETR{Opts: o, grid: grid, levels: levels}
	m.PatchEmbed = NewConvLayer(nn.ConvConfig{In: o.InChannels, Out: e, Dims: dims, Kernel: []int{p}, Stride: []int{p}}, InitXavier, rng)
	m.ClsToken = nn.NewLeaf(tensor.Zeros(dev, 1, 1, e))
	m.PosEmbed = nn.NewVar(tensor.Zeros(dev, 1, tokens+1, e))
	m.Blocks = make([]*nn.Block, o.Depth)
	for i := range m.Blocks {
		m.Blocks[i] = unetrViTBlock(e, o.NumHeads, o.MLPRatio, o.NormEps, rng)
	}
	m.Norm = nn.NewLayerNorm(e, nn.NormOptions{Eps: o.NormEps})
	m.Bottleneck = unetrDeconv(dims, e, f<<(levels-1), rng)
	for layer := levels - 1; layer >= 1; layer-- {
		c := f << layer
		var blue []nn.Module
		in := e
		for range levels - layer {
			cb, err := NewConvBlock(unetrConvOptions(o, c, c, drop(layer)), rng)
			if err != nil {
				return nil, fmt.Errorf("models: UNETR: %w", err)
			}
			blue = append(blue, unetrDeconv(dims, in, c, rng), cb)
			in = c
		}
		m.MidBlue = append(m.MidBlue, nn.NewSequential(blue...))
		y, err := NewDoubleConvBlock(unetrConvOptions(o, 2*c, c, drop(layer)), rng)
		if err != nil {
			return nil, fmt.Errorf("models: UNETR: %w", err)
		}
		m.Yellow = append(m.Yellow, y)
		m.UpGreen = append(m.UpGreen, unetrDeconv(dims, c, f<<(layer-1), rng))
	}
	for _, in := range []int{o.InChannels, 2 * f} {
		y, err := NewDoubleConvBlock(unetrConvOptions(o, in, f, drop(0)), rng)
		if err != nil {
			return nil, fmt.Errorf("models: UNETR: %w", err)
		}
		m.Yellow = append(m.Yellow, y)
	}
	m.LastBlock = NewConvLayer(nn.ConvConfig{In: f, Out: o.OutChannels, Dims: dims, Kernel: []int{1}}, InitXavier, rng)
	return m, nil
}

// validate checks o (defaults filled in).
func (o UNETROptions) validate() error {
	p := o.PatchSize
	switch {
	case o.Dims != 2 && o.Dims != 3:
		return fmt.Errorf("models: UNETR: %d spatial dims, want 2 or 3", o.Dims)
	case p < 2 || p&(p-1) != 0:
		return fmt.Errorf("models: UNETR: patch size %d is not a power of two ≥ 2", p)
	case o.ImageSize <= 0 || o.ImageSize%p != 0:
		return fmt.Errorf("models: UNETR: image size %d not a positive multiple of patch size %d", o.ImageSize, p)
	case o.EmbedDim <= 0 || o.NumHeads <= 0 || o.EmbedDim%o.NumHeads != 0:
		return fmt.Errorf("models: UNETR: embed dim %d not divisible into %d heads", o.EmbedDim, o.NumHeads)
	case o.Depth < 1 || o.HiddMult < 1 || o.MLPRatio < 0:
		return fmt.Errorf("models: UNETR: depth %d, ViT_hidd_mult %d, mlp ratio %g", o.Depth, o.HiddMult, o.MLPRatio)
	case o.InChannels < 1 || o.OutChannels < 1 || o.NumFilters < 1 || o.KernelSize < 1:
		return fmt.Errorf("models: UNETR: in %d, out %d channels, %d filters, kernel %d", o.InChannels, o.OutChannels, o.NumFilters, o.KernelSize)
	}
	levels := bits.TrailingZeros(uint(p))
	if need := o.HiddMult * (levels - 1); need > o.Depth {
		return fmt.Errorf("models: UNETR: skip connections after blocks %d·1…%d need depth ≥ %d, have %d", o.HiddMult, levels-1, need, o.Depth)
	}
	if o.DropoutLevels != nil && len(o.DropoutLevels) != levels {
		return fmt.Errorf("models: UNETR: %d dropout values for %d decoder levels (log2 of patch size %d)", len(o.DropoutLevels), levels, p)
	}
	for _, d := range append([]float32{o.Dropout}, o.DropoutLevels...) {
		if d < 0 || d >= 1 {
			return fmt.Errorf("models: UNETR: dropout %g outside [0, 1)", d)
		}
	}
	if _, err := Activation(o.DecoderActivation); err != nil {
		return fmt.Errorf("models: UNETR: unknown decoder activation %q (want relu, tanh, leaky_relu, elu, gelu, silu, sigmoid, softmax, linear or none)", o.DecoderActivation)
	}
	if _, err := Norm(o.Normalization, 16, o.Dims); err != nil {
		return fmt.Errorf("models: UNETR: unknown normalization %q (want bn, sync_bn, in, gn or none)", o.Normalization)
	}
	if g := 16 / (o.Dims - 1); o.Normalization == "gn" && o.NumFilters%g != 0 {
		return fmt.Errorf("models: UNETR: gn normalization: %d filters not divisible into %d groups", o.NumFilters, g)
	}
	return nil
}
