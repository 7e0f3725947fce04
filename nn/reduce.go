package nn

import (
	"fmt"

	"github.com/selfsup/selfsup/tensor"
)

// expandGrad returns the gradient dy of a keepdim reduction (shape keep, same rank as
// shape) broadcast back to shape and multiplied by scale, as a fresh contiguous tensor.
func expandGrad(dy *tensor.Tensor, keep, shape []int, scale float32) *tensor.Tensor {
	dev := dy.Device()
	dx := tensor.New(dev, shape...)
	dc := dy.Contiguous()
	dev.CopyStrided(dx, dc.Reshape(keep...).Expand(shape...))
	freeCopy(dc, dy)
	if scale != 1 {
		dev.Affine(dx, dx, scale, 0)
	}
	return dx
}

// SumTo sums x down to shape, which x's shape must be a broadcast of (keepdim semantics
// for axes of size 1; missing leading axes are summed and dropped): x: [*s] → shape.
// It is the adjoint of broadcasting.
func (tp *Tape) SumTo(x *Var, shape ...int) *Var {
	xs := x.Shape()
	if len(shape) > len(xs) {
		panic(fmt.Sprintf("nn: SumTo: shape %v to %v: rank grows", xs, shape))
	}
	keep := keepdimShape(shape, len(xs))
	for i, d := range keep {
		if d != 1 && d != xs[i] {
			panic(fmt.Sprintf("nn: SumTo: shape %v to %v: not a broadcast", xs, shape))
		}
	}
	xv := x.Value.Contiguous()
	dev := xv.Device()
	r := reduceTo(dev, xv, shape)
	if !sharesBuffer(r, xv) {
		freeCopy(xv, x.Value)
	}
	out := tp.result(r, x)
	if tp.needsGrad(x) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			accumulate(x, expandGrad(out.Grad, keep, xs, 1))
		})
	}
	return out
}

// Sum returns the sum of all elements of x: any shape → 0-d (shape []).
func (tp *Tape) Sum(x *Var) *Var { return tp.sumAll(x, 1) }

// Mean returns the mean of all elements of x: any shape → 0-d (shape []).
func (tp *Tape) Mean(x *Var) *Var { return tp.sumAll(x, 1/float32(x.Value.Numel())) }

// sumAll returns scale·Σx as a 0-d Var.
func (tp *Tape) sumAll(x *Var, scale float32) *Var {
	xs := x.Shape()
	keep := make([]int, len(xs))
	for i := range keep {
		keep[i] = 1
	}
	xv := x.Value.Contiguous()
	dev := xv.Device()
	s := tensor.New(dev, keep...)
	dev.ReduceSum(s, xv)
	freeCopy(xv, x.Value)
	if scale != 1 {
		dev.Affine(s, s, scale, 0)
	}
	out := tp.result(s.Reshape(), x)
	if tp.needsGrad(x) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			accumulate(x, expandGrad(out.Grad, keep, xs, scale))
		})
	}
	return out
}

// MeanAxes returns the mean of x over the given axes, kept as size-1 axes (negative
// axes count from the end): x: [*s] → [*s] with those axes set to 1.
func (tp *Tape) MeanAxes(x *Var, axes ...int) *Var {
	xs := x.Shape()
	keep := append([]int(nil), xs...)
	count := 1
	for _, a := range axes {
		if a < 0 {
			a += len(xs)
		}
		if a < 0 || a >= len(xs) || keep[a] == 1 && xs[a] != 1 {
			panic(fmt.Sprintf("nn: MeanAxes: axes %v for shape %v", axes, xs))
		}
		count *= xs[a]
		keep[a] = 1
	}
	scale := float32(1)
	if count > 0 {
		scale = 1 / float32(count)
	}
	xv := x.Value.Contiguous()
	dev := xv.Device()
	m := tensor.New(dev, keep...)
	dev.ReduceSum(m, xv)
	freeCopy(xv, x.Value)
	dev.Affine(m, m, scale, 0)
	out := tp.result(m, x)
	if tp.needsGrad(x) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			accumulate(x, expandGrad(out.Grad, keep, xs, scale))
		})
	}
	return out
}
