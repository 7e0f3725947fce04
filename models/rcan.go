package models

import (
	"fmt"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// RCANOptions configures [NewRCAN] (BiaPy's biapy/models/rcan.py, MODEL.ARCHITECTURE
// "rcan"). The zero value is BiaPy's default configuration for self-supervision on
// one-channel images: 2-D, 16 filters, 10 residual groups of 20 RCABs, reduction 16,
// upscaling layer with scale 1, 1 channel.
type RCANOptions struct {
	// Dims is ndim, the number of spatial axes (2 or 3); 0 means 2.
	Dims int
	// Channels is num_channels, input and output channels (DATA.PATCH_SIZE[-1]); 0 means 1.
	Channels int
	// Filters is MODEL.RCAN_CONV_FILTERS; 0 means 16.
	Filters int
	// Scale is PROBLEM.SUPER_RESOLUTION.UPSCALING[0] (1 for self-supervision); 0 means 1.
	Scale int
	// Groups is MODEL.RCAN_RG_BLOCK_NUM, the residual groups; 0 means 10.
	Groups int
	// RCABs is MODEL.RCAN_RCAB_BLOCK_NUM, the blocks per group; 0 means 20.
	RCABs int
	// Reduction is MODEL.RCAN_REDUCTION_RATIO, the channel-attention squeeze; 0 means 16.
	Reduction int
	// NoUpscalingLayer is MODEL.RCAN_UPSCALING_LAYER = False: no conv + PixelShuffle
	// before the last conv (false keeps BiaPy's default True).
	NoUpscalingLayer bool
}

// RCAN is the residual channel attention network as BiaPy builds it:
// x: [N, C, *s] → [N, C, *s·scale] (scale 1 in 3-D). No final activation.
// State_dict: sf, rgs.<g>.module.<b>… (RCABs, then the group's closing conv at index
// RCABs), conv1, upscale.0, conv2.
type RCAN struct {
	SF      *nn.Conv     // sf: C → F
	RGs     []*RCANGroup // rgs.<g>
	Conv1   *nn.Conv     // conv1: F → F (before the global skip)
	Upscale *nn.Conv     // upscale.0: F → F·s², then PixelShuffle(s); nil without upscaling layer
	Scale   int          // s, the PixelShuffle factor after Upscale (1: none)
	Conv2   *nn.Conv     // conv2: F → C
}

// RCANGroup is BiaPy's RG: x + conv(RCAB_n(…RCAB_1(x))).
type RCANGroup struct {
	RCABs []*RCANBlock // module.0 … module.<n-1>, applied in order
	Conv  *nn.Conv     // module.<n>: F → F, 3×3, closing the group before its skip
}

// RCANBlock is BiaPy's RCAB: y = conv2(SiLU(conv1(x))); x + y·CA(y) with the channel
// attention CA(y) = sigmoid(up(SiLU(down(avgpool(y))))).
type RCANBlock struct {
	Conv1, Conv2 *nn.Conv // module.0, module.2: F → F, 3×3
	Down, Up     *nn.Conv // module.3.module.1: F → F/r, module.3.module.3: F/r → F, 1×1
}

// NewRCAN builds an RCAN with PyTorch's default init drawn from rng.
func NewRCAN(o RCANOptions, rng *tensor.RNG) (*RCAN, error) {
	dims, ch, nf := srOr(o.Dims, 2), srOr(o.Channels, 1), srOr(o.Filters, 16)
	scale, ng, nb, red := srOr(o.Scale, 1), srOr(o.Groups, 10), srOr(o.RCABs, 20), srOr(o.Reduction, 16)
	checkScale := scale
	if o.NoUpscalingLayer {
		checkScale = 1 // the scale is unused without the upscaling layer
	}
	if err := srCheckDims("RCAN", dims, checkScale); err != nil {
		return nil, err
	}
	if ch < 1 || nf < 1 || ng < 0 || nb < 0 || red < 1 {
		return nil, fmt.Errorf("models: RCAN: %d channels, %d filters, %d groups, %d RCABs, reduction %d", ch, nf, ng, nb, red)
	}
	if nf/red < 1 {
		return nil, fmt.Errorf("models: RCAN: %d filters with reduction %d leaves no attention channel", nf, red)
	}
	m := &RCAN{SF: srConv(dims, ch, nf, 3, rng), Scale: scale}
	for range ng {
		g := &RCANGroup{}
		for range nb {
			g.RCABs = append(g.RCABs, &RCANBlock{
				Conv1: srConv(dims, nf, nf, 3, rng), Conv2: srConv(dims, nf, nf, 3, rng),
				Down: srConv(dims, nf, nf/red, 1, rng), Up: srConv(dims, nf/red, nf, 1, rng),
			})
		}
		g.Conv = srConv(dims, nf, nf, 3, rng)
		m.RGs = append(m.RGs, g)
	}
	m.Conv1 = srConv(dims, nf, nf, 3, rng)
	if !o.NoUpscalingLayer {
		m.Upscale = srConv(dims, nf, nf*scale*scale, 3, rng)
	}
	m.Conv2 = srConv(dims, nf, ch, 3, rng)
	return m, nil
}

// Forward computes x + y·CA(y), y = conv2(SiLU(conv1(x))): [N, F, *s] → [N, F, *s].
func (b *RCANBlock) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	y := b.Conv2.Forward(tp, tp.SiLU(b.Conv1.Forward(tp, x)))
	a := tp.Sigmoid(b.Up.Forward(tp, tp.SiLU(b.Down.Forward(tp, tp.GlobalAvgPool(y)))))
	return tp.Add(x, tp.Mul(y, a))
}

// Params returns module.0, module.2, module.3.module.1 and module.3.module.3.
func (b *RCANBlock) Params() []nn.Param {
	ps := srParams("module.0", b.Conv1)
	ps = append(ps, srParams("module.2", b.Conv2)...)
	ps = append(ps, srParams("module.3.module.1", b.Down)...)
	return append(ps, srParams("module.3.module.3", b.Up)...)
}

// Forward computes x + conv(RCABs(x)): [N, F, *s] → [N, F, *s].
func (g *RCANGroup) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	y := x
	for _, b := range g.RCABs {
		y = b.Forward(tp, y)
	}
	return tp.Add(x, g.Conv.Forward(tp, y))
}

// Params returns module.<i> for each RCAB and module.<n> for the closing conv.
func (g *RCANGroup) Params() []nn.Param {
	var ps []nn.Param
	for i, b := range g.RCABs {
		ps = append(ps, srParams(nn.PrefixIndex("module", i), b)...)
	}
	return append(ps, srParams(nn.PrefixIndex("module", len(g.RCABs)), g.Conv)...)
}

// Forward computes x: [N, C, *s] → [N, C, *s·scale].
func (m *RCAN) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	res := tp.Trace("sf", m.SF.Forward(tp, x))
	y := res
	for i, g := range m.RGs {
		y = tp.Trace(nn.PrefixIndex("rgs", i), g.Forward(tp, y))
	}
	y = tp.Trace("conv1", tp.Add(m.Conv1.Forward(tp, y), res))
	if m.Upscale != nil {
		y = m.Upscale.Forward(tp, y)
		if m.Scale > 1 {
			y = tp.PixelShuffle(y, m.Scale)
		}
		y = tp.Trace("upscale", y)
	}
	return tp.Trace("conv2", m.Conv2.Forward(tp, y))
}

// Params returns the state_dict entries in BiaPy's order.
func (m *RCAN) Params() []nn.Param {
	ps := srParams("sf", m.SF)
	for i, g := range m.RGs {
		ps = append(ps, srParams(nn.PrefixIndex("rgs", i), g)...)
	}
	ps = append(ps, srParams("conv1", m.Conv1)...)
	if m.Upscale != nil {
		ps = append(ps, srParams("upscale.0", m.Upscale)...)
	}
	return append(ps, srParams("conv2", m.Conv2)...)
}
