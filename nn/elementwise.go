package nn

import (
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/tensor"
)

// This file holds the broadcasting binary ops (Add, Sub, Mul, Div), the scalar ops
// (Scale, AddScalar) and the helpers the other op files share: broadcast shapes,
// reduction of a broadcast gradient back to an input's shape, and gradient accumulation
// that knows whether a tensor is fresh or a view of the upstream gradient.

// broadcastShape returns the NumPy broadcast of shapes a and b, panicking with op's name
// when they do not broadcast.
func broadcastShape(op string, a, b []int) []int {
	r := max(len(a), len(b))
	out := make([]int, r)
	for i := range r {
		da, db := 1, 1
		if j := i - (r - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (r - len(b)); j >= 0 {
			db = b[j]
		}
		switch {
		case da == db || db == 1:
			out[i] = da
		case da == 1:
			out[i] = db
		default:
			panic(fmt.Sprintf("nn: %s: shapes %v and %v do not broadcast", op, a, b))
		}
	}
	return out
}

// keepdimShape returns shape padded with leading 1s to rank r: the keepdim shape of a
// reduction of a rank-r tensor down to shape.
func keepdimShape(shape []int, r int) []int {
	out := make([]int, r)
	lead := r - len(shape)
	for i := range out {
		if i < lead {
			out[i] = 1
		} else {
			out[i] = shape[i-lead]
		}
	}
	return out
}

// reduceTo sums the contiguous gradient g down to shape, which g's shape is a broadcast
// of (axes where shape has 1 are summed, missing leading axes are summed and dropped).
// When no axis needs summing it returns a view of g (check with sharesBuffer).
func reduceTo(dev tensor.Device, g *tensor.Tensor, shape []int) *tensor.Tensor {
	if len(shape) > g.Rank() {
		panic(fmt.Sprintf("nn: reduceTo: gradient %v to shape %v: rank grows", g.Shape(), shape))
	}
	keep := keepdimShape(shape, g.Rank())
	if slices.Equal(keep, g.Shape()) {
		if slices.Equal(shape, g.Shape()) {
			return g
		}
		return g.Contiguous().Reshape(shape...)
	}
	for i, d := range keep {
		if d != 1 && d != g.Dim(i) {
			panic(fmt.Sprintf("nn: reduceTo: gradient %v to shape %v: not a broadcast", g.Shape(), shape))
		}
	}
	dst := tensor.New(dev, keep...)
	gc := g.Contiguous()
	dev.ReduceSum(dst, gc)
	freeCopy(gc, g)
	return dst.Reshape(shape...)
}

// reduceOwned is reduceTo for a fresh gradient g that nothing else uses: g is freed
// when the reduction made a new tensor.
func reduceOwned(dev tensor.Device, g *tensor.Tensor, shape []int) *tensor.Tensor {
	r := reduceTo(dev, g, shape)
	freeCopy(g, r)
	return r
}

// sharesBuffer reports whether t and u are views of the same buffer.
func sharesBuffer(t, u *tensor.Tensor) bool { return t.Buffer() == u.Buffer() }

// accumulateFrom accumulates g into v, adopting g when it is a fresh tensor and copying
// it when it is a view of the upstream gradient dy (which other closures may read).
func accumulateFrom(v *Var, g, dy *tensor.Tensor) {
	if v == nil || !v.requiresGrad {
		return
	}
	if sharesBuffer(g, dy) {
		accumulateShared(v, g)
		return
	}
	accumulate(v, g)
}

// binaryT returns a ∘ b broadcast to their common shape as a fresh contiguous tensor.
func binaryT(name string, op tensor.BinaryOp, a, b *tensor.Tensor) *tensor.Tensor {
	shape := broadcastShape(name, a.Shape(), b.Shape())
	dev := a.Device()
	dst := tensor.New(dev, shape...)
	dev.Binary(op, dst, a.Expand(shape...), b.Expand(shape...))
	return dst
}

// affineT returns x·scale + bias as a fresh contiguous tensor.
func affineT(x *tensor.Tensor, scale, bias float32) *tensor.Tensor {
	dev := x.Device()
	dst := tensor.New(dev, x.Shape()...)
	xc := x.Contiguous()
	dev.Affine(dst, xc, scale, bias)
	freeCopy(xc, x)
	return dst
}

// wantsGrad reports whether gradients must be computed for v.
func wantsGrad(v *Var) bool { return v != nil && v.requiresGrad }

// Add returns a + b with NumPy broadcasting: a, b broadcastable → broadcast shape.
func (tp *Tape) Add(a, b *Var) *Var {
	out := tp.result(binaryT("Add", tensor.Add, a.Value, b.Value), a, b)
	if tp.needsGrad(a, b) {
		tp.record(func() {
			dy := out.Grad
			if dy == nil {
				return
			}
			dev := dy.Device()
			// dy goes unchanged to an input of the output's shape: the first such input
			// without a gradient adopts dy itself (out is done with it) instead of a copy.
			if wantsGrad(a) {
				if !tp.adoptGrad(a, out) {
					accumulateFrom(a, reduceTo(dev, dy, a.Shape()), dy)
				}
			}
			if wantsGrad(b) {
				if b == a || !tp.adoptGrad(b, out) {
					accumulateFrom(b, reduceTo(dev, dy, b.Shape()), dy)
				}
			}
		})
	}
	return out
}

// adoptGrad hands out's gradient to v, an input of the op that made out, when that is
// safe: v has no gradient yet and out's shape, out's gradient is contiguous and nobody
// keeps it (out is not retained, RetainGrads is off, and backward frees it right after
// this op). It reports whether it did; out.Grad is then nil.
func (tp *Tape) adoptGrad(v, out *Var) bool {
	g := out.Grad
	if tp.keepGrads || out.retain || v.Grad != nil || g == nil || !g.IsContiguous() ||
		!slices.Equal(v.Shape(), g.Shape()) {
		return false
	}
	v.Grad, out.Grad = g, nil
	return true
}

// Sub returns a − b with NumPy broadcasting: a, b broadcastable → broadcast shape.
func (tp *Tape) Sub(a, b *Var) *Var {
	out := tp.result(binaryT("Sub", tensor.Sub, a.Value, b.Value), a, b)
	if tp.needsGrad(a, b) {
		tp.record(func() {
			dy := out.Grad
			if dy == nil {
				return
			}
			dev := dy.Device()
			var gb *tensor.Tensor
			if wantsGrad(b) {
				// Reduce first, then negate (in place when the reduction made a copy).
				gb = reduceTo(dev, dy, b.Shape())
				if sharesBuffer(gb, dy) {
					gb = affineT(gb, -1, 0)
				} else {
					dev.Affine(gb, gb, -1, 0)
				}
			}
			if wantsGrad(a) {
				accumulateFrom(a, reduceTo(dev, dy, a.Shape()), dy)
			}
			if gb != nil {
				accumulate(b, gb)
			}
		})
	}
	return out
}

// Mul returns a · b elementwise with NumPy broadcasting: a, b broadcastable → broadcast
// shape.
func (tp *Tape) Mul(a, b *Var) *Var {
	out := tp.result(binaryT("Mul", tensor.Mul, a.Value, b.Value), a, b)
	if tp.needsGrad(a, b) {
		av, bv := a.Value, b.Value
		tp.record(func() {
			dy := out.Grad
			if dy == nil {
				return
			}
			dev := dy.Device()
			var ga, gb *tensor.Tensor
			if wantsGrad(a) {
				ga = reduceOwned(dev, binaryT("Mul", tensor.Mul, dy, bv), a.Shape())
			}
			if wantsGrad(b) {
				gb = reduceOwned(dev, binaryT("Mul", tensor.Mul, dy, av), b.Shape())
			}
			if ga != nil {
				accumulate(a, ga)
			}
			if gb != nil {
				accumulate(b, gb)
			}
		})
	}
	return out
}

// Div returns a / b elementwise with NumPy broadcasting: a, b broadcastable → broadcast
// shape.
func (tp *Tape) Div(a, b *Var) *Var {
	out := tp.result(binaryT("Div", tensor.Div, a.Value, b.Value), a, b)
	if tp.needsGrad(a, b) {
		bv := b.Value
		tp.record(func() {
			dy := out.Grad
			if dy == nil {
				return
			}
			dev := dy.Device()
			// t = dy/b; ∂a = t, ∂b = −dy·a/b² = −t·y.
			t := binaryT("Div", tensor.Div, dy, bv)
			var ga, gb *tensor.Tensor
			if wantsGrad(b) {
				ty := tensor.New(dev, t.Shape()...)
				dev.Binary(tensor.Mul, ty, t, out.Value)
				dev.Affine(ty, ty, -1, 0)
				gb = reduceOwned(dev, ty, b.Shape())
			}
			if wantsGrad(a) {
				ga = reduceOwned(dev, t, a.Shape())
			} else {
				free(t)
			}
			if ga != nil {
				accumulate(a, ga)
			}
			if gb != nil {
				accumulate(b, gb)
			}
		})
	}
	return out
}

// Scale returns x·c: x: any shape → same shape.
func (tp *Tape) Scale(x *Var, c float32) *Var {
	out := tp.result(affineT(x.Value, c, 0), x)
	if tp.needsGrad(x) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			accumulate(x, affineT(out.Grad, c, 0))
		})
	}
	return out
}

// AddScalar returns x + c: x: any shape → same shape.
func (tp *Tape) AddScalar(x *Var, c float32) *Var {
	out := tp.result(affineT(x.Value, 1, c), x)
	if tp.needsGrad(x) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			accumulateShared(x, out.Grad)
		})
	}
	return out
}
