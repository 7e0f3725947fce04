package models

import (
	"fmt"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// UNet is BiaPy's U-Net (U_Net) and its DoubleConvBlock-based variants, SE-U-Net
// (SE_U_Net, built by [NewSEUNet]) and Attention U-Net (Attention_U_Net, built by
// [NewAttentionUNet]), 2-D or 3-D: an encoder of DoubleConvBlocks ("down_path.<i>")
// each followed by max pooling (ZDown[i]×2×2 in 3-D, 2×2 in 2-D), a DoubleConvBlock
// bottleneck ("bottleneck"), a decoder of UpBlocks ("up_path.<j>", deepest level
// first) and a 1×1 convolution head ("last_block") without activation; SE-U-Net with
// LargerIO adds "conv_in" and "conv_out" ConvBlocks with (k+2)-sized kernels.
// x: [N, InChannels, *s] → [N, OutChannels, *s], where each spatial size must be
// divisible by the product of its pooling factors.
type UNet struct {
	Opts       UNetOptions        // resolved options
	ConvIn     *ConvBlock         // nil unless SE-U-Net with LargerIO
	Down       []*DoubleConvBlock // encoder levels
	Bottleneck *DoubleConvBlock   // bottleneck: DoubleConvBlock at the deepest level
	Up         []*UpBlock         // decoder levels, deepest first
	ConvOut    *ConvBlock         // nil unless SE-U-Net with LargerIO
	Last       *nn.Conv           // 1×1 head FeatureMaps[0] → OutChannels
}

// unetVariant selects the blocks of a [UNet].
type unetVariant struct {
	name      string
	se        bool // squeeze-and-excitation in the encoder and decoder blocks
	attention bool // attention gates on the skip connections
	isotropy  bool // honour Isotropy and LargerIO
}

// NewUNet returns BiaPy's U-Net (MODEL.ARCHITECTURE "unet") for o, with BiaPy's
// initialisation (xavier-uniform conv weights, zero conv biases, PyTorch's default for
// the transposed convolutions) drawn from rng. Isotropy and LargerIO are ignored, as
// in BiaPy.
func NewUNet(o UNetOptions, rng *tensor.RNG) (*UNet, error) {
	return newUNet(o, unetVariant{name: "UNet"}, rng)
}

// NewSEUNet returns BiaPy's SE-U-Net (MODEL.ARCHITECTURE "seunet"): a U-Net whose
// encoder and decoder ConvBlocks (not the bottleneck) end in a squeeze-and-excitation
// block of reduction 16 (every level needs at least 16 feature maps), honouring
// Isotropy and LargerIO.
func NewSEUNet(o UNetOptions, rng *tensor.RNG) (*UNet, error) {
	return newUNet(o, unetVariant{name: "SEUNet", se: true, isotropy: true}, rng)
}

// NewAttentionUNet returns BiaPy's Attention U-Net (MODEL.ARCHITECTURE
// "attention_unet"): a U-Net whose skip connections pass through attention gates.
// Isotropy and LargerIO are ignored, as in BiaPy.
func NewAttentionUNet(o UNetOptions, rng *tensor.RNG) (*UNet, error) {
	return newUNet(o, unetVariant{name: "AttentionUNet", attention: true}, rng)
}

func newUNet(o UNetOptions, v unetVariant, rng *tensor.RNG) (*UNet, error) {
	o, err := o.resolve(v.name)
	if err != nil {
		return nil, err
	}
	if !v.isotropy {
		o.LargerIO = false
		for i := range o.Isotropy {
			o.Isotropy[i] = true
		}
	}
	if v.se {
		for _, f := range o.FeatureMaps[:len(o.FeatureMaps)-1] {
			if f < 16 {
				return nil, fmt.Errorf("models: %s: feature maps %v: squeeze-and-excitation needs at least 16 channels per level", v.name, o.FeatureMaps)
			}
		}
	}
	wrap := func(err error) error { return modelError(v.name, err) }
	m := &UNet{Opts: o}
	in := o.InChannels
	if o.LargerIO {
		m.ConvIn, err = NewConvBlock(ConvBlockOptions{Ndim: o.Ndim, In: in, Out: o.FeatureMaps[0],
			Kernel: o.kernel(o.KernelSize+2, o.Isotropy[0]), Act: o.Activation, Norm: o.Normalization, Init: InitXavier}, rng)
		if err != nil {
			return nil, wrap(err)
		}
		in = o.FeatureMaps[0]
	}
	depth := len(o.FeatureMaps) - 1
	for i := range depth {
		b, err := NewDoubleConvBlock(ConvBlockOptions{Ndim: o.Ndim, In: in, Out: o.FeatureMaps[i], Kernel: o.levelKernel(i),
			Act: o.Activation, Norm: o.Normalization, Dropout: o.DropValues[i], SE: v.se, Init: InitXavier}, rng)
		if err != nil {
			return nil, wrap(err)
		}
		m.Down = append(m.Down, b)
		in = o.FeatureMaps[i]
	}
	m.Bottleneck, err = NewDoubleConvBlock(ConvBlockOptions{Ndim: o.Ndim, In: in, Out: o.FeatureMaps[depth], Kernel: o.levelKernel(depth),
		Act: o.Activation, Norm: o.Normalization, Dropout: o.DropValues[depth], Init: InitXavier}, rng)
	if err != nil {
		return nil, wrap(err)
	}
	in = o.FeatureMaps[depth]
	for i := depth - 1; i >= 0; i-- {
		b, err := newUpBlock(o, i, in, o.levelKernel(i), v.se, v.attention, rng)
		if err != nil {
			return nil, wrap(err)
		}
		m.Up = append(m.Up, b)
		in = o.FeatureMaps[i]
	}
	if o.LargerIO {
		m.ConvOut, err = NewConvBlock(ConvBlockOptions{Ndim: o.Ndim, In: in, Out: in,
			Kernel: o.kernel(o.KernelSize+2, o.Isotropy[0]), Act: o.Activation, Norm: o.Normalization, Init: InitXavier}, rng)
		if err != nil {
			return nil, wrap(err)
		}
	}
	m.Last = NewConvLayer(nn.ConvConfig{In: in, Out: o.OutChannels, Dims: o.Ndim, Kernel: []int{1}, Same: true}, InitXavier, rng)
	return m, nil
}

// Forward computes x: [N, InChannels, *s] → [N, OutChannels, *s], tracing each block
// output under its state_dict prefix.
func (m *UNet) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	checkUNetInput("UNet", m.Opts, x)
	if m.ConvIn != nil {
		x = tp.Trace("conv_in", m.ConvIn.Forward(tp, x))
	}
	skips := make([]*nn.Var, len(m.Down))
	for i, d := range m.Down {
		x = tp.Trace(nn.PrefixIndex("down_path", i), d.Forward(tp, x))
		skips[i] = x
		f := m.Opts.poolFactors(i)
		x = tp.Trace(nn.PrefixIndex("mpooling_layers", i), tp.MaxPool(x, f, f, nil))
	}
	x = tp.Trace("bottleneck", m.Bottleneck.Forward(tp, x))
	for j, u := range m.Up {
		x = tp.Trace(nn.PrefixIndex("up_path", j), u.Forward(tp, x, skips[len(skips)-1-j]))
	}
	if m.ConvOut != nil {
		x = tp.Trace("conv_out", m.ConvOut.Forward(tp, x))
	}
	return tp.Trace("last_block", m.Last.Forward(tp, x))
}

// Params returns the state_dict entries in BiaPy's registration order.
func (m *UNet) Params() []nn.Param {
	var ps []nn.Param
	if m.ConvIn != nil {
		ps = append(ps, nn.Prefixed("conv_in", m.ConvIn.Params())...)
	}
	for i, d := range m.Down {
		ps = append(ps, nn.Prefixed(nn.PrefixIndex("down_path", i), d.Params())...)
	}
	ps = append(ps, nn.Prefixed("bottleneck", m.Bottleneck.Params())...)
	for j, u := range m.Up {
		ps = append(ps, nn.Prefixed(nn.PrefixIndex("up_path", j), u.Params())...)
	}
	if m.ConvOut != nil {
		ps = append(ps, nn.Prefixed("conv_out", m.ConvOut.Params())...)
	}
	return append(ps, nn.Prefixed("last_block", m.Last.Params())...)
}

// SetTraining puts every normalisation and dropout layer in training (true) or eval
// mode.
func (m *UNet) SetTraining(train bool) {
	if m.ConvIn != nil {
		m.ConvIn.SetTraining(train)
	}
	for _, d := range m.Down {
		d.SetTraining(train)
	}
	m.Bottleneck.SetTraining(train)
	for _, u := range m.Up {
		u.SetTraining(train)
	}
	if m.ConvOut != nil {
		m.ConvOut.SetTraining(train)
	}
}

// checkUNetInput panics unless x is [N, InChannels, *s] with Ndim spatial axes, each
// divisible by the product of its pooling factors.
func checkUNetInput(model string, o UNetOptions, x *nn.Var) {
	sh := x.Shape()
	if len(sh) != o.Ndim+2 || sh[1] != o.InChannels {
		panic(fmt.Sprintf("models: %s.Forward: input %v, want [N, %d, %d spatial axes]", model, sh, o.InChannels, o.Ndim))
	}
	for a := range o.Ndim {
		div := 1
		for i := range len(o.FeatureMaps) - 1 {
			div *= o.poolFactors(i)[a]
		}
		if sh[2+a]%div != 0 {
			panic(fmt.Sprintf("models: %s.Forward: input %v: spatial axis %d (%d) is not divisible by %d", model, sh, a, sh[2+a], div))
		}
	}
}
