package models

import (
	"fmt"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// This file holds the small pieces the super-resolution networks (EDSR, RCAN, WDSR,
// DFCAN) share: PyTorch-default-initialised "same" convolutions, the PixelShuffle
// upsampler check and state_dict name helpers.

// srConv returns a dims-D convolution in → out with a k×k(×k) kernel and PyTorch's
// padding="same" (k odd) and default init: weight [out, in, k, k(, k)], bias [out].
func srConv(dims, in, out, k int, rng *tensor.RNG) *nn.Conv {
	return nn.NewConv(nn.ConvConfig{In: in, Out: out, Dims: dims, Kernel: []int{k}, Same: true}, rng)
}

// srCheckDims returns an error unless dims is 2 or 3, and, for 3-D, scale is 1:
// torch.nn.PixelShuffle rearranges only the last two axes, so BiaPy's 3-D upsamplers
// never produce a volume scaled on every axis.
func srCheckDims(model string, dims, scale int) error {
	if dims != 2 && dims != 3 {
		return fmt.Errorf("models: %s: %d spatial dimensions, want 2 or 3", model, dims)
	}
	if scale < 1 {
		return fmt.Errorf("models: %s: upscaling factor %d, want ≥ 1", model, scale)
	}
	if dims == 3 && scale != 1 {
		return fmt.Errorf("models: %s: 3-D with upscaling factor %d: PixelShuffle upsampling is 2-D only (use 1)", model, scale)
	}
	return nil
}

// srParams returns m's state_dict entries under prefix.
func srParams(prefix string, m nn.Module) []nn.Param { return nn.Prefixed(prefix, m.Params()) }

// srOr returns v, or def when v is zero.
func srOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
