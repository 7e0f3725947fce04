package models

import (
	"fmt"
	"math"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// WDSROptions configures [NewWDSR] (BiaPy's biapy/models/wdsr.py, MODEL.ARCHITECTURE
// "wdsr", 2-D only). The zero value is BiaPy's default for self-supervision on
// one-channel images: 32 filters, 8 residual blocks, expansion 6, scale 1, 1 channel
// (build_model hard-codes 32/8/6).
type WDSROptions struct {
	// Scale is PROBLEM.SUPER_RESOLUTION.UPSCALING[0] (1 for self-supervision); 0 means 1.
	Scale int
	// Filters is num_filters; 0 means 32.
	Filters int
	// ResBlocks is num_res_blocks; 0 means 8.
	ResBlocks int
	// Expansion is res_block_expansion, the wide-activation width multiplier (inner
	// width int(Filters·Expansion)); 0 means 6.
	Expansion float64
	// Channels is num_channels (DATA.PATCH_SIZE[-1]); 0 means 1.
	Channels int
}

// WNConv is a weight-normalised 2-D convolution (torch.nn.utils.weight_norm on
// nn.Conv2d, dim 0) with padding k/2: the effective weight is g·v/‖v‖, the norm taken
// per output channel over all other axes; gradients flow to g and v.
// State_dict: "bias" [out], "weight_g" [out, 1, 1, 1], "weight_v" [out, in, k, k].
type WNConv struct {
	B   *nn.Var // bias [out]
	G   *nn.Var // weight_g [out, 1, 1, 1]
	V   *nn.Var // weight_v [out, in, k, k]
	Pad int     // padding k/2 on each spatial side
}

// newWNConv returns a WNConv with v drawn as PyTorch's default conv weight, bias 0 and
// g = gInit (BiaPy overwrites both after weight_norm).
func newWNConv(in, out, k int, gInit float32, rng *tensor.RNG) *WNConv {
	dev := tensor.CPU{}
	return &WNConv{
		B:   nn.NewLeaf(tensor.Zeros(dev, out)),
		G:   nn.NewLeaf(tensor.Full(dev, gInit, out, 1, 1, 1)),
		V:   nn.NewLeaf(nn.DefaultWeight(dev, rng, out, in, k, k)),
		Pad: k / 2,
	}
}

// Weight returns the effective weight g·v/‖v‖: [out, in, k, k].
func (c *WNConv) Weight(tp *nn.Tape) *nn.Var {
	vs := c.V.Shape()
	norm := tp.Sqrt(tp.SumTo(tp.Square(c.V), vs[0], 1, 1, 1))
	return tp.Mul(c.V, tp.Div(c.G, norm))
}

// Forward computes the convolution x: [N, in, H, W] → [N, out, H, W].
func (c *WNConv) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	return tp.Conv(x, c.Weight(tp), c.B, nn.ConvOptions{Padding: []int{c.Pad}})
}

// Params returns bias, weight_g, weight_v (weight_norm's registration order).
func (c *WNConv) Params() []nn.Param {
	return []nn.Param{{Name: "bias", Var: c.B}, {Name: "weight_g", Var: c.G}, {Name: "weight_v", Var: c.V}}
}

// WDSRBlock is BiaPy's WDSR Block: x + conv2(ReLU(conv1(x))), conv1 widening F → F·e.
type WDSRBlock struct {
	Conv1, Conv2 *WNConv // body.0, body.2
}

// Forward computes x + conv2(ReLU(conv1(x))): [N, F, H, W] → [N, F, H, W].
func (b *WDSRBlock) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	return tp.Add(b.Conv2.Forward(tp, tp.ReLU(b.Conv1.Forward(tp, x))), x)
}

// Params returns body.0.* and body.2.*.
func (b *WDSRBlock) Params() []nn.Param {
	return append(srParams("body.0", b.Conv1), srParams("body.2", b.Conv2)...)
}

// WDSR is the wide-activation super-resolution network as BiaPy builds it:
// x: [N, C, H, W] → [N, C, H·s, W·s]: PixelShuffle(s)(body(x) + skip(x)), with the skip
// a 5×5 weight-normalised conv C → C·s² when s > 1 and the identity otherwise. No final
// activation. State_dict: body.0, body.<1..n>.body.{0,2}, body.<n+1>, skip.0 (s > 1).
type WDSR struct {
	Head   *WNConv      // body.0: C → F
	Blocks []*WDSRBlock // body.1 … body.n
	Tail   *WNConv      // body.<n+1>: F → C·s²
	Skip   *WNConv      // skip.0: C → C·s², 5×5; nil when s = 1
	Scale  int          // s, the PixelShuffle factor at the end (1: none)
}

// NewWDSR builds a WDSR: every v draws PyTorch's default conv init from rng, biases
// are 0 and g is 1 (head, tail, skip), 2 (block widening convs) or 1/√n (block
// narrowing convs), as BiaPy sets them.
func NewWDSR(o WDSROptions, rng *tensor.RNG) (*WDSR, error) {
	scale, nf, nb, ch := srOr(o.Scale, 1), srOr(o.Filters, 32), srOr(o.ResBlocks, 8), srOr(o.Channels, 1)
	exp := o.Expansion
	if exp == 0 {
		exp = 6
	}
	wide := int(float64(nf) * exp)
	if scale < 1 || nf < 1 || nb < 0 || ch < 1 || wide < 1 {
		return nil, fmt.Errorf("models: WDSR: scale %d, %d filters, %d blocks, expansion %g, %d channels", scale, nf, nb, exp, ch)
	}
	outs := scale * scale * ch
	m := &WDSR{Head: newWNConv(ch, nf, 3, 1, rng), Scale: scale}
	resScale := float32(1 / math.Sqrt(float64(nb)))
	for range nb {
		m.Blocks = append(m.Blocks, &WDSRBlock{Conv1: newWNConv(nf, wide, 3, 2, rng), Conv2: newWNConv(wide, nf, 3, resScale, rng)})
	}
	m.Tail = newWNConv(nf, outs, 3, 1, rng)
	if outs != ch {
		m.Skip = newWNConv(ch, outs, 5, 1, rng)
	}
	return m, nil
}

// Forward computes x: [N, C, H, W] → [N, C, H·s, W·s].
func (m *WDSR) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	if x.Value.Rank() != 4 {
		panic(fmt.Sprintf("models: WDSR.Forward: input %v, want [N, C, H, W]", x.Shape()))
	}
	y := tp.Trace("body.0", m.Head.Forward(tp, x))
	for i, b := range m.Blocks {
		y = tp.Trace(nn.PrefixIndex("body", i+1), b.Forward(tp, y))
	}
	y = tp.Trace(nn.PrefixIndex("body", len(m.Blocks)+1), m.Tail.Forward(tp, y))
	if m.Skip != nil {
		y = tp.Add(y, tp.Trace("skip", m.Skip.Forward(tp, x)))
	} else {
		y = tp.Add(y, x)
	}
	if m.Scale > 1 {
		y = tp.PixelShuffle(y, m.Scale)
	}
	return y
}

// Params returns the state_dict entries in BiaPy's order.
func (m *WDSR) Params() []nn.Param {
	ps := srParams("body.0", m.Head)
	for i, b := range m.Blocks {
		ps = append(ps, srParams(nn.PrefixIndex("body", i+1), b)...)
	}
	ps = append(ps, srParams(nn.PrefixIndex("body", len(m.Blocks)+1), m.Tail)...)
	if m.Skip != nil {
		ps = append(ps, srParams("skip.0", m.Skip)...)
	}
	return ps
}
