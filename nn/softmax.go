package nn

import (
	"fmt"

	"github.com/selfsup/selfsup/tensor"
)

// Softmax returns softmax(x) along axis (negative counts from the end): x: any shape →
// same shape.
func (tp *Tape) Softmax(x *Var, axis int) *Var {
	r := x.Value.Rank()
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		panic(fmt.Sprintf("nn: Softmax: axis %d for shape %v", axis, x.Shape()))
	}
	xv := x.Value.Contiguous()
	dev := xv.Device()
	y := tensor.New(dev, xv.Shape()...)
	dev.Softmax(y, xv, axis)
	freeCopy(xv, x.Value)
	out := tp.result(y, x)
	if tp.needsGrad(x) {
		tp.record(func() {
			dy := out.Grad
			if dy == nil {
				return
			}
			dx := tensor.New(dev, y.Shape()...)
			dev.SoftmaxBackward(dx, dy, y, axis)
			accumulate(x, dx)
		})
	}
	return out
}
