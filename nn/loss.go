package nn

import (
	"fmt"

	"github.com/selfsup/selfsup/tensor"
)

// lossDiff checks that pred and target have equal shapes and returns pred − target.
func lossDiff(op string, pred, target *Var) *tensor.Tensor {
	if !pred.Value.SameShape(target.Value) {
		panic(fmt.Sprintf("nn: %s: prediction %v and target %v: shapes differ", op, pred.Shape(), target.Shape()))
	}
	dev := pred.Value.Device()
	d := tensor.New(dev, pred.Shape()...)
	dev.Binary(tensor.Sub, d, pred.Value, target.Value)
	return d
}

// meanOf returns the mean of all elements of the contiguous t as a 0-d tensor.
func meanOf(t *tensor.Tensor) *tensor.Tensor {
	dev := t.Device()
	keep := make([]int, t.Rank())
	for i := range keep {
		keep[i] = 1
	}
	s := tensor.New(dev, keep...)
	dev.ReduceSum(s, t)
	dev.Affine(s, s, 1/float32(t.Numel()), 0)
	return s.Reshape()
}

// lossBackward accumulates g·dy·scale into pred and −g·dy·scale into target, dy the
// 0-d upstream gradient; g is a fresh tensor that lossBackward overwrites.
func lossBackward(pred, target *Var, g, dy *tensor.Tensor, scale float32) {
	dev := g.Device()
	dev.Binary(tensor.Mul, g, g, dy.Expand(g.Shape()...))
	var gt *tensor.Tensor
	if wantsGrad(target) {
		gt = affineT(g, -scale, 0)
	}
	if wantsGrad(pred) {
		dev.Affine(g, g, scale, 0)
		accumulate(pred, g)
	} else {
		free(g)
	}
	if gt != nil {
		accumulate(target, gt)
	}
}

// MSELoss returns mean((pred − target)²) (torch.nn.MSELoss, mean reduction):
// pred, target: same shape → 0-d.
func (tp *Tape) MSELoss(pred, target *Var) *Var {
	d := lossDiff("MSELoss", pred, target)
	dev := d.Device()
	sq := tensor.New(dev, d.Shape()...)
	dev.Unary(tensor.Square, sq, d, 0)
	out := tp.result(meanOf(sq), pred, target)
	free(sq)
	tp.keepTemp(d, nil, tp.needsGrad(pred, target))
	if tp.needsGrad(pred, target) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			g := tensor.New(dev, d.Shape()...)
			dev.CopyStrided(g, d)
			lossBackward(pred, target, g, out.Grad, 2/float32(d.Numel()))
		})
	}
	return out
}

// L1Loss returns mean(|pred − target|) (torch.nn.L1Loss, mean reduction; gradient
// sign(pred − target)/n, 0 where they are equal): pred, target: same shape → 0-d.
func (tp *Tape) L1Loss(pred, target *Var) *Var {
	d := lossDiff("L1Loss", pred, target)
	dev := d.Device()
	a := tensor.New(dev, d.Shape()...)
	dev.Unary(tensor.Abs, a, d, 0)
	out := tp.result(meanOf(a), pred, target)
	free(a)
	tp.keepTemp(d, nil, tp.needsGrad(pred, target))
	if tp.needsGrad(pred, target) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			g := tensor.New(dev, d.Shape()...)
			dev.Unary(tensor.Sign, g, d, 0)
			lossBackward(pred, target, g, out.Grad, 1/float32(d.Numel()))
		})
	}
	return out
}
