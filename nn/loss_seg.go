package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/selfsup/selfsup/tensor"
)

// Segmentation losses. The targets are constants (*tensor.Tensor, no gradient):
// binary masks in [0, 1] with the logits' shape, or integer class ids stored as
// float32 with the logits' shape minus the channel axis 1.

// contig returns t itself when contiguous, else a contiguous copy.
func contig(t *tensor.Tensor) *tensor.Tensor {
	if t.IsContiguous() {
		return t
	}
	return t.Contiguous()
}

// unaryT returns op(x) as a fresh tensor.
func unaryT(op tensor.UnaryOp, x *tensor.Tensor) *tensor.Tensor {
	out := tensor.New(x.Device(), x.Shape()...)
	x.Device().Unary(op, out, x, 0)
	return out
}

// BCEWithLogits returns the mean binary cross-entropy of sigmoid(logits) against
// target (torch.nn.BCEWithLogitsLoss, mean reduction, computed stably as
// (1−y)·x + w·softplus(−x) with w = 1 + (posWeight−1)·y): logits: any shape,
// target: the same shape with values in [0, 1] → 0-d. posWeight weighs the positive
// term (PyTorch's pos_weight as a scalar); 0 or 1 means unweighted. The target gets
// no gradient.
func (tp *Tape) BCEWithLogits(logits *Var, target *tensor.Tensor, posWeight float32) *Var {
	if !slices.Equal(logits.Shape(), target.Shape()) {
		panic(fmt.Sprintf("nn: BCEWithLogits: logits %v and target %v: shapes differ", logits.Shape(), target.Shape()))
	}
	if posWeight == 0 {
		posWeight = 1
	}
	x, y := contig(logits.Value), contig(target.To(logits.Value.Device()))
	dev := x.Device()
	// softplus(−x) = relu(−x) + log(1 + exp(−|x|))
	sp := unaryT(tensor.Abs, x)
	dev.Unary(tensor.Neg, sp, sp, 0)
	dev.Unary(tensor.Exp, sp, sp, 0)
	dev.Affine(sp, sp, 1, 1)
	dev.Unary(tensor.Log, sp, sp, 0)
	r := unaryT(tensor.Neg, x)
	dev.Unary(tensor.ReLU, r, r, 0)
	dev.Binary(tensor.Add, sp, sp, r)
	w := affineT(y, posWeight-1, 1) // 1 + (p−1)·y
	dev.Binary(tensor.Mul, sp, sp, w)
	omy := affineT(y, -1, 1) // 1 − y
	dev.Binary(tensor.Mul, r, omy, x)
	dev.Binary(tensor.Add, sp, sp, r)
	out := tp.result(meanOf(sp), logits)
	if tp.needsGrad(logits) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			// d/dx = (1 − y) − w·(1 − sigmoid(x))
			g := unaryT(tensor.Sigmoid, x)
			dev.Affine(g, g, -1, 1)
			dev.Binary(tensor.Mul, g, g, w)
			dev.Binary(tensor.Sub, g, omy, g)
			dev.Binary(tensor.Mul, g, g, out.Grad.Expand(g.Shape()...))
			dev.Affine(g, g, 1/float32(g.Numel()), 0)
			accumulate(logits, g)
		})
	}
	return out
}

// classTargets checks a class-id target against logits [N, C, *S] and returns, as
// tensors on the logits' device, the one-hot map [N, C, *S] (zero on ignored pixels),
// the valid-pixel mask [N, 1, *S] and the number of valid pixels. ignore < 0 means no
// ignore index; any other id outside [0, C) panics.
func classTargets(op string, logits []int, target *tensor.Tensor, ignore int, dev tensor.Device) (onehot, valid *tensor.Tensor, n int) {
	if len(logits) < 2 || !slices.Equal(target.Shape(), append([]int{logits[0]}, logits[2:]...)) {
		panic(fmt.Sprintf("nn: %s: logits %v and target %v: want logits [N, C, ...] and target [N, ...]", op, logits, target.Shape()))
	}
	c := logits[1]
	s := 1
	for _, v := range logits[2:] {
		s *= v
	}
	tv := target.Values()
	oh := make([]float32, logits[0]*c*s)
	va := make([]float32, logits[0]*s)
	for i, v := range tv {
		k := int(v)
		if float32(k) != v {
			panic(fmt.Sprintf("nn: %s: target value %v is not a class id", op, v))
		}
		if ignore >= 0 && k == ignore {
			continue
		}
		if k < 0 || k >= c {
			panic(fmt.Sprintf("nn: %s: target class %d outside [0, %d) for logits %v", op, k, c, logits))
		}
		b, p := i/s, i%s
		oh[(b*c+k)*s+p] = 1
		va[i] = 1
		n++
	}
	vshape := slices.Clone(logits)
	vshape[1] = 1
	return tensor.FromSlice(oh, logits...).To(dev), tensor.FromSlice(va, vshape...).To(dev), n
}

// CrossEntropy returns the mean cross-entropy of softmax(logits, axis 1) against class
// ids (torch.nn.CrossEntropyLoss, mean over the non-ignored pixels): logits: [N, C, *S],
// target: [N, *S] integer class ids in [0, C) stored as float32 → 0-d. Pixels whose
// target equals ignore are left out (ignore < 0: none; PyTorch's ignore_index). With
// every pixel ignored the loss is NaN, as in PyTorch. The target gets no gradient.
func (tp *Tape) CrossEntropy(logits *Var, target *tensor.Tensor, ignore int) *Var {
	x := contig(logits.Value)
	dev := x.Device()
	shape := x.Shape()
	oh, valid, n := classTargets("CrossEntropy", shape, target, ignore, dev)
	// log-softmax along axis 1 = x − m − log Σ exp(x − m)
	rshape := slices.Clone(shape)
	rshape[1] = 1
	m := tensor.New(dev, append([]int{shape[0]}, shape[2:]...)...)
	am := tensor.New(dev, m.Shape()...)
	dev.ReduceMax(m, am, x, 1)
	logp := tensor.New(dev, shape...)
	dev.Binary(tensor.Sub, logp, x, m.Reshape(rshape...).Expand(shape...))
	e := unaryT(tensor.Exp, logp)
	lse := tensor.New(dev, rshape...)
	dev.ReduceSum(lse, e)
	dev.Unary(tensor.Log, lse, lse, 0)
	dev.Binary(tensor.Sub, logp, logp, lse.Expand(shape...))
	prod := tensor.New(dev, shape...)
	dev.Binary(tensor.Mul, prod, logp, oh)
	loss := meanOf(prod)
	scale := float32(-float64(prod.Numel()) / float64(n))
	if n == 0 {
		scale = float32(math.NaN())
	}
	dev.Affine(loss, loss, scale, 0)
	out := tp.result(loss, logits)
	if tp.needsGrad(logits) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			// d/dx = (softmax − onehot)·valid / n
			g := unaryT(tensor.Exp, logp)
			dev.Binary(tensor.Sub, g, g, oh)
			dev.Binary(tensor.Mul, g, g, valid.Expand(shape...))
			dev.Binary(tensor.Mul, g, g, out.Grad.Expand(shape...))
			dev.Affine(g, g, 1/float32(n), 0)
			accumulate(logits, g)
		})
	}
	return out
}

// DiceLoss returns the soft Dice loss 1 − (2·Σ p·y + smooth)/(Σ p + Σ y + smooth),
// BiaPy's DiceLoss (smooth 1 there), with sums over the whole batch:
//   - binary (C = 1): p = sigmoid(logits), target: the logits' shape [N, 1, *S] with
//     values in [0, 1];
//   - multi-class (C > 1): p = softmax(logits, axis 1), target: [N, *S] class ids; the
//     loss is the mean over the C classes of each class's Dice loss against its
//     one-hot map.
//
// logits: [N, C, *S] → 0-d. The target gets no gradient.
func (tp *Tape) DiceLoss(logits *Var, target *tensor.Tensor, smooth float32) *Var {
	x := contig(logits.Value)
	dev := x.Device()
	shape := x.Shape()
	if len(shape) < 2 {
		panic(fmt.Sprintf("nn: DiceLoss: logits %v: want [N, C, ...]", shape))
	}
	c := shape[1]
	p := tensor.New(dev, shape...)
	var y *tensor.Tensor
	if c == 1 {
		if !slices.Equal(shape, target.Shape()) {
			panic(fmt.Sprintf("nn: DiceLoss: binary logits %v and target %v: shapes differ", shape, target.Shape()))
		}
		y = contig(target.To(dev))
		dev.Unary(tensor.Sigmoid, p, x, 0)
	} else {
		y, _, _ = classTargets("DiceLoss", shape, target, -1, dev)
		dev.Softmax(p, x, 1)
	}
	// Per-class sums over every axis but 1.
	kshape := make([]int, len(shape))
	for i := range kshape {
		kshape[i] = 1
	}
	kshape[1] = c
	py := tensor.New(dev, shape...)
	dev.Binary(tensor.Mul, py, p, y)
	sum := func(t *tensor.Tensor) []float32 {
		s := tensor.New(dev, kshape...)
		dev.ReduceSum(s, t)
		return s.Values()
	}
	inter, ps, ys := sum(py), sum(p), sum(y)
	loss := 0.0
	a := make([]float32, c) // dL/dp = a_k·y + b_k
	b := make([]float32, c)
	sm := float64(smooth)
	for k := range c {
		num := 2*float64(inter[k]) + sm
		den := float64(ps[k]) + float64(ys[k]) + sm
		loss += (1 - num/den) / float64(c)
		a[k] = float32(-2 / den / float64(c))
		b[k] = float32(num / (den * den) / float64(c))
	}
	out := tp.result(tensor.Full(dev, float32(loss)), logits)
	if tp.needsGrad(logits) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			gp := tensor.New(dev, shape...)
			dev.Binary(tensor.Mul, gp, y, tensor.FromSlice(a, kshape...).To(dev).Expand(shape...))
			dev.Binary(tensor.Add, gp, gp, tensor.FromSlice(b, kshape...).To(dev).Expand(shape...))
			dev.Binary(tensor.Mul, gp, gp, out.Grad.Expand(shape...))
			g := tensor.New(dev, shape...)
			if c == 1 {
				dev.UnaryBackward(tensor.Sigmoid, g, gp, x, p, 0)
			} else {
				dev.SoftmaxBackward(g, gp, p, 1)
			}
			accumulate(logits, g)
		})
	}
	return out
}

// BCEDiceLoss returns wBCE·BCE + wDice·Dice, BiaPy's DiceBCELoss (W_CE_DICE with
// weights 0.5 and 0.5 and smooth 1): for C = 1 the BCE is [Tape.BCEWithLogits]
// (unweighted), for C > 1 it is [Tape.CrossEntropy] (no ignore index); Dice is
// [Tape.DiceLoss] with smooth. logits: [N, C, *S], target as for DiceLoss → 0-d.
func (tp *Tape) BCEDiceLoss(logits *Var, target *tensor.Tensor, wBCE, wDice, smooth float32) *Var {
	var ce *Var
	if len(logits.Shape()) >= 2 && logits.Shape()[1] == 1 {
		ce = tp.BCEWithLogits(logits, target, 1)
	} else {
		ce = tp.CrossEntropy(logits, target, -1)
	}
	return tp.Add(tp.Scale(ce, wBCE), tp.Scale(tp.DiceLoss(logits, target, smooth), wDice))
}
