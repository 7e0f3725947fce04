package models

import (
	"fmt"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// dfcanFeatures is DFCAN's hard-coded feature width, and dfcanSqueeze the hard-coded
// width of its channel-attention squeeze.
const (
	dfcanFeatures = 64
	dfcanSqueeze  = 4
	dfcanGamma    = 0.8
)

// DFCANOptions configures [NewDFCAN] (BiaPy's biapy/models/dfcan.py, MODEL.ARCHITECTURE
// "dfcan"). The zero value is BiaPy's default for self-supervision on one-channel
// images: 2-D, 4 residual groups of 4 RCABs (hard-coded in build_model), scale 1. The
// 64 features are hard-coded in BiaPy's class.
type DFCANOptions struct {
	// Dims is ndim, the number of spatial axes (2 or 3); 0 means 2.
	Dims int
	// Channels is input_shape[-1], input and output channels (DATA.PATCH_SIZE[-1]);
	// 0 means 1.
	Channels int
	// Scale is PROBLEM.SUPER_RESOLUTION.UPSCALING[0] (1 for self-supervision); 0 means 1.
	Scale int
	// ResGroups is n_ResGroup; 0 means 4.
	ResGroups int
	// RCABs is n_RCAB, the blocks per group; 0 means 4.
	RCABs int
}

// DFCAN is the deep Fourier channel attention network as BiaPy builds it:
// x: [N, C, *s] → [N, C, *s·scale] (scale 1 in 3-D), ending in a Sigmoid (BiaPy keeps it
// even for self-supervision). State_dict: input.0, RGs.<g>.RCABs.<b>.{conv_gelu1,
// conv_gelu2, conv_relu1, conv_relu2, conv_sigmoid}.0, conv_gelu.0, conv_sigmoid.0.
type DFCAN struct {
	Input    *nn.Conv      // input.0: C → 64, then GELU
	RGs      []*DFCANGroup // RGs.<g>
	ConvGELU *nn.Conv      // conv_gelu.0: 64 → 64·s², then GELU and PixelShuffle(s)
	Scale    int           // s, the PixelShuffle factor after ConvGELU (1: none)
	Out      *nn.Conv      // conv_sigmoid.0: 64 → C, then Sigmoid
}

// DFCANGroup is BiaPy's ResGroup: x + RCAB_n(…RCAB_1(x)).
type DFCANGroup struct {
	RCABs []*DFCANBlock // RCABs.<b>, applied in order
}

// DFCANBlock is DFCAN's Fourier channel attention RCAB:
// y = GELU(conv2(GELU(conv1(x)))), f = shift((|FFT(y)| + 1e-8)^0.8),
// a = sigmoid(conv5(ReLU(conv4(avgpool(ReLU(conv3(f))))))), out = x + y·a.
type DFCANBlock struct {
	GELU1, GELU2 *nn.Conv // conv_gelu1.0, conv_gelu2.0: 64 → 64, 3×3
	ReLU1        *nn.Conv // conv_relu1.0: 64 → 64, 3×3, on the spectrum
	ReLU2        *nn.Conv // conv_relu2.0: 64 → 4, 1×1
	Sigmoid      *nn.Conv // conv_sigmoid.0: 4 → 64, 1×1
}

// NewDFCAN builds a DFCAN with PyTorch's default init drawn from rng.
func NewDFCAN(o DFCANOptions, rng *tensor.RNG) (*DFCAN, error) {
	dims, ch, scale := srOr(o.Dims, 2), srOr(o.Channels, 1), srOr(o.Scale, 1)
	ng, nb := srOr(o.ResGroups, 4), srOr(o.RCABs, 4)
	if err := srCheckDims("DFCAN", dims, scale); err != nil {
		return nil, err
	}
	if ch < 1 || ng < 0 || nb < 0 {
		return nil, fmt.Errorf("models: DFCAN: %d channels, %d residual groups, %d RCABs", ch, ng, nb)
	}
	f := dfcanFeatures
	m := &DFCAN{Input: srConv(dims, ch, f, 3, rng), Scale: scale}
	for range ng {
		g := &DFCANGroup{}
		for range nb {
			g.RCABs = append(g.RCABs, &DFCANBlock{
				GELU1: srConv(dims, f, f, 3, rng), GELU2: srConv(dims, f, f, 3, rng),
				ReLU1: srConv(dims, f, f, 3, rng), ReLU2: srConv(dims, f, dfcanSqueeze, 1, rng),
				Sigmoid: srConv(dims, dfcanSqueeze, f, 1, rng),
			})
		}
		m.RGs = append(m.RGs, g)
	}
	m.ConvGELU = srConv(dims, f, f*scale*scale, 3, rng)
	m.Out = srConv(dims, f, ch, 3, rng)
	return m, nil
}

// Forward computes x + y·a (see [DFCANBlock]): [N, 64, *s] → [N, 64, *s].
func (b *DFCANBlock) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	y := tp.GELU(b.GELU2.Forward(tp, tp.GELU(b.GELU1.Forward(tp, x))))
	f := fourierPower(tp, y, dfcanGamma)
	f = tp.GlobalAvgPool(tp.ReLU(b.ReLU1.Forward(tp, f)))
	a := tp.Sigmoid(b.Sigmoid.Forward(tp, tp.ReLU(b.ReLU2.Forward(tp, f))))
	return tp.Add(x, tp.Mul(y, a))
}

// Params returns conv_gelu1.0, conv_gelu2.0, conv_relu1.0, conv_relu2.0, conv_sigmoid.0.
func (b *DFCANBlock) Params() []nn.Param {
	ps := srParams("conv_gelu1.0", b.GELU1)
	ps = append(ps, srParams("conv_gelu2.0", b.GELU2)...)
	ps = append(ps, srParams("conv_relu1.0", b.ReLU1)...)
	ps = append(ps, srParams("conv_relu2.0", b.ReLU2)...)
	return append(ps, srParams("conv_sigmoid.0", b.Sigmoid)...)
}

// Forward computes x + RCABs(x): [N, 64, *s] → [N, 64, *s].
func (g *DFCANGroup) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	y := x
	for _, b := range g.RCABs {
		y = b.Forward(tp, y)
	}
	return tp.Add(x, y)
}

// Params returns RCABs.<i>.* for each block.
func (g *DFCANGroup) Params() []nn.Param {
	var ps []nn.Param
	for i, b := range g.RCABs {
		ps = append(ps, srParams(nn.PrefixIndex("RCABs", i), b)...)
	}
	return ps
}

// Forward computes x: [N, C, *s] → [N, C, *s·scale], values in (0, 1).
func (m *DFCAN) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	y := tp.Trace("input", tp.GELU(m.Input.Forward(tp, x)))
	for i, g := range m.RGs {
		y = tp.Trace(nn.PrefixIndex("RGs", i), g.Forward(tp, y))
	}
	y = tp.Trace("conv_gelu", tp.GELU(m.ConvGELU.Forward(tp, y)))
	if m.Scale > 1 {
		y = tp.PixelShuffle(y, m.Scale)
	}
	return tp.Trace("conv_sigmoid", tp.Sigmoid(m.Out.Forward(tp, y)))
}

// Params returns the state_dict entries in BiaPy's order.
func (m *DFCAN) Params() []nn.Param {
	ps := srParams("input.0", m.Input)
	for i, g := range m.RGs {
		ps = append(ps, srParams(nn.PrefixIndex("RGs", i), g)...)
	}
	ps = append(ps, srParams("conv_gelu.0", m.ConvGELU)...)
	return append(ps, srParams("conv_sigmoid.0", m.Out)...)
}
