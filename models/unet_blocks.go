package models

import (
	"fmt"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// upsampler returns BiaPy's decoder upsampling layers for an ndim-D input scaled by
// factors: a transposed convolution in → out with kernel = stride = factors
// ("convtranspose", PyTorch's default init), or a bilinear/trilinear resize followed,
// when withConv is set, by a 1×1 convolution in → out ("upsampling").
func upsampler(mode string, ndim, in, out int, factors []int, withConv bool, init Init, rng *tensor.RNG) []nn.Module {
	if mode == "convtranspose" {
		return []nn.Module{nn.NewConvTranspose(nn.ConvConfig{In: in, Out: out, Dims: ndim, Kernel: factors, Stride: factors}, rng)}
	}
	scales := make([]float64, len(factors))
	for i, f := range factors {
		scales[i] = float64(f)
	}
	layers := []nn.Module{nn.NewUpsample(tensor.Linear, scales...)}
	if withConv {
		layers = append(layers, NewConvLayer(nn.ConvConfig{In: in, Out: out, Dims: ndim, Kernel: []int{1}, Same: true}, init, rng))
	}
	return layers
}

// UpBlock is BiaPy's UpBlock, a U-Net decoder level: "up" (upsampling from In to Out
// channels, then normalisation and activation), an optional "attention_gate" on the
// skip connection, the concatenation [up, skip] and "conv_block", a DoubleConvBlock
// 2·Out → Out. x: [N, In, *s], skip: [N, Out, *s·factors] → [N, Out, *s·factors].
type UpBlock struct {
	Up        *nn.Sequential   // convtranspose | (upsample, 1×1 conv); norm; activation
	Gate      *AttentionBlock  // nil without attention gate
	ConvBlock *DoubleConvBlock // after the concatenation
}

// newUpBlock returns an UpBlock for decoder level i of o (resolved) from in channels;
// SE adds squeeze-and-excitation to the DoubleConvBlock, attention adds the gate.
func newUpBlock(o UNetOptions, i, in int, kernel []int, se, attention bool, rng *tensor.RNG) (*UpBlock, error) {
	out := o.FeatureMaps[i]
	layers := upsampler(o.UpsampleLayer, o.Ndim, in, out, o.poolFactors(i), true, InitXavier, rng)
	norm, err := Norm(o.Normalization, out, o.Ndim)
	if err != nil {
		return nil, err
	}
	if norm != nil {
		layers = append(layers, norm)
	}
	act, err := Activation(o.Activation)
	if err != nil {
		return nil, err
	}
	layers = append(layers, act)
	b := &UpBlock{Up: nn.NewSequential(layers...)}
	if attention {
		if b.Gate, err = NewAttentionBlock(o.Ndim, out, out/2, o.Normalization, InitXavier, rng); err != nil {
			return nil, err
		}
	}
	b.ConvBlock, err = NewDoubleConvBlock(ConvBlockOptions{Ndim: o.Ndim, In: 2 * out, Out: out, Kernel: kernel,
		Act: o.Activation, Norm: o.Normalization, Dropout: o.DropValues[i], SE: se, Init: InitXavier}, rng)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// Forward computes x: [N, In, *s] and skip: [N, Out, *s'] → [N, Out, *s'].
func (b *UpBlock) Forward(tp *nn.Tape, x, skip *nn.Var) *nn.Var {
	up := b.Up.Forward(tp, x)
	if b.Gate != nil {
		skip = b.Gate.Forward(tp, up, skip)
	}
	return b.ConvBlock.Forward(tp, tp.Concat(1, up, skip))
}

// Params returns "up.*", "attention_gate.*" and "conv_block.*".
func (b *UpBlock) Params() []nn.Param {
	ps := nn.Prefixed("up", b.Up.Params())
	if b.Gate != nil {
		ps = append(ps, nn.Prefixed("attention_gate", b.Gate.Params())...)
	}
	return append(ps, nn.Prefixed("conv_block", b.ConvBlock.Params())...)
}

// SetTraining sets the mode of every child.
func (b *UpBlock) SetTraining(train bool) {
	b.Up.SetTraining(train)
	if b.Gate != nil {
		b.Gate.SetTraining(train)
	}
	b.ConvBlock.SetTraining(train)
}

// AttentionBlock is BiaPy's AttentionBlock (attention gate of Attention U-Net):
// ψ = sigmoid(norm(conv₁ₓ₁(relu(w_g(g) + w_x(x))))) and the output ψ·x, where w_g is a
// 1×1 conv In → Mid plus normalisation, w_x a 1×1 conv In → Mid (BiaPy's code builds
// w_x's normalisation but never uses it, so w_x has none), and ψ's conv goes Mid → 1.
// State_dict entries: "w_g.0.*", "w_g.1.*" (norm), "w_x.0.*", "psi.0.*", "psi.1.*"
// (norm); the norm entries only with a normalisation. g, x: [N, In, *s] → [N, In, *s].
type AttentionBlock struct {
	Wg  *nn.Sequential // w_g: 1×1 conv In → Mid, then the normalisation
	Wx  *nn.Sequential // w_x: 1×1 conv In → Mid
	Psi *nn.Sequential // psi: 1×1 conv Mid → 1, the normalisation, then sigmoid
}

// NewAttentionBlock returns an attention gate over in channels with mid intermediate
// channels for an ndim-D input and the given normalisation name (see [Norm]).
func NewAttentionBlock(ndim, in, mid int, norm string, init Init, rng *tensor.RNG) (*AttentionBlock, error) {
	if in <= 0 || mid <= 0 {
		return nil, fmt.Errorf("models: AttentionBlock: %d channels with %d intermediate channels", in, mid)
	}
	conv := func(i, o int) nn.Module {
		return NewConvLayer(nn.ConvConfig{In: i, Out: o, Dims: ndim, Kernel: []int{1}}, init, rng)
	}
	withNorm := func(c int, layers ...nn.Module) ([]nn.Module, error) {
		n, err := Norm(norm, c, ndim)
		if err != nil {
			return nil, err
		}
		if n != nil {
			layers = append(layers, n)
		}
		return layers, nil
	}
	wg, err := withNorm(mid, conv(in, mid))
	if err != nil {
		return nil, err
	}
	psi, err := withNorm(1, conv(mid, 1))
	if err != nil {
		return nil, err
	}
	psi = append(psi, nn.Sigmoid{})
	return &AttentionBlock{Wg: nn.NewSequential(wg...), Wx: nn.NewSequential(conv(in, mid)), Psi: nn.NewSequential(psi...)}, nil
}

// Forward computes the gated x from the gating signal g: both [N, In, *s] → [N, In, *s].
func (b *AttentionBlock) Forward(tp *nn.Tape, g, x *nn.Var) *nn.Var {
	psi := tp.ReLU(tp.Add(b.Wg.Forward(tp, g), b.Wx.Forward(tp, x)))
	return tp.Mul(b.Psi.Forward(tp, psi), x)
}

// Params returns "w_g.*", "w_x.*" and "psi.*".
func (b *AttentionBlock) Params() []nn.Param {
	ps := nn.Prefixed("w_g", b.Wg.Params())
	ps = append(ps, nn.Prefixed("w_x", b.Wx.Params())...)
	return append(ps, nn.Prefixed("psi", b.Psi.Params())...)
}

// SetTraining sets the mode of the normalisation layers.
func (b *AttentionBlock) SetTraining(train bool) {
	b.Wg.SetTraining(train)
	b.Wx.SetTraining(train)
	b.Psi.SetTraining(train)
}
