package models

import (
	"fmt"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// MultiResUNetOptions configures a MultiResUNet (BiaPy MODEL.ARCHITECTURE
// "multiresunet", biapy/models/multiresunet.py). The zero value is BiaPy's default for
// 2-D self-supervision on one channel. BiaPy ignores MODEL.FEATURE_MAPS for this model:
// the widths follow from BaseFilters and Alpha.
type MultiResUNetOptions struct {
	// NDim is the number of spatial axes, 2 or 3 (PROBLEM.NDIM); 0 means 2.
	NDim int
	// InChannels is the number of input channels (last entry of DATA.PATCH_SIZE);
	// 0 means 1.
	InChannels int
	// OutChannels is the number of output channels; 0 means InChannels (the
	// self-supervised head reconstructs its input).
	OutChannels int
	// Alpha scales every MultiRes block's width (hard-coded 1.67 in BiaPy); 0 means 1.67.
	Alpha float64
	// ZDown is the pooling factor along z at each of the 4 levels, each 1 or 2
	// (MODEL.Z_DOWN); nil means [2, 2, 2, 2]. Ignored in 2-D.
	ZDown []int
	// BaseFilters is the filter count of the first level, doubled at each level
	// (hard-coded 32 in BiaPy); 0 means 32.
	BaseFilters int
}

// withDefaults returns o with zero fields replaced by BiaPy's defaults, or an error
// for invalid options.
func (o MultiResUNetOptions) withDefaults() (MultiResUNetOptions, error) {
	if o.NDim == 0 {
		o.NDim = 2
	}
	if o.InChannels == 0 {
		o.InChannels = 1
	}
	if o.OutChannels == 0 {
		o.OutChannels = o.InChannels
	}
	if o.Alpha == 0 {
		o.Alpha = 1.67
	}
	if o.ZDown == nil {
		o.ZDown = []int{2, 2, 2, 2}
	}
	if o.BaseFilters == 0 {
		o.BaseFilters = 32
	}
	switch {
	case o.NDim != 2 && o.NDim != 3:
		return o, fmt.Errorf("models: MultiResUNet: ndim %d, want 2 or 3", o.NDim)
	case o.InChannels < 0 || o.OutChannels < 0:
		return o, fmt.Errorf("models: MultiResUNet: %d input and %d output channels", o.InChannels, o.OutChannels)
	case o.Alpha < 0 || o.BaseFilters < 0:
		return o, fmt.Errorf("models: MultiResUNet: alpha %g, base filters %d", o.Alpha, o.BaseFilters)
	case len(o.ZDown) < 4:
		return o, fmt.Errorf("models: MultiResUNet: %d z_down values, want at least 4", len(o.ZDown))
	}
	for _, z := range o.ZDown {
		if z < 1 {
			return o, fmt.Errorf("models: MultiResUNet: z_down %v", o.ZDown)
		}
	}
	return o, nil
}

// multiResWidths returns the three branch widths of a MultiRes block of nominal width
// filters, as BiaPy computes them: int(W·0.167), int(W·0.333), int(W·0.5) with
// W = filters·alpha.
func multiResWidths(filters int, alpha float64) (w3, w5, w7 int) {
	w := float64(filters) * alpha
	return int(w * 0.167), int(w * 0.333), int(w * 0.5)
}

// mruConvBN is BiaPy's Conv_batchnorm: a "same"-padded convolution, BatchNorm and an
// optional ReLU. State_dict children "conv1" and "batchnorm".
type mruConvBN struct {
	conv *nn.Conv
	bn   *nn.BatchNorm
	relu bool
}

func newMRUConvBN(ndim, in, out, k int, relu bool, rng *tensor.RNG) *mruConvBN {
	return &mruConvBN{
		conv: nn.NewConv(nn.ConvConfig{In: in, Out: out, Dims: ndim, Kernel: []int{k}, Same: true}, rng),
		bn:   nn.NewBatchNorm(out, nn.BatchNormOptions{}),
		relu: relu,
	}
}

func (m *mruConvBN) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	y := m.bn.Forward(tp, m.conv.Forward(tp, x))
	if m.relu {
		y = tp.ReLU(y)
	}
	return y
}

func (m *mruConvBN) Params() []nn.Param {
	return append(nn.Prefixed("conv1", m.conv.Params()), nn.Prefixed("batchnorm", m.bn.Params())...)
}

func (m *mruConvBN) SetTraining(train bool) { m.bn.SetTraining(train) }

// mruBlock is BiaPy's Multiresblock: a 1×1 shortcut and a chain of three 3×3
// convolutions whose outputs are concatenated, normalised, added to the shortcut,
// normalised again and rectified. x: [N, in, *s] → [N, out, *s].
type mruBlock struct {
	shortcut, conv3, conv5, conv7 *mruConvBN
	bn1, bn2                      *nn.BatchNorm
	out                           int
}

func newMRUBlock(ndim, in, filters int, alpha float64, rng *tensor.RNG) *mruBlock {
	w3, w5, w7 := multiResWidths(filters, alpha)
	out := w3 + w5 + w7
	return &mruBlock{
		shortcut: newMRUConvBN(ndim, in, out, 1, false, rng),
		conv3:    newMRUConvBN(ndim, in, w3, 3, true, rng),
		conv5:    newMRUConvBN(ndim, w3, w5, 3, true, rng),
		conv7:    newMRUConvBN(ndim, w5, w7, 3, true, rng),
		bn1:      nn.NewBatchNorm(out, nn.BatchNormOptions{}),
		bn2:      nn.NewBatchNorm(out, nn.BatchNormOptions{}),
		out:      out,
	}
}

func (m *mruBlock) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	s := m.shortcut.Forward(tp, x)
	a := m.conv3.Forward(tp, x)
	b := m.conv5.Forward(tp, a)
	c := m.conv7.Forward(tp, b)
	y := m.bn1.Forward(tp, tp.Concat(1, a, b, c))
	y = m.bn2.Forward(tp, tp.Add(y, s))
	return tp.ReLU(y)
}

func (m *mruBlock) Params() []nn.Param {
	var ps []nn.Param
	ps = append(ps, nn.Prefixed("shortcut", m.shortcut.Params())...)
	ps = append(ps, nn.Prefixed("conv_3x3", m.conv3.Params())...)
	ps = append(ps, nn.Prefixed("conv_5x5", m.conv5.Params())...)
	ps = append(ps, nn.Prefixed("conv_7x7", m.conv7.Params())...)
	ps = append(ps, nn.Prefixed("batch_norm1", m.bn1.Params())...)
	return append(ps, nn.Prefixed("batch_norm2", m.bn2.Params())...)
}

func (m *mruBlock) SetTraining(train bool) {
	for _, c := range []*mruConvBN{m.shortcut, m.conv3, m.conv5, m.conv7} {
		c.SetTraining(train)
	}
	m.bn1.SetTraining(train)
	m.bn2.SetTraining(train)
}

// mruResPath is BiaPy's Respath: length residual steps, each
// bn(relu(bn(relu(bn(conv3(x)))) + shortcut(x))) with the same BatchNorm "bns.i" used
// twice (so in training its running statistics are updated twice per step, as in
// BiaPy). x: [N, in, *s] → [N, out, *s].
type mruResPath struct {
	shortcuts, convs []*mruConvBN
	bns              []*nn.BatchNorm
}

func newMRUResPath(ndim, in, out, length int, rng *tensor.RNG) *mruResPath {
	m := &mruResPath{}
	for i := range length {
		c := in
		if i > 0 {
			c = out
		}
		m.shortcuts = append(m.shortcuts, newMRUConvBN(ndim, c, out, 1, false, rng))
		m.convs = append(m.convs, newMRUConvBN(ndim, c, out, 3, true, rng))
		m.bns = append(m.bns, nn.NewBatchNorm(out, nn.BatchNormOptions{}))
	}
	return m
}

func (m *mruResPath) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	for i, bn := range m.bns {
		s := m.shortcuts[i].Forward(tp, x)
		x = tp.ReLU(bn.Forward(tp, m.convs[i].Forward(tp, x)))
		x = tp.ReLU(bn.Forward(tp, tp.Add(x, s)))
	}
	return x
}

func (m *mruResPath) Params() []nn.Param {
	var ps []nn.Param
	for i, s := range m.shortcuts {
		ps = append(ps, nn.Prefixed(nn.PrefixIndex("shortcuts", i), s.Params())...)
	}
	for i, c := range m.convs {
		ps = append(ps, nn.Prefixed(nn.PrefixIndex("convs", i), c.Params())...)
	}
	for i, b := range m.bns {
		ps = append(ps, nn.Prefixed(nn.PrefixIndex("bns", i), b.Params())...)
	}
	return ps
}

func (m *mruResPath) SetTraining(train bool) {
	for i := range m.bns {
		m.shortcuts[i].SetTraining(train)
		m.convs[i].SetTraining(train)
		m.bns[i].SetTraining(train)
	}
}

// MultiResUNet is BiaPy's MultiResUnet (Ibtehaz & Rahman, 2019), 2-D or 3-D: five
// MultiRes blocks of nominal widths b, 2b, 4b, 8b, 16b (b = BaseFilters) with max
// pooling (z by ZDown) in between, ResPaths of lengths 4, 3, 2, 1 on the skip
// connections, a decoder of transposed convolutions and MultiRes blocks, and a last
// 1×1 convolution followed by BatchNorm (BiaPy v3.5.13's Conv_batchnorm head, no
// activation). x: [N, InChannels, *s] → [N, OutChannels, *s], each spatial size
// divisible by the product of its pooling factors.
//
// State_dict names are BiaPy's: "multiresblock1" … "multiresblock9", "respath1" …
// "respath4", "upsample6" … "upsample9", "last_block".
type MultiResUNet struct {
	Opts     MultiResUNetOptions // the options with defaults filled in
	blocks   [9]*mruBlock
	respaths [4]*mruResPath
	ups      [4]*nn.ConvTranspose // upsample6 … upsample9
	last     *mruConvBN
	pools    [4][]int // pooling window of levels 1–4
}

// NewMultiResUNet builds a MultiResUNet with PyTorch's default initialisation drawn
// from rng (BiaPy applies no custom init to this model).
func NewMultiResUNet(o MultiResUNetOptions, rng *tensor.RNG) (*MultiResUNet, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	b, nd := o.BaseFilters, o.NDim
	m := &MultiResUNet{Opts: o}
	for i := range 4 {
		if nd == 3 {
			m.pools[i] = []int{o.ZDown[i], 2, 2}
		} else {
			m.pools[i] = []int{2, 2}
		}
	}
	// Encoder: block i has nominal width b·2^i; respath i (i < 4) has length 4−i.
	in := o.InChannels
	for i := range 5 {
		m.blocks[i] = newMRUBlock(nd, in, b<<i, o.Alpha, rng)
		in = m.blocks[i].out
		if i < 4 {
			m.respaths[i] = newMRUResPath(nd, in, b<<i, 4-i, rng)
		}
	}
	// Decoder: upsample to width b·2^l (l = 3 … 0), concatenate with respath l.
	for j := range 4 {
		l := 3 - j
		m.ups[j] = nn.NewConvTranspose(nn.ConvConfig{In: in, Out: b << l, Dims: nd,
			Kernel: m.pools[l], Stride: m.pools[l]}, rng)
		m.blocks[5+j] = newMRUBlock(nd, 2*(b<<l), b<<l, o.Alpha, rng)
		in = m.blocks[5+j].out
	}
	m.last = newMRUConvBN(nd, in, o.OutChannels, 1, false, rng)
	return m, nil
}

// Forward computes x: [N, InChannels, *s] → [N, OutChannels, *s].
func (m *MultiResUNet) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	if x.Value.Rank() != m.Opts.NDim+2 || x.Value.Dim(1) != m.Opts.InChannels {
		panic(fmt.Sprintf("models: MultiResUNet.Forward: input %v, want [N, %d, %d spatial axes]",
			x.Shape(), m.Opts.InChannels, m.Opts.NDim))
	}
	checkPoolDivisible("MultiResUNet", x, m.pools[:])
	var skips [4]*nn.Var
	for i := range 4 {
		y := tp.Trace(fmt.Sprintf("multiresblock%d", i+1), m.blocks[i].Forward(tp, x))
		x = tp.MaxPool(y, m.pools[i], nil, nil)
		skips[i] = tp.Trace(fmt.Sprintf("respath%d", i+1), m.respaths[i].Forward(tp, y))
	}
	x = tp.Trace("multiresblock5", m.blocks[4].Forward(tp, x))
	for j := range 4 {
		up := tp.Trace(fmt.Sprintf("upsample%d", 6+j), m.ups[j].Forward(tp, x))
		x = m.blocks[5+j].Forward(tp, tp.Concat(1, up, skips[3-j]))
		x = tp.Trace(fmt.Sprintf("multiresblock%d", 6+j), x)
	}
	return tp.Trace("last_block", m.last.Forward(tp, x))
}

// Params returns every state_dict entry in BiaPy's registration order.
func (m *MultiResUNet) Params() []nn.Param {
	var ps []nn.Param
	for i := range 5 {
		ps = append(ps, nn.Prefixed(fmt.Sprintf("multiresblock%d", i+1), m.blocks[i].Params())...)
		if i < 4 {
			ps = append(ps, nn.Prefixed(fmt.Sprintf("respath%d", i+1), m.respaths[i].Params())...)
		}
	}
	for j := range 4 {
		ps = append(ps, nn.Prefixed(fmt.Sprintf("upsample%d", 6+j), m.ups[j].Params())...)
		ps = append(ps, nn.Prefixed(fmt.Sprintf("multiresblock%d", 6+j), m.blocks[5+j].Params())...)
	}
	return append(ps, nn.Prefixed("last_block", m.last.Params())...)
}

// SetTraining switches every BatchNorm between training and eval mode.
func (m *MultiResUNet) SetTraining(train bool) {
	for _, b := range m.blocks {
		b.SetTraining(train)
	}
	for _, r := range m.respaths {
		r.SetTraining(train)
	}
	m.last.SetTraining(train)
}

// checkPoolDivisible panics unless every spatial size of x: [N, C, *s] is divisible by
// the product of the pooling factors along that axis, so that the decoder's upsampled
// features line up with the skip connections.
func checkPoolDivisible(model string, x *nn.Var, pools [][]int) {
	sh := x.Shape()
	for a := 2; a < len(sh); a++ {
		f := 1
		for _, p := range pools {
			f *= p[a-2]
		}
		if sh[a]%f != 0 {
			panic(fmt.Sprintf("models: %s.Forward: input %v: spatial axis %d (size %d) must be divisible by %d",
				model, sh, a-2, sh[a], f))
		}
	}
}
