package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/selfsup/selfsup/tensor"
)

// Upsample resamples x: [N, C, *in] (1–3 spatial axes) by scale factors
// (torch.nn.functional.interpolate with scale_factor, align_corners=False) with mode
// tensor.Nearest or tensor.Linear (linear/bilinear/trilinear) → [N, C, *out],
// out = ⌊in·scale⌋ per spatial axis. scales has one entry per spatial axis, or one
// entry for all.
func (tp *Tape) Upsample(x *Var, mode tensor.ResampleMode, scales []float64) *Var {
	xs := slices.Clone(x.Shape())
	if len(xs) < 3 || len(xs) > 5 {
		panic(fmt.Sprintf("nn: Upsample: x %v: need [N, C, *s] with 1–3 spatial axes", xs))
	}
	nd := len(xs) - 2
	sc := make([]float64, nd)
	switch len(scales) {
	case 1:
		for i := range sc {
			sc[i] = scales[0]
		}
	case nd:
		copy(sc, scales)
	default:
		panic(fmt.Sprintf("nn: Upsample: scales %v for x %v", scales, xs))
	}
	shape := slices.Clone(xs)
	for i, s := range sc {
		shape[2+i] = int(math.Floor(float64(xs[2+i]) * s))
		if s <= 0 || shape[2+i] < 1 {
			panic(fmt.Sprintf("nn: Upsample: x %v scales %v: output %v", xs, scales, shape))
		}
	}
	dev := x.Device()
	y := tensor.New(dev, shape...)
	xv := x.Value.Contiguous()
	dev.Upsample(mode, y, xv, sc)
	freeCopy(xv, x.Value)
	out := tp.result(y, x)
	if tp.needsGrad(x) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			dx := tensor.New(dev, xs...)
			dev.UpsampleBackward(mode, dx, out.Grad, sc)
			accumulate(x, dx)
		})
	}
	return out
}
