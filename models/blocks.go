package models

import (
	"fmt"
	"slices"
	"strings"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// Activation returns the activation module BiaPy's get_activation builds for a
// MODEL.ACTIVATION name (case-insensitive): "relu", "tanh", "leaky_relu" (negative
// slope 0.2, BiaPy's choice), "elu" (α 1), "gelu" (exact erf form), "silu", "sigmoid",
// "softmax" (over the channel axis 1), "softplus" (β 1) and "linear" or "none"
// (identity). Any shape in, the same shape out.
func Activation(name string) (nn.Module, error) {
	switch strings.ToLower(name) {
	case "relu":
		return nn.ReLU{}, nil
	case "tanh":
		return nn.Tanh{}, nil
	case "leaky_relu":
		return nn.LeakyReLU{Slope: 0.2}, nil
	case "elu":
		return nn.ELU{Alpha: 1}, nil
	case "gelu":
		return nn.GELU{}, nil
	case "silu", "swish":
		return nn.SiLU{}, nil
	case "sigmoid":
		return nn.Sigmoid{}, nil
	case "softmax":
		return nn.Softmax{Axis: 1}, nil
	case "softplus":
		return softplus{}, nil
	case "linear", "none", "":
		return nn.Identity{}, nil
	}
	return nil, fmt.Errorf("models: unknown activation %q (want relu, tanh, leaky_relu, elu, gelu, silu, sigmoid, softmax, softplus, linear or none)", name)
}

// softplus is torch.nn.Softplus() (β 1): log(1+eˣ), computed stably as
// relu(x) + log(1+e^−|x|) from recorded ops.
type softplus struct{}

// Forward applies softplus elementwise.
func (softplus) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	return tp.Add(tp.ReLU(x), tp.Log(tp.AddScalar(tp.Exp(tp.Scale(tp.Abs(x), -1)), 1)))
}

// Params returns nothing.
func (softplus) Params() []nn.Param { return nil }

// Norm returns the normalisation layer BiaPy's get_norm_2d / get_norm_3d builds for a
// MODEL.NORMALIZATION name over channels channels of an ndim-D input
// ([N, C, H, W] or [N, C, D, H, W]): "bn" and "sync_bn" give BatchNorm (momentum
// 0.1, eps 1e-5; sync_bn equals bn on one device), "in" gives InstanceNorm without
// affine parameters nor running statistics (as BiaPy builds it), "gn" gives
// GroupNorm with 16 groups in 2D and 8 groups in 3D (channels must divide), and
// "none" (or "") gives nil: no layer and no state_dict index.
func Norm(name string, channels, ndim int) (nn.Module, error) {
	if channels <= 0 {
		return nil, fmt.Errorf("models: normalisation %q over %d channels", name, channels)
	}
	switch strings.ToLower(name) {
	case "bn", "sync_bn":
		return nn.NewBatchNorm(channels, nn.BatchNormOptions{}), nil
	case "in":
		return nn.NewInstanceNorm(channels, nn.InstanceNormOptions{}), nil
	case "gn":
		g := 16
		if ndim == 3 {
			g = 8
		}
		if channels%g != 0 {
			return nil, fmt.Errorf("models: group norm (%d groups in %dD) over %d channels: channels must be a multiple of %d", g, ndim, channels, g)
		}
		return nn.NewGroupNorm(g, channels, nn.NormOptions{}), nil
	case "none", "":
		return nil, nil
	}
	return nil, fmt.Errorf("models: unknown normalisation %q (want bn, sync_bn, in, gn or none)", name)
}

// Init selects how a constructor initialises convolution and linear weights.
type Init int

const (
	// InitDefault is PyTorch's reset_parameters: weight and bias U(±1/√fan_in).
	InitDefault Init = iota
	// InitXavier is xavier_uniform_ weights with zero bias, the _init_weights that
	// BiaPy's U-Net family applies to every Conv and Linear layer (ConvTranspose
	// keeps PyTorch's default).
	InitXavier
)

// NewConvLayer returns a convolution (see [nn.ConvConfig]) initialised by init.
func NewConvLayer(c nn.ConvConfig, init Init, rng *tensor.RNG) *nn.Conv {
	if init == InitDefault {
		return nn.NewConv(c, rng)
	}
	k := c.Kernel
	d := c.Dims
	if d == 0 {
		d = len(k)
	}
	if len(k) == 1 && d > 1 {
		k = slices.Repeat(k, d)
	}
	g := max(c.Groups, 1)
	if c.In <= 0 || c.Out <= 0 || c.In%g != 0 || c.Out%g != 0 || len(k) != d || d < 1 || d > 3 {
		panic(fmt.Sprintf("models: NewConvLayer: in %d, out %d, groups %d, kernel %v, dims %d", c.In, c.Out, c.Groups, c.Kernel, c.Dims))
	}
	dev := tensor.CPU{}
	shape := append([]int{c.Out, c.In / g}, k...)
	m := &nn.Conv{
		W: nn.NewLeaf(nn.XavierUniform(dev, rng, 1, shape...)),
		Opts: nn.ConvOptions{Stride: slices.Clone(c.Stride), Padding: slices.Clone(c.Padding),
			Dilation: slices.Clone(c.Dilation), Groups: g, Same: c.Same},
	}
	if !c.NoBias {
		m.B = nn.NewLeaf(tensor.Zeros(dev, c.Out))
	}
	return m
}

// NewLinearLayer returns a Linear layer in → out initialised by init.
func NewLinearLayer(in, out int, bias bool, init Init, rng *tensor.RNG) *nn.Linear {
	if init == InitDefault {
		return nn.NewLinear(in, out, bias, rng)
	}
	dev := tensor.CPU{}
	l := &nn.Linear{W: nn.NewLeaf(nn.XavierUniform(dev, rng, 1, out, in))}
	if bias {
		l.B = nn.NewLeaf(tensor.Zeros(dev, out))
	}
	return l
}

// ConvBlockOptions configure [NewConvBlock] (BiaPy's ConvBlock arguments).
type ConvBlockOptions struct {
	Ndim    int   // spatial axes: 2 or 3
	In, Out int   // channels
	Kernel  []int // kernel size: one entry for all axes, or one per axis
	// Padding is the explicit zero padding per axis (one entry for all axes); nil
	// means padding="same" (BiaPy's default).
	Padding []int
	Stride  []int   // nil means 1 (only with explicit Padding)
	NoBias  bool    // bias=False
	Act     string  // activation name (see [Activation]); "" means none (no layer)
	Norm    string  // normalisation name (see [Norm]); "" or "none" means none
	Dropout float32 // dropout probability after the activation; 0 means no layer
	SE      bool    // append a squeeze-and-excitation block (reduction 16)
	Init    Init    // conv and SE linear initialisation
}

// ConvBlock is BiaPy's ConvBlock: conv, then (each only if configured) normalisation,
// activation, dropout and a squeeze-and-excitation block, held in an nn.Sequential
// named "block", so the state_dict keys are "block.0.weight", "block.1.running_mean",
// "block.<i>.excitation.0.weight", … with indices counting only the layers present.
// x: [N, In, *s] → [N, Out, *s'] (s' = s with "same" padding).
type ConvBlock struct {
	Block *nn.Sequential // the layers in order
	Conv  *nn.Conv       // Block.Layers[0]
}

// NewConvBlock returns a ConvBlock.
func NewConvBlock(o ConvBlockOptions, rng *tensor.RNG) (*ConvBlock, error) {
	if o.Ndim != 2 && o.Ndim != 3 {
		return nil, fmt.Errorf("models: ConvBlock: ndim %d, want 2 or 3", o.Ndim)
	}
	if o.In <= 0 || o.Out <= 0 || len(o.Kernel) == 0 {
		return nil, fmt.Errorf("models: ConvBlock: in %d, out %d, kernel %v", o.In, o.Out, o.Kernel)
	}
	cfg := nn.ConvConfig{In: o.In, Out: o.Out, Dims: o.Ndim, Kernel: o.Kernel, NoBias: o.NoBias,
		Padding: o.Padding, Stride: o.Stride, Same: o.Padding == nil}
	conv := NewConvLayer(cfg, o.Init, rng)
	layers := []nn.Module{conv}
	norm, err := Norm(o.Norm, o.Out, o.Ndim)
	if err != nil {
		return nil, err
	}
	if norm != nil {
		layers = append(layers, norm)
	}
	if o.Act != "" {
		a, err := Activation(o.Act)
		if err != nil {
			return nil, err
		}
		layers = append(layers, a)
	}
	if o.Dropout > 0 {
		layers = append(layers, nn.NewDropout(o.Dropout, rng))
	}
	if o.SE {
		se, err := NewSqExBlock(o.Out, 16, o.Init, rng)
		if err != nil {
			return nil, err
		}
		layers = append(layers, se)
	}
	return &ConvBlock{Block: nn.NewSequential(layers...), Conv: conv}, nil
}

// Forward computes x: [N, In, *s] → [N, Out, *s']. A BatchNorm followed by ReLU,
// LeakyReLU or ELU runs as one fused op (nn.BatchNorm.ForwardAct).
func (b *ConvBlock) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	l := b.Block.Layers
	if len(l) >= 3 {
		if bn, ok := l[1].(*nn.BatchNorm); ok {
			if op, alpha, ok := nn.FusableActivation(l[2]); ok {
				y := bn.ForwardAct(tp, l[0].Forward(tp, x), op, alpha)
				for _, m := range l[3:] {
					y = m.Forward(tp, y)
				}
				return y
			}
		}
	}
	return b.Block.Forward(tp, x)
}

// Params returns "block.<i>.*" for every layer with entries.
func (b *ConvBlock) Params() []nn.Param { return nn.Prefixed("block", b.Block.Params()) }

// SetTraining sets the mode of the normalisation and dropout layers.
func (b *ConvBlock) SetTraining(train bool) { b.Block.SetTraining(train) }

// DoubleConvBlock is BiaPy's DoubleConvBlock: two ConvBlocks (In → Out → Out) with the
// same activation, normalisation, dropout and SE setting, named "block.0" and
// "block.1". x: [N, In, *s] → [N, Out, *s].
type DoubleConvBlock struct {
	Blocks [2]*ConvBlock // "block.0" (In → Out) and "block.1" (Out → Out)
}

// NewDoubleConvBlock returns a DoubleConvBlock; o describes the first block (the
// second has In = Out; Padding and Stride are ignored: both use "same").
func NewDoubleConvBlock(o ConvBlockOptions, rng *tensor.RNG) (*DoubleConvBlock, error) {
	o.Padding, o.Stride = nil, nil
	b0, err := NewConvBlock(o, rng)
	if err != nil {
		return nil, err
	}
	o.In = o.Out
	b1, err := NewConvBlock(o, rng)
	if err != nil {
		return nil, err
	}
	return &DoubleConvBlock{Blocks: [2]*ConvBlock{b0, b1}}, nil
}

// Forward computes x: [N, In, *s] → [N, Out, *s].
func (b *DoubleConvBlock) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	return b.Blocks[1].Forward(tp, b.Blocks[0].Forward(tp, x))
}

// Params returns "block.0.*" then "block.1.*".
func (b *DoubleConvBlock) Params() []nn.Param {
	return append(nn.Prefixed("block.0", b.Blocks[0].Params()), nn.Prefixed("block.1", b.Blocks[1].Params())...)
}

// SetTraining sets the mode of both blocks.
func (b *DoubleConvBlock) SetTraining(train bool) {
	b.Blocks[0].SetTraining(train)
	b.Blocks[1].SetTraining(train)
}

// SqExBlock is BiaPy's SqExBlock (squeeze and excitation): global average pooling,
// Linear C → C/r (no bias), ReLU, Linear C/r → C (no bias), sigmoid, then the input
// scaled per channel. State_dict entries: "excitation.0.weight" [C/r, C] and
// "excitation.2.weight" [C, C/r]. x: [N, C, *s] → [N, C, *s].
type SqExBlock struct {
	Fc1 *nn.Linear // excitation.0: C → C/r, no bias
	Fc2 *nn.Linear // excitation.2: C/r → C, no bias
}

// NewSqExBlock returns a squeeze-and-excitation block over c channels with reduction
// r (BiaPy's default 16); c/r must be at least 1.
func NewSqExBlock(c, r int, init Init, rng *tensor.RNG) (*SqExBlock, error) {
	if r <= 0 || c/r < 1 {
		return nil, fmt.Errorf("models: SqExBlock: %d channels with reduction %d gives a zero-width layer", c, r)
	}
	return &SqExBlock{Fc1: NewLinearLayer(c, c/r, false, init, rng), Fc2: NewLinearLayer(c/r, c, false, init, rng)}, nil
}

// Forward computes x: [N, C, *s] → x·excitation(mean(x)) of the same shape.
func (b *SqExBlock) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	sh := x.Shape()
	n, c := sh[0], sh[1]
	y := tp.Reshape(tp.GlobalAvgPool(x), n, c)
	y = tp.Sigmoid(b.Fc2.Forward(tp, tp.ReLU(b.Fc1.Forward(tp, y))))
	ones := make([]int, len(sh))
	ones[0], ones[1] = n, c
	for i := 2; i < len(ones); i++ {
		ones[i] = 1
	}
	return tp.Mul(x, tp.Reshape(y, ones...))
}

// Params returns "excitation.0.weight" and "excitation.2.weight".
func (b *SqExBlock) Params() []nn.Param {
	return append(nn.Prefixed("excitation.0", b.Fc1.Params()), nn.Prefixed("excitation.2", b.Fc2.Params())...)
}

// setTraining sets the mode of m if it has one (nil is allowed).
func setTraining(m nn.Module, train bool) {
	if m != nil {
		nn.SetTraining(m, train)
	}
}

// paramsOf returns m's entries under prefix (nil m gives none).
func paramsOf(prefix string, m nn.Module) []nn.Param {
	if m == nil {
		return nil
	}
	return nn.Prefixed(prefix, m.Params())
}
