package models

import (
	"fmt"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// ResUNetPlusPlus is BiaPy's ResUNet++ (MODEL.ARCHITECTURE "resunet++",
// biapy/models/resunet++.py; Jha et al., 2019), 2-D or 3-D, configured by
// [UNetOptions] (FeatureMaps f with L = len(f) entries, at least 2):
//
//   - encoder "down_path": residual blocks 1→f[0] (no pre-activation), then
//     f[i]→f[i+1] for i < L−2, each followed by squeeze-and-excitation
//     ("sqex_blocks", all but the last block) and, from the second block on, max
//     pooling by the level's factors (z by ZDown[i+1]);
//   - "aspp_bridge": ASPP f[L−2]→f[L−1];
//   - decoder, from the bottom: "attentions" (encoder features of the level two up
//     gate the decoder features) and "up_path" residual upsampling blocks
//     f[i+2] (+ f[i] bridge) → f[i+1];
//   - "aspp_out": ASPP f[1]→f[0], then "last_block", a 1×1 convolution to
//     OutChannels with no activation.
//
// Dropout follows BiaPy's indexing: down_path[0] uses DropValues[0],
// down_path[i+1] DropValues[i] and up_path for level i DropValues[i+2].
// x: [N, InChannels, *s] → [N, OutChannels, *s], each spatial size divisible by its
// total pooling factor.
type ResUNetPlusPlus struct {
	Opts       UNetOptions // the options with defaults filled in
	down       []*rppResConvBlock
	sqex       []*SqExBlock
	pools      [][]int // pooling factors after down_path[i] (i ≥ 1)
	bridge     *rppASPP
	up         []*rppResUpBlock
	attentions []*rppAttention
	asppOut    *rppASPP
	last       *nn.Conv
}

// NewResUNetPlusPlus builds a ResUNet++ with BiaPy's initialisation (xavier-uniform
// Conv and Linear weights, zero biases, PyTorch's default for transposed
// convolutions) drawn from rng. Squeeze-and-excitation needs every feature map but
// the last two to be at least 16 (BiaPy's reduction 16).
func NewResUNetPlusPlus(o UNetOptions, rng *tensor.RNG) (*ResUNetPlusPlus, error) {
	o, err := o.resolve("ResUNetPlusPlus")
	if err != nil {
		return nil, err
	}
	fm, drop := o.FeatureMaps, o.DropValues
	depth := len(fm) - 2
	m := &ResUNetPlusPlus{Opts: o, pools: make([][]int, depth+1)}
	wrap := func(what string, err error) error {
		return fmt.Errorf("models: ResUNetPlusPlus: %s: %w", what, err)
	}

	b, err := newRPPResConvBlock(o, o.InChannels, fm[0], drop[0], true, rng)
	if err != nil {
		return nil, wrap("down_path.0", err)
	}
	m.down = append(m.down, b)
	se, err := NewSqExBlock(fm[0], 16, InitXavier, rng)
	if err != nil {
		return nil, wrap("sqex_blocks.0", err)
	}
	m.sqex = append(m.sqex, se)
	for i := range depth {
		b, err := newRPPResConvBlock(o, fm[i], fm[i+1], drop[i], false, rng)
		if err != nil {
			return nil, wrap(fmt.Sprintf("down_path.%d", i+1), err)
		}
		m.down = append(m.down, b)
		m.pools[i+1] = o.poolFactors(i + 1)
		if i != depth-1 {
			se, err := NewSqExBlock(fm[i+1], 16, InitXavier, rng)
			if err != nil {
				return nil, wrap(fmt.Sprintf("sqex_blocks.%d", i+1), err)
			}
			m.sqex = append(m.sqex, se)
		}
	}
	if m.bridge, err = newRPPASPP(o, fm[depth], fm[depth+1], rng); err != nil {
		return nil, wrap("aspp_bridge", err)
	}
	for i := depth - 1; i >= 0; i-- {
		f := o.poolFactors(i + 1)
		a, err := newRPPAttention(o, fm[i], fm[i+2], fm[i+2], f, rng)
		if err != nil {
			return nil, wrap("attentions", err)
		}
		m.attentions = append(m.attentions, a)
		u, err := newRPPResUpBlock(o, fm[i+2], fm[i+1], fm[i], f, drop[i+2], rng)
		if err != nil {
			return nil, wrap("up_path", err)
		}
		m.up = append(m.up, u)
	}
	if m.asppOut, err = newRPPASPP(o, fm[1], fm[0], rng); err != nil {
		return nil, wrap("aspp_out", err)
	}
	m.last = NewConvLayer(nn.ConvConfig{In: fm[0], Out: o.OutChannels, Dims: o.Ndim, Kernel: []int{1}, Same: true}, InitXavier, rng)
	return m, nil
}

// Forward computes x: [N, InChannels, *s] → [N, OutChannels, *s].
func (m *ResUNetPlusPlus) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	if x.Value.Rank() != m.Opts.Ndim+2 || x.Value.Dim(1) != m.Opts.InChannels {
		panic(fmt.Sprintf("models: ResUNetPlusPlus.Forward: input %v, want [N, %d, %d spatial axes]",
			x.Shape(), m.Opts.InChannels, m.Opts.Ndim))
	}
	checkPoolDivisible("ResUNetPlusPlus", x, m.pools[1:])
	blocks := make([]*nn.Var, 0, len(m.down))
	for i, d := range m.down {
		x = d.Forward(tp, x)
		if i < len(m.down)-1 {
			x = m.sqex[i].Forward(tp, x)
		}
		if i != 0 {
			x = tp.MaxPool(x, m.pools[i], nil, nil)
		}
		blocks = append(blocks, tp.Trace(nn.PrefixIndex("down_path", i), x))
	}
	x = tp.Trace("aspp_bridge", m.bridge.Forward(tp, x))
	for i, u := range m.up {
		skip := blocks[len(blocks)-i-2]
		x = m.attentions[i].forward(tp, skip, x)
		x = tp.Trace(nn.PrefixIndex("up_path", i), u.forward(tp, x, skip))
	}
	x = tp.Trace("aspp_out", m.asppOut.Forward(tp, x))
	return tp.Trace("last_block", m.last.Forward(tp, x))
}

// Params returns every state_dict entry in BiaPy's registration order: down_path,
// sqex_blocks, aspp_bridge, up_path, attentions, aspp_out, last_block.
func (m *ResUNetPlusPlus) Params() []nn.Param {
	var ps []nn.Param
	for i, d := range m.down {
		ps = append(ps, nn.Prefixed(nn.PrefixIndex("down_path", i), d.Params())...)
	}
	for i, s := range m.sqex {
		ps = append(ps, nn.Prefixed(nn.PrefixIndex("sqex_blocks", i), s.Params())...)
	}
	ps = append(ps, nn.Prefixed("aspp_bridge", m.bridge.Params())...)
	for i, u := range m.up {
		ps = append(ps, nn.Prefixed(nn.PrefixIndex("up_path", i), u.Params())...)
	}
	for i, a := range m.attentions {
		ps = append(ps, nn.Prefixed(nn.PrefixIndex("attentions", i), a.Params())...)
	}
	ps = append(ps, nn.Prefixed("aspp_out", m.asppOut.Params())...)
	return append(ps, nn.Prefixed("last_block", m.last.Params())...)
}

// SetTraining switches every normalisation and dropout layer between training and
// eval mode.
func (m *ResUNetPlusPlus) SetTraining(train bool) {
	for _, d := range m.down {
		d.SetTraining(train)
	}
	m.bridge.SetTraining(train)
	for i := range m.up {
		m.up[i].SetTraining(train)
		m.attentions[i].SetTraining(train)
	}
	m.asppOut.SetTraining(train)
}
