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
	p, err := buildUNet(o, v.name, unetBlocks[*DoubleConvBlock, *UpBlock]{
		down: func(in, out, level int) (*DoubleConvBlock, error) {
			return NewDoubleConvBlock(ConvBlockOptions{Ndim: o.Ndim, In: in, Out: out, Kernel: o.levelKernel(level),
				Act: o.Activation, Norm: o.Normalization, Dropout: o.DropValues[level], SE: v.se, Init: InitXavier}, rng)
		},
		bottleneck: func(in, out, level int) (*DoubleConvBlock, error) {
			return NewDoubleConvBlock(ConvBlockOptions{Ndim: o.Ndim, In: in, Out: out, Kernel: o.levelKernel(level),
				Act: o.Activation, Norm: o.Normalization, Dropout: o.DropValues[level], Init: InitXavier}, rng)
		},
		up: func(in, level int) (*UpBlock, error) {
			return newUpBlock(o, level, in, o.levelKernel(level), v.se, v.attention, rng)
		},
	}, rng)
	if err != nil {
		return nil, err
	}
	m := UNet(p)
	return &m, nil
}

// parts returns m's layout for the shared U-Net-family code.
func (m *UNet) parts() unetParts[*DoubleConvBlock, *UpBlock] {
	return unetParts[*DoubleConvBlock, *UpBlock](*m)
}

// Forward computes x: [N, InChannels, *s] → [N, OutChannels, *s], tracing each block
// output under its state_dict prefix.
func (m *UNet) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	checkUNetInput("UNet", m.Opts, x)
	return m.parts().forward(tp, x)
}

// Params returns the state_dict entries in BiaPy's registration order.
func (m *UNet) Params() []nn.Param { return m.parts().params() }

// SetTraining puts every normalisation and dropout layer in training (true) or eval
// mode.
func (m *UNet) SetTraining(train bool) { m.parts().setTraining(train) }

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
