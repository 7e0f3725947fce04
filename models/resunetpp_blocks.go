package models

import (
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// This file holds the blocks of ResUNet++ (biapy/models/blocks.py as of BiaPy
// v3.5.13): the residual convolution block with a k×k shortcut, the residual
// upsampling block, ASPP and the ResUNet++ attention block. Every Conv and Linear
// layer uses xavier-uniform weights and zero biases (ResUNetPlusPlus._init_weights);
// transposed convolutions keep PyTorch's default.

// rppSeq collects the non-nil layers of a torch.nn.Sequential, so indices count only
// the layers BiaPy appends.
func rppSeq(layers ...nn.Module) *nn.Sequential {
	var ls []nn.Module
	for _, l := range layers {
		if l != nil {
			ls = append(ls, l)
		}
	}
	return nn.NewSequential(ls...)
}

// rppResConvBlock is BiaPy's ResConvBlock with skip_k_size = k and skip_norm = norm
// (as ResUNet++ builds it): block = [norm(in), act] (full pre-activation, absent in
// the first block), ConvBlock(in→out, k, act, norm, dropout), ConvBlock(out→out, k);
// shortcut = [conv k×k, norm]; out = block(x) + shortcut(x).
// x: [N, in, *s] → [N, out, *s].
type rppResConvBlock struct {
	block    *nn.Sequential
	shortcut *nn.Sequential
}

func newRPPResConvBlock(o UNetOptions, in, out int, dropout float32, first bool, rng *tensor.RNG) (*rppResConvBlock, error) {
	kernel := []int{o.KernelSize}
	var pre []nn.Module
	if !first {
		norm, err := Norm(o.Normalization, in, o.Ndim)
		if err != nil {
			return nil, err
		}
		act, err := Activation(o.Activation)
		if err != nil {
			return nil, err
		}
		pre = append(pre, norm, act)
	}
	c1, err := NewConvBlock(ConvBlockOptions{Ndim: o.Ndim, In: in, Out: out, Kernel: kernel,
		Act: o.Activation, Norm: o.Normalization, Dropout: dropout, Init: InitXavier}, rng)
	if err != nil {
		return nil, err
	}
	c2, err := NewConvBlock(ConvBlockOptions{Ndim: o.Ndim, In: out, Out: out, Kernel: kernel, Init: InitXavier}, rng)
	if err != nil {
		return nil, err
	}
	skip := NewConvLayer(nn.ConvConfig{In: in, Out: out, Dims: o.Ndim, Kernel: kernel, Same: true}, InitXavier, rng)
	skipNorm, err := Norm(o.Normalization, out, o.Ndim)
	if err != nil {
		return nil, err
	}
	return &rppResConvBlock{
		block:    rppSeq(append(pre, c1, c2)...),
		shortcut: rppSeq(skip, skipNorm),
	}, nil
}

func (b *rppResConvBlock) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	return tp.Add(b.block.Forward(tp, x), b.shortcut.Forward(tp, x))
}

func (b *rppResConvBlock) Params() []nn.Param {
	return append(nn.Prefixed("block", b.block.Params()), nn.Prefixed("shortcut", b.shortcut.Params())...)
}

func (b *rppResConvBlock) SetTraining(train bool) {
	b.block.SetTraining(train)
	b.shortcut.SetTraining(train)
}

// rppResUpBlock is BiaPy's ResUpBlock: upsample x by the level's pooling factors
// (a transposed convolution in → in, or a bilinear/trilinear resize), concatenate the
// bridge along channels and apply a ResConvBlock (in + bridge → out).
// x: [N, in, *s], bridge: [N, bridge, *s·f] → [N, out, *s·f].
type rppResUpBlock struct {
	up     *nn.ConvTranspose // nil with "upsampling"
	resize *nn.Upsample      // nil with "convtranspose"
	conv   *rppResConvBlock
}

func newRPPResUpBlock(o UNetOptions, in, out, bridge int, factors []int, dropout float32, rng *tensor.RNG) (*rppResUpBlock, error) {
	b := &rppResUpBlock{}
	if o.UpsampleLayer == "convtranspose" {
		b.up = nn.NewConvTranspose(nn.ConvConfig{In: in, Out: in, Dims: o.Ndim, Kernel: factors, Stride: factors}, rng)
	} else {
		scales := make([]float64, len(factors))
		for i, f := range factors {
			scales[i] = float64(f)
		}
		b.resize = nn.NewUpsample(tensor.Linear, scales...)
	}
	conv, err := newRPPResConvBlock(o, in+bridge, out, dropout, false, rng)
	if err != nil {
		return nil, err
	}
	b.conv = conv
	return b, nil
}

// forward computes the block on x and the skip connection bridge.
func (b *rppResUpBlock) forward(tp *nn.Tape, x, bridge *nn.Var) *nn.Var {
	if b.up != nil {
		x = b.up.Forward(tp, x)
	} else {
		x = b.resize.Forward(tp, x)
	}
	return b.conv.Forward(tp, tp.Concat(1, x, bridge))
}

func (b *rppResUpBlock) Params() []nn.Param {
	var ps []nn.Param
	if b.up != nil {
		ps = nn.Prefixed("up", b.up.Params())
	}
	return append(ps, nn.Prefixed("conv_block", b.conv.Params())...)
}

func (b *rppResUpBlock) SetTraining(train bool) { b.conv.SetTraining(train) }

// rppASPP is BiaPy's ASPP (atrous spatial pyramid pooling): three branches
// [conv 3×3 dilated 6, 12, 18 with equal padding, ReLU, norm] whose outputs are
// concatenated and mixed by a 1×1 convolution "output".
// x: [N, in, *s] → [N, out, *s].
type rppASPP struct {
	branches [3]*nn.Sequential
	output   *nn.Conv
}

func newRPPASPP(o UNetOptions, in, out int, rng *tensor.RNG) (*rppASPP, error) {
	a := &rppASPP{}
	for i, r := range []int{6, 12, 18} {
		conv := NewConvLayer(nn.ConvConfig{In: in, Out: out, Dims: o.Ndim, Kernel: []int{3},
			Padding: []int{r}, Dilation: []int{r}}, InitXavier, rng)
		norm, err := Norm(o.Normalization, out, o.Ndim)
		if err != nil {
			return nil, err
		}
		a.branches[i] = rppSeq(conv, nn.ReLU{}, norm)
	}
	a.output = NewConvLayer(nn.ConvConfig{In: 3 * out, Out: out, Dims: o.Ndim, Kernel: []int{1}}, InitXavier, rng)
	return a, nil
}

func (a *rppASPP) Forward(tp *nn.Tape, x *nn.Var) *nn.Var {
	var ys [3]*nn.Var
	for i, b := range a.branches {
		y := rppAtrousConv(tp, b.Layers[0].(*nn.Conv), x)
		for _, l := range b.Layers[1:] {
			y = l.Forward(tp, y)
		}
		ys[i] = y
	}
	return a.output.Forward(tp, tp.Concat(1, ys[:]...))
}

// rppAtrousConv applies conv, a 3-wide kernel with dilation r and padding r on every
// axis, to x: [N, C, *s]. Along an axis with r ≥ s the outer taps read only padding,
// so there the convolution is computed with the centre tap alone (padding 0,
// dilation 1): the same output and the same gradients (zero for the outer taps),
// with less work. This also avoids the CPU Im2Col kernel, which panics when a tap lies
// wholly in the padding (r > s).
func rppAtrousConv(tp *nn.Tape, conv *nn.Conv, x *nn.Var) *nn.Var {
	nd := x.Value.Rank() - 2
	w := conv.W
	o := conv.Opts
	pad := o.Padding[0]
	var padding, dilation []int
	sliced := false
	for a := range nd {
		if pad >= x.Value.Dim(2+a) {
			w = tp.Slice(w, 2+a, 1, 2)
			padding, dilation = append(padding, 0), append(dilation, 1)
			sliced = true
			continue
		}
		padding, dilation = append(padding, pad), append(dilation, o.Dilation[0])
	}
	if !sliced {
		return conv.Forward(tp, x)
	}
	return tp.Conv(x, tp.Contiguous(w), conv.B, nn.ConvOptions{Padding: padding, Dilation: dilation})
}

func (a *rppASPP) Params() []nn.Param {
	var ps []nn.Param
	for i, b := range a.branches {
		ps = append(ps, nn.Prefixed("aspp_block"+string(rune('1'+i)), b.Params())...)
	}
	return append(ps, nn.Prefixed("output", a.output.Params())...)
}

func (a *rppASPP) SetTraining(train bool) {
	for _, b := range a.branches {
		b.SetTraining(train)
	}
}

// rppAttention is BiaPy's ResUNetPlusPlus_AttentionBlock:
// conv_encoder = [norm, ReLU, conv 3×3 enc→dim, max pool], conv_decoder = [norm, ReLU,
// conv 3×3 dec→dim], conv_attn = [norm, ReLU, conv 1×1 dim→1];
// out = conv_attn(conv_encoder(x1) + conv_decoder(x2)) · x2.
// x1: [N, enc, *s·f], x2: [N, dec, *s] → [N, dec, *s] (dim = dec in ResUNet++).
type rppAttention struct {
	encoder, decoder, attn *nn.Sequential
}

func newRPPAttention(o UNetOptions, enc, dec, dim int, factors []int, rng *tensor.RNG) (*rppAttention, error) {
	conv := func(in, out, k, pad int) *nn.Conv {
		return NewConvLayer(nn.ConvConfig{In: in, Out: out, Dims: o.Ndim, Kernel: []int{k}, Padding: []int{pad}}, InitXavier, rng)
	}
	var norms [3]nn.Module
	for i, c := range []int{enc, dec, dim} {
		n, err := Norm(o.Normalization, c, o.Ndim)
		if err != nil {
			return nil, err
		}
		norms[i] = n
	}
	return &rppAttention{
		encoder: rppSeq(norms[0], nn.ReLU{}, conv(enc, dim, 3, 1), nn.MaxPool{Kernel: factors}),
		decoder: rppSeq(norms[1], nn.ReLU{}, conv(dec, dim, 3, 1)),
		attn:    rppSeq(norms[2], nn.ReLU{}, conv(dim, 1, 1, 0)),
	}, nil
}

// forward computes the attention-weighted x2 from the encoder features x1.
func (a *rppAttention) forward(tp *nn.Tape, x1, x2 *nn.Var) *nn.Var {
	y := tp.Add(a.encoder.Forward(tp, x1), a.decoder.Forward(tp, x2))
	return tp.Mul(a.attn.Forward(tp, y), x2)
}

func (a *rppAttention) Params() []nn.Param {
	var ps []nn.Param
	ps = append(ps, nn.Prefixed("conv_encoder", a.encoder.Params())...)
	ps = append(ps, nn.Prefixed("conv_decoder", a.decoder.Params())...)
	return append(ps, nn.Prefixed("conv_attn", a.attn.Params())...)
}

func (a *rppAttention) SetTraining(train bool) {
	a.encoder.SetTraining(train)
	a.decoder.SetTraining(train)
	a.attn.SetTraining(train)
}
