package nn

import (
	"fmt"

	"github.com/selfsup/selfsup/tensor"
)

// Gather selects rows of x per batch element: out[b, k, :] = x[b, idx[b, k], :], with
// x: [B, L, D] and idx: [B, K] (float32 integers in [0, L)) → [B, K, D]. Repeated
// indices are allowed: their gradients add up.
func (tp *Tape) Gather(x *Var, idx *tensor.Tensor) *Var {
	xs, is := x.Shape(), idx.Shape()
	if len(xs) != 3 || len(is) != 2 || is[0] != xs[0] {
		panic(fmt.Sprintf("nn: Gather: input %v, indices %v: want [B, L, D] and [B, K]", xs, is))
	}
	xv, iv := x.Value.Contiguous(), idx.Contiguous()
	dev := xv.Device()
	y := tensor.New(dev, xs[0], is[1], xs[2])
	dev.Gather(y, xv, iv)
	freeCopy(xv, x.Value)
	out := tp.result(y, x)
	tp.keepTemp(iv, idx, tp.needsGrad(x))
	if tp.needsGrad(x) {
		tp.record(func() {
			dy := out.Grad
			if dy == nil {
				return
			}
			dx := tensor.Zeros(dev, xs...)
			dev.ScatterAdd(dx, dy, iv)
			accumulate(x, dx)
		})
	}
	return out
}
