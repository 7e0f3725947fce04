package models

import (
	"fmt"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// This file holds the MAE's pixel ↔ token rearrangements and its loss.

// checkImage panics unless x is [N, C, S, S(, S)] with the model's channels and size.
func (m *MAE) checkImage(op string, x *nn.Var) {
	xs := x.Shape()
	ok := len(xs) == 2+m.ndim && xs[1] == m.inChans
	for i := 2; ok && i < len(xs); i++ {
		ok = xs[i] == m.imgSize
	}
	if !ok {
		want := []int{-1, m.inChans}
		for range m.ndim {
			want = append(want, m.imgSize)
		}
		panic(fmt.Sprintf("models: MAE.%s: input %v, want %v (N = -1)", op, xs, want))
	}
}

// Patchify is BiaPy's patchify: x: [N, C, S, S] → [N, L, p²·C] (2-D) or
// x: [N, C, S, S, S] → [N, L, p³·C] (3-D); tokens in raster order over the
// (S/p)^ndim grid, each flattened in (row, col, channel) / (z, y, x, channel) order.
// It is differentiable (BiaPy's loss target carries the input's gradient).
func (m *MAE) Patchify(tp *nn.Tape, x *nn.Var) *nn.Var {
	m.checkImage("Patchify", x)
	n, c, p, g := x.Value.Dim(0), m.inChans, m.patch, m.grid
	if m.ndim == 2 {
		y := tp.Reshape(x, n, c, g, p, g, p) // n c h p w q
		y = tp.Permute(y, 0, 2, 4, 3, 5, 1)  // n h w p q c
		return tp.Reshape(y, n, g*g, p*p*c)
	}
	y := tp.Reshape(x, n, c, g, p, g, p, g, p) // n c d a h p w q
	y = tp.Permute(y, 0, 2, 4, 6, 3, 5, 7, 1)  // n d h w a p q c
	return tp.Reshape(y, n, g*g*g, p*p*p*c)
}

// Unpatchify is BiaPy's unpatchify, the inverse of [MAE.Patchify]:
// [N, L, p^ndim·C] → [N, C, S, S(, S)].
func (m *MAE) Unpatchify(tp *nn.Tape, x *nn.Var) *nn.Var {
	n, c, p, g := x.Value.Dim(0), m.inChans, m.patch, m.grid
	if x.Value.Rank() != 3 || x.Value.Dim(1) != m.numPatches || x.Value.Dim(2) != m.patchDim {
		panic(fmt.Sprintf("models: MAE.Unpatchify: input %v, want [N %d %d]", x.Shape(), m.numPatches, m.patchDim))
	}
	if m.ndim == 2 {
		y := tp.Reshape(x, n, g, g, p, p, c) // n h w p q c
		y = tp.Permute(y, 0, 5, 1, 3, 2, 4)  // n c h p w q
		return tp.Reshape(y, n, c, g*p, g*p)
	}
	y := tp.Reshape(x, n, g, g, g, p, p, p, c) // n d h w a p q c
	y = tp.Permute(y, 0, 7, 1, 4, 2, 5, 3, 6)  // n c d a h p w q
	return tp.Reshape(y, n, c, g*p, g*p, g*p)
}

// MaskImage expands a token mask: [N, L] → [N, C, S, S(, S)] (1 on the pixels of
// masked tokens), as BiaPy's save_images does, for "masked" (input·(1−mask)) and
// "reconstruction and visible" (input·(1−mask) + pred·mask) outputs.
func (m *MAE) MaskImage(mask *tensor.Tensor) *tensor.Tensor {
	if mask.Rank() != 2 || mask.Dim(1) != m.numPatches {
		panic(fmt.Sprintf("models: MAE.MaskImage: mask %v, want [N %d]", mask.Shape(), m.numPatches))
	}
	n := mask.Dim(0)
	full := mask.Contiguous().Reshape(n, m.numPatches, 1).Expand(n, m.numPatches, m.patchDim).Contiguous()
	return m.Unpatchify(nil, nn.NewVar(full)).Value
}

// patchEmbed is PatchEmbed (conv k = s = p, then flatten(2).transpose(1, 2)):
// x: [N, C, S…] → [N, L, D]. It runs as a matrix product over the tokens in
// (channel, row, col…) order, which is the same sum as the convolution.
func (m *MAE) patchEmbed(tp *nn.Tape, x *nn.Var) *nn.Var {
	n, c, p, g := x.Value.Dim(0), m.inChans, m.patch, m.grid
	var t *nn.Var
	if m.ndim == 2 {
		t = tp.Reshape(x, n, c, g, p, g, p)
		t = tp.Permute(t, 0, 2, 4, 1, 3, 5) // n h w c p q
	} else {
		t = tp.Reshape(x, n, c, g, p, g, p, g, p)
		t = tp.Permute(t, 0, 2, 4, 6, 1, 3, 5, 7) // n d h w c a p q
	}
	t = tp.Reshape(t, n, m.numPatches, m.patchDim)
	w := tp.Reshape(m.PatchEmbed.W, m.PatchEmbed.W.Value.Dim(0), m.patchDim)
	return tp.Linear(t, w, m.PatchEmbed.B)
}

// loss is BiaPy's forward_loss: target = Patchify(x) (standardised per token with
// the unbiased variance + 1e-6 when NormPixLoss), per-token mean of (pred − target)²,
// then the mean over the tokens with mask 1. pred: [N, L, P], mask: [N, L] → 0-d.
func (m *MAE) loss(tp *nn.Tape, x, pred, maskVar *nn.Var) *nn.Var {
	mask := maskVar.Value
	target := m.Patchify(tp, x)
	if m.opts.NormPixLoss {
		pd := float32(m.patchDim)
		mean := tp.MeanAxes(target, 2)
		cen := tp.Sub(target, mean)
		// torch.var is unbiased: Σ(t−μ)²/(P−1).
		v := tp.Scale(tp.MeanAxes(tp.Square(cen), 2), pd/max(pd-1, 1))
		target = tp.Div(cen, tp.Sqrt(tp.AddScalar(v, 1e-6)))
	}
	per := tp.MeanAxes(tp.Square(tp.Sub(pred, target)), 2) // [N, L, 1]
	n, l := mask.Dim(0), mask.Dim(1)
	var total float64
	for _, v := range mask.Values() {
		total += float64(v)
	}
	weighted := tp.Mul(per, tp.Reshape(maskVar, n, l, 1))
	// With no masked token BiaPy divides 0 by 0 (NaN); keep that behaviour.
	return tp.Scale(tp.Sum(weighted), float32(1/total))
}
