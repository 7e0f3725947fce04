package nn

import (
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/tensor"
)

// ConvConfig describes a convolution layer (torch.nn.Conv1d/2d/3d and
// ConvTranspose1d/2d/3d constructor arguments). The zero value of every optional field
// is PyTorch's default. Per-axis slices hold one entry per spatial axis, or a single
// entry that applies to all axes.
type ConvConfig struct {
	In, Out int // channels
	// Dims is the number of spatial axes (1–3); 0 means len(Kernel).
	Dims   int
	Kernel []int // kernel size per spatial axis, or one entry for all axes; required
	// Stride, Padding and Dilation: nil means 1, 0, 1. For ConvTranspose, Padding is the
	// transposed convolution's padding.
	Stride, Padding, Dilation []int
	// OutputPadding is ConvTranspose's output_padding (nil means 0); Conv ignores it.
	OutputPadding []int
	Groups        int  // 0 means 1
	NoBias        bool // bias=False
	// Same is padding='same' (Conv only, stride 1).
	Same bool
}

// kernel returns the kernel expanded to one entry per spatial axis.
func (c ConvConfig) kernel(op string) []int {
	d := c.Dims
	if d == 0 {
		d = len(c.Kernel)
	}
	if d < 1 || d > 3 {
		panic(fmt.Sprintf("nn: %s: %d spatial axes (kernel %v), want 1–3", op, d, c.Kernel))
	}
	switch len(c.Kernel) {
	case d:
		return slices.Clone(c.Kernel)
	case 1:
		k := make([]int, d)
		for i := range k {
			k[i] = c.Kernel[0]
		}
		return k
	}
	panic(fmt.Sprintf("nn: %s: kernel %v for %d spatial axes", op, c.Kernel, d))
}

func (c ConvConfig) groups(op string) int {
	g := c.Groups
	if g == 0 {
		g = 1
	}
	if c.In <= 0 || c.Out <= 0 || g < 0 || c.In%g != 0 || c.Out%g != 0 {
		panic(fmt.Sprintf("nn: %s: in %d, out %d, groups %d", op, c.In, c.Out, c.Groups))
	}
	return g
}

// Conv is torch.nn.Conv1d/2d/3d: x: [N, In, *in] → [N, Out, *out].
// State_dict entries: "weight" [Out, In/Groups, *Kernel], "bias" [Out] (absent with
// NoBias).
type Conv struct {
	W    *Var        // [Out, In/Groups, *Kernel]
	B    *Var        // [Out], or nil
	Opts ConvOptions // stride, padding, dilation, groups and Same passed to [Tape.Conv]
}

// NewConv returns a convolution on the CPU with PyTorch's default init from rng:
// weight and bias U(±1/√fan_in), fan_in = (In/Groups)·∏Kernel.
func NewConv(c ConvConfig, rng *tensor.RNG) *Conv {
	k := c.kernel("NewConv")
	g := c.groups("NewConv")
	dev := tensor.CPU{}
	shape := append([]int{c.Out, c.In / g}, k...)
	m := &Conv{
		W: NewLeaf(DefaultWeight(dev, rng, shape...)),
		Opts: ConvOptions{Stride: slices.Clone(c.Stride), Padding: slices.Clone(c.Padding),
			Dilation: slices.Clone(c.Dilation), Groups: g, Same: c.Same},
	}
	if !c.NoBias {
		fanIn, _ := FanInOut(shape)
		m.B = NewLeaf(DefaultBias(dev, rng, fanIn, c.Out))
	}
	return m
}

// Forward computes x: [N, In, *in] → [N, Out, *out].
func (m *Conv) Forward(tp *Tape, x *Var) *Var {
	if x.Value.Rank() != m.W.Value.Rank() {
		panic(fmt.Sprintf("nn: Conv.Forward: input %v, weight %v", x.Shape(), m.W.Shape()))
	}
	return tp.Conv(x, m.W, m.B, m.Opts)
}

// Params returns "weight" and, with a bias, "bias".
func (m *Conv) Params() []Param { return weightBias(m.W, m.B) }

// ConvTranspose is torch.nn.ConvTranspose1d/2d/3d: x: [N, In, *in] → [N, Out, *out]
// with out = (in−1)·stride − 2·padding + dilation·(k−1) + output_padding + 1.
// State_dict entries: "weight" [In, Out/Groups, *Kernel] (PyTorch layout), "bias"
// [Out] (absent with NoBias).
type ConvTranspose struct {
	W    *Var                 // [In, Out/Groups, *Kernel]
	B    *Var                 // [Out], or nil
	Opts ConvTransposeOptions // stride, padding, output padding, dilation and groups passed to [Tape.ConvTranspose]
}

// NewConvTranspose returns a transposed convolution on the CPU with PyTorch's default
// init from rng: weight and bias U(±1/√fan_in) where PyTorch computes fan_in from the
// weight's dim 1, i.e. (Out/Groups)·∏Kernel. Same is not allowed.
func NewConvTranspose(c ConvConfig, rng *tensor.RNG) *ConvTranspose {
	if c.Same {
		panic("nn: NewConvTranspose: padding='same' is not supported (as in PyTorch)")
	}
	k := c.kernel("NewConvTranspose")
	g := c.groups("NewConvTranspose")
	dev := tensor.CPU{}
	shape := append([]int{c.In, c.Out / g}, k...)
	m := &ConvTranspose{
		W: NewLeaf(DefaultWeight(dev, rng, shape...)),
		Opts: ConvTransposeOptions{Stride: slices.Clone(c.Stride), Padding: slices.Clone(c.Padding),
			OutputPadding: slices.Clone(c.OutputPadding), Dilation: slices.Clone(c.Dilation), Groups: g},
	}
	if !c.NoBias {
		fanIn, _ := FanInOut(shape)
		m.B = NewLeaf(DefaultBias(dev, rng, fanIn, c.Out))
	}
	return m
}

// Forward computes x: [N, In, *in] → [N, Out, *out].
func (m *ConvTranspose) Forward(tp *Tape, x *Var) *Var {
	if x.Value.Rank() != m.W.Value.Rank() {
		panic(fmt.Sprintf("nn: ConvTranspose.Forward: input %v, weight %v", x.Shape(), m.W.Shape()))
	}
	return tp.ConvTranspose(x, m.W, m.B, m.Opts)
}

// Params returns "weight" and, with a bias, "bias".
func (m *ConvTranspose) Params() []Param { return weightBias(m.W, m.B) }
