package nn

import (
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/tensor"
)

// Reshape returns x with a new shape holding the same elements in row-major order (one
// dimension may be -1); a non-contiguous x is copied first: x: [*s] → shape.
func (tp *Tape) Reshape(x *Var, shape ...int) *Var {
	xs := x.Shape()
	out := tp.result(x.Value.Contiguous().Reshape(shape...), x)
	if tp.needsGrad(x) {
		tp.record(func() {
			dy := out.Grad
			if dy == nil {
				return
			}
			accumulateShared(x, dy.Reshape(xs...))
		})
	}
	return out
}

// Permute returns a view of x with its axes reordered (torch.permute): result axis i is
// x's axis axes[i].
func (tp *Tape) Permute(x *Var, axes ...int) *Var {
	out := tp.result(x.Value.Permute(axes...), x)
	if tp.needsGrad(x) {
		inv := make([]int, len(axes))
		for i, a := range axes {
			if a < 0 {
				a += len(axes)
			}
			inv[a] = i
		}
		tp.record(func() {
			dy := out.Grad
			if dy == nil {
				return
			}
			accumulateFrom(x, dy.Permute(inv...).Contiguous(), dy)
		})
	}
	return out
}

// Transpose returns a view of x with axes a and b swapped.
func (tp *Tape) Transpose(x *Var, a, b int) *Var {
	out := tp.result(x.Value.Transpose(a, b), x)
	if tp.needsGrad(x) {
		tp.record(func() {
			dy := out.Grad
			if dy == nil {
				return
			}
			accumulateFrom(x, dy.Transpose(a, b).Contiguous(), dy)
		})
	}
	return out
}

// Contiguous returns x with a dense row-major layout (x itself when it already is).
func (tp *Tape) Contiguous(x *Var) *Var {
	if x.Value.IsContiguous() {
		return x
	}
	out := tp.result(x.Value.Contiguous(), x)
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

// Concat joins xs along axis (negative counts from the end), torch.cat: every input has
// the same shape except along axis → that shape with the axis sizes summed.
func (tp *Tape) Concat(axis int, xs ...*Var) *Var {
	if len(xs) == 0 {
		panic("nn: Concat: no inputs")
	}
	ref := xs[0].Shape()
	r := len(ref)
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		panic(fmt.Sprintf("nn: Concat: axis %d for shape %v", axis, ref))
	}
	shape := slices.Clone(ref)
	shape[axis] = 0
	for _, x := range xs {
		s := x.Shape()
		if len(s) != r || !slices.Equal(s[:axis], ref[:axis]) || !slices.Equal(s[axis+1:], ref[axis+1:]) {
			panic(fmt.Sprintf("nn: Concat: shapes %v and %v differ outside axis %d", ref, s, axis))
		}
		shape[axis] += s[axis]
	}
	dev := xs[0].Value.Device()
	y := tensor.New(dev, shape...)
	off := 0
	for _, x := range xs {
		k := x.Value.Dim(axis)
		dev.CopyStrided(y.Slice(axis, off, off+k), x.Value)
		off += k
	}
	out := tp.result(y, xs...)
	if tp.needsGrad(xs...) {
		tp.record(func() {
			dy := out.Grad
			if dy == nil {
				return
			}
			off := 0
			for _, x := range xs {
				k := x.Value.Dim(axis)
				if wantsGrad(x) {
					accumulateFrom(x, dy.Slice(axis, off, off+k).Contiguous(), dy)
				}
				off += k
			}
		})
	}
	return out
}

// Slice returns the view of x with start ≤ i < end along axis (torch.narrow): x: [*s] →
// [*s] with that axis of size end−start.
func (tp *Tape) Slice(x *Var, axis, start, end int) *Var {
	out := tp.result(x.Value.Slice(axis, start, end), x)
	if tp.needsGrad(x) {
		tp.record(func() {
			dy := out.Grad
			if dy == nil {
				return
			}
			dev := dy.Device()
			dx := tensor.Zeros(dev, x.Shape()...)
			dev.CopyStrided(dx.Slice(axis, start, end), dy)
			accumulate(x, dx)
		})
	}
	return out
}

// padRegions returns Pad's output shape and the per-axis windows that the input and the
// output share: in[axis][srcLo:srcHi] lands at out[axis][dstLo:...].
func padRegions(xs, pads []int) (shape, srcLo, srcHi, dstLo []int) {
	r := len(xs)
	if len(pads)%2 != 0 || len(pads) > 2*r {
		panic(fmt.Sprintf("nn: Pad: pads %v for shape %v: want pairs for at most %d axes", pads, xs, r))
	}
	shape, srcLo, srcHi, dstLo = slices.Clone(xs), make([]int, r), slices.Clone(xs), make([]int, r)
	for i := 0; i < len(pads); i += 2 {
		ax := r - 1 - i/2
		lo, hi := pads[i], pads[i+1]
		shape[ax] = xs[ax] + lo + hi
		if shape[ax] < 0 {
			panic(fmt.Sprintf("nn: Pad: pads %v for shape %v: axis %d gets negative size", pads, xs, ax))
		}
		srcLo[ax] = min(max(0, -lo), xs[ax])
		srcHi[ax] = max(srcLo[ax], xs[ax]-max(0, -hi))
		dstLo[ax] = min(max(0, lo), shape[ax])
	}
	return shape, srcLo, srcHi, dstLo
}

// window returns the view of t given by per-axis starts lo and lengths n.
func window(t *tensor.Tensor, lo, n []int) *tensor.Tensor {
	for ax := range lo {
		t = t.Slice(ax, lo[ax], lo[ax]+n[ax])
	}
	return t
}

// Pad pads x with the constant value (torch.nn.functional.pad, mode "constant"): pads
// lists (low, high) pairs starting from the last axis, [last_lo, last_hi,
// secondlast_lo, secondlast_hi, ...]; negative pads crop. x: [*s] → padded shape.
func (tp *Tape) Pad(x *Var, pads []int, value float32) *Var {
	xs := x.Shape()
	shape, srcLo, srcHi, dstLo := padRegions(xs, pads)
	n := make([]int, len(xs))
	for i := range n {
		n[i] = srcHi[i] - srcLo[i]
	}
	dev := x.Value.Device()
	y := tensor.Full(dev, value, shape...)
	dev.CopyStrided(window(y, dstLo, n), window(x.Value, srcLo, n))
	out := tp.result(y, x)
	if tp.needsGrad(x) {
		tp.record(func() {
			dy := out.Grad
			if dy == nil {
				return
			}
			dx := tensor.Zeros(dev, xs...)
			dev.CopyStrided(window(dx, srcLo, n), window(dy, dstLo, n))
			accumulate(x, dx)
		})
	}
	return out
}
