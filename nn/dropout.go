package nn

import (
	"fmt"

	"github.com/selfsup/selfsup/tensor"
)

// Dropout zeroes each element of x with probability p and scales the survivors by
// 1/(1−p) (inverted dropout, torch.nn.functional.dropout): x: any shape → same shape.
// The mask is drawn on the host from rng, so a seed gives the same mask on every
// device. When !train or p == 0 it returns x itself.
func (tp *Tape) Dropout(x *Var, p float32, rng *tensor.RNG, train bool) *Var {
	if p < 0 || p > 1 {
		panic(fmt.Sprintf("nn: Dropout: probability %v not in [0, 1]", p))
	}
	if !train || p == 0 {
		return x
	}
	n := x.Value.Numel()
	keep := float32(0)
	if p < 1 {
		keep = 1 / (1 - p)
	}
	m := make([]float32, n)
	for i := range m {
		if rng.Float64() >= float64(p) {
			m[i] = keep
		}
	}
	dev := x.Value.Device()
	mask := tensor.FromSlice(m, x.Shape()...).To(dev)
	y := tensor.New(dev, x.Shape()...)
	dev.Binary(tensor.Mul, y, x.Value, mask)
	out := tp.result(y, x)
	tp.keepTemp(mask, nil, tp.needsGrad(x))
	if tp.needsGrad(x) {
		tp.record(func() {
			dy := out.Grad
			if dy == nil {
				return
			}
			dx := tensor.New(dev, dy.Shape()...)
			dev.Binary(tensor.Mul, dx, dy, mask)
			accumulate(x, dx)
		})
	}
	return out
}
