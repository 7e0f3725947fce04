package models

import (
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// ResConvBlockOptions configure [NewResConvBlock] (BiaPy's ResConvBlock arguments).
type ResConvBlockOptions struct {
	Ndim    int     // spatial axes: 2 or 3
	In, Out int     // channels
	Kernel  []int   // main kernel: one entry for all axes, or one per axis
	Act     string  // activation name (see [Activation]); "" means none
	Norm    string  // normalisation name (see [Norm]); "" or "none" means none
	Dropout float32 // dropout probability in the first ConvBlock In → Out; 0 means no layer
	// SkipKernel is the shortcut convolution's kernel; nil means 1.
	SkipKernel []int
	// SkipNorm is the shortcut's normalisation; "" means none.
	SkipNorm string
	// FirstBlock drops the full pre-activation (normalisation, activation) before the
	// first convolution.
	FirstBlock bool
	// SE appends a squeeze-and-excitation block ("se_block") after the sum.
	SE bool
	// ExtraConv puts the pre-activation and an extra ConvBlock In → Out in "pre_conv"
	// before the residual path (Lee et al. 2017) and makes the shortcut the identity.
	ExtraConv bool
	Init      Init // conv and SE linear initialisation
}

// ResConvBlock is BiaPy's ResConvBlock: out = block(x) + shortcut(x), then an
// optional squeeze-and-excitation. Without ExtraConv, "block" is [norm(In), act]
// (unless FirstBlock), ConvBlock In → Out (norm, act, dropout), ConvBlock Out → Out
// (plain conv), and "shortcut" is a "same" conv In → Out plus SkipNorm. With
// ExtraConv, "pre_conv" holds [norm(In), act] (unless FirstBlock) and ConvBlock
// In → Out, "block" the two ConvBlocks Out → Out, and the shortcut is the identity.
// x: [N, In, *s] → [N, Out, *s].
type ResConvBlock struct {
	PreConv  *nn.Sequential // nil without ExtraConv
	Block    *nn.Sequential // "block": the residual path
	Shortcut *nn.Sequential // nil with ExtraConv (identity)
	SE       *SqExBlock     // nil without SE
}

// NewResConvBlock returns a ResConvBlock.
func NewResConvBlock(o ResConvBlockOptions, rng *tensor.RNG) (*ResConvBlock, error) {
	var pre []nn.Module
	if !o.FirstBlock {
		n, err := Norm(o.Norm, o.In, o.Ndim)
		if err != nil {
			return nil, err
		}
		if n != nil {
			pre = append(pre, n)
		}
		if o.Act != "" {
			a, err := Activation(o.Act)
			if err != nil {
				return nil, err
			}
			pre = append(pre, a)
		}
	}
	main := ConvBlockOptions{Ndim: o.Ndim, In: o.In, Out: o.Out, Kernel: o.Kernel, Act: o.Act, Norm: o.Norm, Dropout: o.Dropout, Init: o.Init}
	b := &ResConvBlock{}
	in := o.In
	var block []nn.Module
	if o.ExtraConv {
		c, err := NewConvBlock(main, rng)
		if err != nil {
			return nil, err
		}
		b.PreConv = nn.NewSequential(append(pre, c)...)
		in = o.Out
	} else {
		block = pre
	}
	main.In = in
	c1, err := NewConvBlock(main, rng)
	if err != nil {
		return nil, err
	}
	c2, err := NewConvBlock(ConvBlockOptions{Ndim: o.Ndim, In: o.Out, Out: o.Out, Kernel: o.Kernel, Init: o.Init}, rng)
	if err != nil {
		return nil, err
	}
	b.Block = nn.NewSequential(append(block, c1, c2)...)
	if !o.ExtraConv {
		k := o.SkipKernel
		if k == nil {
			k = []int{1}
		}
		sc := []nn.Module{NewConvLayer(nn.ConvConfig{In: in, Out: o.Out, Dims: o.Ndim, Kernel: k, Same: true}, o.Init, rng)}
		n, err := Norm(o.SkipNorm, o.Out, o.Ndim)
		if err != nil {
			return nil, err
		}
		if n != nil {
			sc = append(sc, n)
		}
		b.Shortcut = nn.NewSequential(sc...)
	}
	if o.SE {
		if b.SE, err = NewSqExBlock(o.Out, 16, o.Init, rng); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Forward computes x: [N, In, *s] → [N, Out, *s].
func (b *ResConvBlock) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	if b.PreConv != nil {
		x = b.PreConv.Forward(tp, x)
	}
	short := x
	if b.Shortcut != nil {
		short = b.Shortcut.Forward(tp, x)
	}
	out := tp.Add(b.Block.Forward(tp, x), short)
	if b.SE != nil {
		out = b.SE.Forward(tp, out)
	}
	return out
}

// Params returns "pre_conv.*", "block.*", "shortcut.*" and "se_block.*", those that
// exist, in BiaPy's registration order.
func (b *ResConvBlock) Params() []nn.Param {
	ps := paramsOf("block", b.Block)
	if b.PreConv != nil {
		ps = append(nn.Prefixed("pre_conv", b.PreConv.Params()), ps...)
	}
	if b.Shortcut != nil {
		ps = append(ps, nn.Prefixed("shortcut", b.Shortcut.Params())...)
	}
	if b.SE != nil {
		ps = append(ps, nn.Prefixed("se_block", b.SE.Params())...)
	}
	return ps
}

// SetTraining sets the mode of every normalisation and dropout layer.
func (b *ResConvBlock) SetTraining(train bool) {
	if b.PreConv != nil {
		b.PreConv.SetTraining(train)
	}
	b.Block.SetTraining(train)
	if b.Shortcut != nil {
		b.Shortcut.SetTraining(train)
	}
}

// ResUpBlock is BiaPy's ResUpBlock, a Residual U-Net decoder level: "up" (a
// transposed convolution In → In with kernel = stride = the pooling factors, or a
// bilinear/trilinear resize), the concatenation [up, skip] and "conv_block", a
// ResConvBlock In+Skip → Out. x: [N, In, *s], skip: [N, Skip, *s'] → [N, Out, *s'].
type ResUpBlock struct {
	Up        nn.Module     // *nn.ConvTranspose or *nn.Upsample
	ConvBlock *ResConvBlock // conv_block: ResConvBlock In+Skip → Out
}

// Forward computes x: [N, In, *s] and skip: [N, Skip, *s'] → [N, Out, *s'].
func (b *ResUpBlock) Forward(tp *nn.Tape, x, skip *nn.Var) *nn.Var {
	return b.ConvBlock.Forward(tp, tp.Concat(1, b.Up.Forward(tp, x), skip))
}

// Params returns "up.*" then "conv_block.*".
func (b *ResUpBlock) Params() []nn.Param {
	return append(nn.Prefixed("up", b.Up.Params()), nn.Prefixed("conv_block", b.ConvBlock.Params())...)
}

// SetTraining sets the mode of the ResConvBlock.
func (b *ResUpBlock) SetTraining(train bool) { b.ConvBlock.SetTraining(train) }

// ResUNet is BiaPy's Residual U-Net (ResUNet, built by [NewResUNet]) and its
// squeeze-and-excitation variant (ResUNet_SE, built by [NewResUNetSE]), 2-D or 3-D:
// optional "conv_in" (LargerIO), an encoder of ResConvBlocks ("down_path.<i>", the
// first without pre-activation) each followed by max pooling, a ResConvBlock
// "bottleneck", a decoder of ResUpBlocks ("up_path.<j>", deepest first), optional
// "conv_out" (LargerIO) and a 1×1 convolution head "last_block" without activation.
// x: [N, InChannels, *s] → [N, OutChannels, *s].
type ResUNet struct {
	Opts       UNetOptions     // resolved options
	ConvIn     *ConvBlock      // nil without LargerIO
	Down       []*ResConvBlock // down_path.<i>: encoder levels
	Bottleneck *ResConvBlock   // bottleneck: ResConvBlock at the deepest level
	Up         []*ResUpBlock   // deepest first
	ConvOut    *ConvBlock      // nil without LargerIO
	Last       *nn.Conv        // last_block: 1×1 head FeatureMaps[0] → OutChannels
}

// NewResUNet returns BiaPy's Residual U-Net (MODEL.ARCHITECTURE "resunet") for o with
// BiaPy's initialisation drawn from rng.
func NewResUNet(o UNetOptions, rng *tensor.RNG) (*ResUNet, error) {
	return newResUNet(o, "ResUNet", false, rng)
}

// NewResUNetSE returns BiaPy's ResUNet_SE (MODEL.ARCHITECTURE "resunet_se"): a
// Residual U-Net whose ResConvBlocks use BiaPy's extra_conv=True layout (pre_conv with
// an extra ConvBlock, identity shortcut) and end in a squeeze-and-excitation block of
// reduction 16 (every level needs at least 16 feature maps).
func NewResUNetSE(o UNetOptions, rng *tensor.RNG) (*ResUNet, error) {
	return newResUNet(o, "ResUNetSE", true, rng)
}

func newResUNet(o UNetOptions, name string, se bool, rng *tensor.RNG) (*ResUNet, error) {
	o, err := o.resolve(name)
	if err != nil {
		return nil, err
	}
	if se && slices.Min(o.FeatureMaps) < 16 {
		return nil, fmt.Errorf("models: %s: feature maps %v: squeeze-and-excitation needs at least 16 channels per level", name, o.FeatureMaps)
	}
	res := func(in, out, level int, first bool) (*ResConvBlock, error) {
		return NewResConvBlock(ResConvBlockOptions{Ndim: o.Ndim, In: in, Out: out, Kernel: o.levelKernel(level),
			Act: o.Activation, Norm: o.Normalization, Dropout: o.DropValues[level], FirstBlock: first,
			SE: se, ExtraConv: se, Init: InitXavier}, rng)
	}
	p, err := buildUNet(o, name, unetBlocks[*ResConvBlock, *ResUpBlock]{
		down:       func(in, out, level int) (*ResConvBlock, error) { return res(in, out, level, level == 0) },
		bottleneck: func(in, out, level int) (*ResConvBlock, error) { return res(in, out, level, false) },
		up: func(in, level int) (*ResUpBlock, error) {
			up := upsampler(o.UpsampleLayer, o.Ndim, in, in, o.poolFactors(level), false, InitXavier, rng)[0]
			cb, err := res(in+o.FeatureMaps[level], o.FeatureMaps[level], level, false)
			if err != nil {
				return nil, err
			}
			return &ResUpBlock{Up: up, ConvBlock: cb}, nil
		},
	}, rng)
	if err != nil {
		return nil, err
	}
	m := ResUNet(p)
	return &m, nil
}

// parts returns m's layout for the shared U-Net-family code.
func (m *ResUNet) parts() unetParts[*ResConvBlock, *ResUpBlock] {
	return unetParts[*ResConvBlock, *ResUpBlock](*m)
}

// Forward computes x: [N, InChannels, *s] → [N, OutChannels, *s], tracing each block
// output under its state_dict prefix.
func (m *ResUNet) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	checkUNetInput("ResUNet", m.Opts, x)
	return m.parts().forward(tp, x)
}

// Params returns the state_dict entries in BiaPy's registration order.
func (m *ResUNet) Params() []nn.Param { return m.parts().params() }

// SetTraining puts every normalisation and dropout layer in training (true) or eval
// mode.
func (m *ResUNet) SetTraining(train bool) { m.parts().setTraining(train) }
