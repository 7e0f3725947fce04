//go:build cuda

package cuda

import (
	"math"

	"github.com/selfsup/selfsup/tensor"
)

// AdamW updates p in place from its gradient g and moments m, v (all the same shape,
// contiguous): PyTorch's torch.optim.AdamW step in the order and float32 arithmetic
// of the CPU's (tensor/cpu_adamw.go), with the same host-computed constants, so both
// devices round every element alike:
//
//	p ← p·(1 − lr·wd)
//	m ← m + (1−β1)·(g − m)
//	v ← v·β2 + (1−β2)·g²
//	p ← p − (lr/(1−β1ᵗ)) · m / (√v/√(1−β2ᵗ) + eps)
func (d *Device) AdamW(p, g, m, v *tensor.Tensor, h tensor.AdamWParams) {
	ewSameShape("AdamW", p, g, m, v)
	ewContig("AdamW", p, g, m, v)
	n := p.Numel()
	if n == 0 {
		return
	}
	lr, b1, b2 := float64(h.LR), float64(h.Beta1), float64(h.Beta2)
	t := float64(h.Step)
	decay := float32(1 - lr*float64(h.WeightDecay))
	w1 := float32(1 - b1)
	beta2, w2 := float32(b2), float32(1-b2)
	bc1 := 1 - math.Pow(b1, t)
	bc2sqrt := float32(math.Sqrt(1 - math.Pow(b2, t)))
	step := float32(-lr / bc1)
	d.launch("adamw", "adamw", ewGrid(n), ewBlock, 0, p, g, m, v, n, decay, w1, beta2, w2, bc2sqrt, step, h.Eps)
}
