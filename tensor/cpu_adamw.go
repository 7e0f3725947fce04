package tensor

import (
	"math"

	"github.com/selfsup/selfsup/internal/parallel"
)

// AdamW updates p in place from its gradient g and moments m, v (all the same shape,
// contiguous), in the order and float32 arithmetic of PyTorch's single-tensor
// torch.optim.AdamW step:
//
//	p ← p·(1 − lr·wd)
//	m ← m + (1−β1)·(g − m)
//	v ← v·β2 + (1−β2)·g²
//	p ← p − (lr/(1−β1ᵗ)) · m / (√v/√(1−β2ᵗ) + eps)
func (CPU) AdamW(p, g, m, v *Tensor, h AdamWParams) {
	mustSameShape("AdamW", p, g, m, v)
	ps, gs, ms, vs := data("AdamW", p), data("AdamW", g), data("AdamW", m), data("AdamW", v)
	lr, b1, b2 := float64(h.LR), float64(h.Beta1), float64(h.Beta2)
	t := float64(h.Step)
	decay := float32(1 - lr*float64(h.WeightDecay))
	w1 := float32(1 - b1)
	beta2, w2 := float32(b2), float32(1-b2)
	bc1 := 1 - math.Pow(b1, t)
	bc2sqrt := float32(math.Sqrt(1 - math.Pow(b2, t)))
	step := float32(-lr / bc1)
	eps := h.Eps
	parallel.For(len(ps), grainTrans, func(lo, hi int) {
		pp, gg, mm, vv := ps[lo:hi], gs[lo:hi], ms[lo:hi], vs[lo:hi]
		for i := range pp {
			x := gg[i]
			a := mm[i] + w1*(x-mm[i])
			b := vv[i]*beta2 + w2*x*x
			mm[i], vv[i] = a, b
			den := float32(math.Sqrt(float64(b)))/bc2sqrt + eps
			pp[i] = pp[i]*decay + step*(a/den)
		}
	})
}
