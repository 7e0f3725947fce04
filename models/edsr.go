package models

import (
	"fmt"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// EDSROptions configures [NewEDSR] (BiaPy's biapy/models/edsr.py, MODEL.ARCHITECTURE
// "edsr"). The zero value is what BiaPy's build_model intends for self-supervision on
// one-channel images: 2-D, 64 filters, 16 residual blocks, no upscaling, 1 channel.
// (BiaPy 3.5.13 actually calls EDSR(args) with the dict as the only positional argument
// and so builds the class defaults, [EDSRClassDefaults].)
type EDSROptions struct {
	// Dims is the number of spatial axes, 2 or 3 (BiaPy allows only 2 through its
	// configuration checks); 0 means 2.
	Dims int
	// Filters is num_filters, the width of the body (hard-coded 64 in build_model);
	// 0 means 64.
	Filters int
	// ResBlocks is num_of_residual_blocks (hard-coded 16 in build_model); 0 means 16.
	ResBlocks int
	// Scale is upsampling_factor, PROBLEM.SUPER_RESOLUTION.UPSCALING[0] (1 for
	// self-supervision); 0 means 1. Scale 4 upsamples in two ×2 PixelShuffle steps.
	Scale int
	// Channels is num_channels, the input and output channels (DATA.PATCH_SIZE[-1]);
	// 0 means 1.
	Channels int
}

// EDSRClassDefaults returns the options of BiaPy's EDSR class defaults, which BiaPy
// 3.5.13 builds whatever the configuration: 2-D, 64 filters, 16 blocks, ×2, 3 channels.
func EDSRClassDefaults() EDSROptions {
	return EDSROptions{Dims: 2, Filters: 64, ResBlocks: 16, Scale: 2, Channels: 3}
}

// EDSR is the Enhanced Deep Residual super-resolution network as BiaPy builds it:
// x: [N, C, H, W] → [N, C, H·s, W·s] (3-D: [N, C, D, H, W], s = 1). No final activation.
// State_dict: first_conv_of_block, resblock.<i>.conv1/conv2, last_conv_of_block,
// last_block.0.conv1 (and conv2 for ×4), last_block.1.
type EDSR struct {
	First     *nn.Conv     // first_conv_of_block: C → F
	ResBlocks []*EDSRBlock // resblock.<i>
	Last      *nn.Conv     // last_conv_of_block: F → F (global skip)
	Up1, Up2  *nn.Conv     // last_block.0.conv1/conv2: F → F·f² before PixelShuffle(f); Up2 only for ×4
	Factor    int          // f: the PixelShuffle factor of each upsampling step
	Out       *nn.Conv     // last_block.1: F → C
}

// EDSRBlock is BiaPy's SR_convblock: x + conv2(conv1(x)), no activation.
type EDSRBlock struct {
	Conv1 *nn.Conv // conv1: F → F, 3×3
	Conv2 *nn.Conv // conv2: F → F, 3×3
}

// Forward computes x + conv2(conv1(x)): [N, F, *s] → [N, F, *s].
func (b *EDSRBlock) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	return tp.Add(b.Conv2.Forward(tp, b.Conv1.Forward(tp, x)), x)
}

// Params returns conv1.* and conv2.*.
func (b *EDSRBlock) Params() []nn.Param {
	return append(srParams("conv1", b.Conv1), srParams("conv2", b.Conv2)...)
}

// NewEDSR builds an EDSR with PyTorch's default init drawn from rng.
func NewEDSR(o EDSROptions, rng *tensor.RNG) (*EDSR, error) {
	dims, nf := srOr(o.Dims, 2), srOr(o.Filters, 64)
	nb, scale, ch := srOr(o.ResBlocks, 16), srOr(o.Scale, 1), srOr(o.Channels, 1)
	if err := srCheckDims("EDSR", dims, scale); err != nil {
		return nil, err
	}
	if nf < 1 || nb < 0 || ch < 1 {
		return nil, fmt.Errorf("models: EDSR: %d filters, %d residual blocks, %d channels", nf, nb, ch)
	}
	m := &EDSR{First: srConv(dims, ch, nf, 3, rng), Factor: scale}
	for range nb {
		m.ResBlocks = append(m.ResBlocks, &EDSRBlock{Conv1: srConv(dims, nf, nf, 3, rng), Conv2: srConv(dims, nf, nf, 3, rng)})
	}
	m.Last = srConv(dims, nf, nf, 3, rng)
	if scale == 4 {
		m.Factor = 2
	}
	m.Up1 = srConv(dims, nf, nf*m.Factor*m.Factor, 3, rng)
	if scale == 4 {
		m.Up2 = srConv(dims, nf, nf*m.Factor*m.Factor, 3, rng)
	}
	m.Out = srConv(dims, nf, ch, 3, rng)
	return m, nil
}

// Forward computes x: [N, C, *s] → [N, C, *s·scale].
func (m *EDSR) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	skip := tp.Trace("first_conv_of_block", m.First.Forward(tp, x))
	out := skip
	for i, b := range m.ResBlocks {
		out = tp.Trace(nn.PrefixIndex("resblock", i), b.Forward(tp, out))
	}
	out = tp.Add(out, tp.Trace("last_conv_of_block", m.Last.Forward(tp, skip)))
	out = m.Up1.Forward(tp, out)
	if m.Factor > 1 {
		out = tp.PixelShuffle(out, m.Factor)
	}
	if m.Up2 != nil {
		out = tp.PixelShuffle(m.Up2.Forward(tp, out), m.Factor)
	}
	out = tp.Trace("last_block.0", out)
	return tp.Trace("last_block.1", m.Out.Forward(tp, out))
}

// Params returns the state_dict entries in BiaPy's order.
func (m *EDSR) Params() []nn.Param {
	ps := srParams("first_conv_of_block", m.First)
	for i, b := range m.ResBlocks {
		ps = append(ps, srParams(nn.PrefixIndex("resblock", i), b)...)
	}
	ps = append(ps, srParams("last_conv_of_block", m.Last)...)
	ps = append(ps, srParams("last_block.0.conv1", m.Up1)...)
	if m.Up2 != nil {
		ps = append(ps, srParams("last_block.0.conv2", m.Up2)...)
	}
	return append(ps, srParams("last_block.1", m.Out)...)
}
