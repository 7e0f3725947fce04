package models

import (
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// This file holds UNETR's layer builders; the decoder's ConvBlock and DoubleConvBlock
// come from blocks.go. The names carry a "unetr" prefix so they cannot collide with
// other architectures' helpers in this package.

// unetrConvOptions returns the ConvBlockOptions of UNETR's decoder blocks: kernel k,
// padding 'same', a bias, Xavier-uniform weights (UNETR's _init_weights).
func unetrConvOptions(o UNETROptions, in, out int, dropout float32) ConvBlockOptions {
	return ConvBlockOptions{Ndim: o.Dims, In: in, Out: out, Kernel: []int{o.KernelSize},
		Act: o.DecoderActivation, Norm: o.Normalization, Dropout: dropout, Init: InitXavier}
}

// unetrDeconv returns a ConvTranspose In → Out with kernel 2, stride 2 and no bias
// (PyTorch's default init, which UNETR keeps), x: [N, In, *s] → [N, Out, *2s].
func unetrDeconv(dims, in, out int, rng *tensor.RNG) *nn.ConvTranspose {
	return nn.NewConvTranspose(nn.ConvConfig{In: in, Out: out, Dims: dims, Kernel: []int{2}, Stride: []int{2}, NoBias: true}, rng)
}

// unetrViTBlock returns timm's Block as UNETR builds and initialises it: dim features,
// heads heads, MLP hidden int(dim·ratio), qkv bias, LayerNorm eps, Xavier-uniform
// Linear weights with zero biases (drawn once) and LayerNorms 1/0. Same structure as
// [nn.NewBlock].
func unetrViTBlock(dim, heads int, ratio float64, eps float32, rng *tensor.RNG) *nn.Block {
	hidden := int(float64(dim) * ratio)
	ln := nn.NormOptions{Eps: eps}
	lin := func(in, out int) *nn.Linear { return NewLinearLayer(in, out, true, InitXavier, rng) }
	return &nn.Block{
		Norm1: nn.NewLayerNorm(dim, ln),
		Attn:  &nn.Attention{QKV: lin(dim, 3*dim), Proj: lin(dim, dim), Heads: heads},
		Norm2: nn.NewLayerNorm(dim, ln),
		MLP:   &nn.MLP{FC1: lin(dim, hidden), FC2: lin(hidden, dim)},
	}
}
