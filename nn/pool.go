package nn

import (
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/tensor"
)

// poolGeom checks x: [N, C, *s] (1–3 spatial axes) and returns the pooling geometry.
// kernel, stride and padding may have one entry for every axis; stride nil means
// kernel (PyTorch's default). Padding may be at most half the kernel, as in PyTorch.
func poolGeom(op string, x *Var, kernel, stride, padding []int) tensor.ConvGeom {
	xs := x.Shape()
	if len(xs) < 3 || len(xs) > 5 {
		panic(fmt.Sprintf("nn: %s: x %v: need [N, C, *s] with 1–3 spatial axes", op, xs))
	}
	nd := len(xs) - 2
	k := expandInts(op, "kernel", kernel, nd, 0)
	s := k
	if len(stride) > 0 {
		s = expandInts(op, "stride", stride, nd, 1)
	}
	p := expandInts(op, "padding", padding, nd, 0)
	for i := range nd {
		if k[i] < 1 || p[i] < 0 || 2*p[i] > k[i] {
			panic(fmt.Sprintf("nn: %s: kernel %v padding %v: padding must be at most half the kernel", op, k, p))
		}
	}
	return tensor.NewConvGeom(xs[2:], k, s, p, nil)
}

// MaxPool is max pooling (torch.nn.functional.max_pool1d/2d/3d, floor mode, padding
// never wins): x: [N, C, *in] → [N, C, *out], out = ⌊(in + 2·pad − kernel)/stride⌋ + 1.
// stride nil means kernel. The gradient goes to the first maximum of each window.
func (tp *Tape) MaxPool(x *Var, kernel, stride, padding []int) *Var {
	g := poolGeom("MaxPool", x, kernel, stride, padding)
	dev := x.Device()
	xv := x.Value.Contiguous()
	shape := append(slices.Clone(x.Shape()[:2]), g.Out...)
	y := tensor.New(dev, shape...)
	argmax := tensor.New(dev, shape...)
	dev.MaxPool(y, argmax, xv, g)
	freeCopy(xv, x.Value)
	out := tp.result(y, x)
	tp.keepTemp(argmax, nil, tp.needsGrad(x))
	if tp.needsGrad(x) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			dx := tensor.New(dev, x.Shape()...)
			dev.MaxPoolBackward(dx, out.Grad, argmax, g)
			accumulate(x, dx)
		})
	}
	return out
}

// AvgPool is average pooling (torch.nn.functional.avg_pool1d/2d/3d with
// count_include_pad=True, floor mode): x: [N, C, *in] → [N, C, *out], each output the
// window sum divided by ∏kernel. stride nil means kernel.
func (tp *Tape) AvgPool(x *Var, kernel, stride, padding []int) *Var {
	g := poolGeom("AvgPool", x, kernel, stride, padding)
	dev := x.Device()
	xv := x.Value.Contiguous()
	y := tensor.New(dev, append(slices.Clone(x.Shape()[:2]), g.Out...)...)
	dev.AvgPool(y, xv, g)
	freeCopy(xv, x.Value)
	out := tp.result(y, x)
	if tp.needsGrad(x) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			dx := tensor.New(dev, x.Shape()...)
			dev.AvgPoolBackward(dx, out.Grad, g)
			accumulate(x, dx)
		})
	}
	return out
}

// GlobalAvgPool is AdaptiveAvgPool(1): the mean over all spatial axes, keeping them as
// size 1: x: [N, C, *s] → [N, C, 1, …].
func (tp *Tape) GlobalAvgPool(x *Var) *Var {
	xs := slices.Clone(x.Shape())
	if len(xs) < 3 {
		panic(fmt.Sprintf("nn: GlobalAvgPool: x %v: need [N, C, *s]", xs))
	}
	dev := x.Device()
	shape := slices.Clone(xs)
	size := 1
	for i := 2; i < len(shape); i++ {
		size *= shape[i]
		shape[i] = 1
	}
	y := tensor.New(dev, shape...)
	xv := x.Value.Contiguous()
	dev.ReduceSum(y, xv)
	freeCopy(xv, x.Value)
	dev.Affine(y, y, 1/float32(size), 0)
	out := tp.result(y, x)
	if tp.needsGrad(x) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			// dx = dy/size broadcast over the positions: scale the small dy, then one
			// broadcasting pass (a copy, or an add into x's existing gradient).
			g := tensor.New(dev, shape...)
			gc := out.Grad.Contiguous()
			dev.Affine(g, gc, 1/float32(size), 0)
			freeCopy(gc, out.Grad)
			accumulateBroadcast(x, g.Expand(xs...))
			dev.Free(g.Buffer())
		})
	}
	return out
}
