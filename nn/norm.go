package nn

import (
	"fmt"

	"github.com/selfsup/selfsup/tensor"
)

// valueOf returns v's value made contiguous, or nil for a nil Var (an absent weight).
func valueOf(v *Var) *tensor.Tensor {
	if v == nil {
		return nil
	}
	return v.Value.Contiguous()
}

// keepTemps hands the op's temporaries read by its backward closure (contiguous copies
// of the inputs, saved statistics) to keepTemp: vs[i] is the Var ts[i] was made from,
// nil for a fresh tensor.
func (tp *Tape) keepTemps(recorded bool, ts []*tensor.Tensor, vs []*Var) {
	for i, t := range ts {
		var orig *tensor.Tensor
		if vs[i] != nil {
			orig = vs[i].Value
		}
		tp.keepTemp(t, orig, recorded)
	}
}

// checkVec panics unless v is nil or a vector of n elements.
func checkVec(op, what string, v *Var, n int, x []int) {
	if v != nil && (v.Value.Rank() != 1 || v.Value.Dim(0) != n) {
		panic(fmt.Sprintf("nn: %s: input %v, %s %v: want [%d]", op, x, what, v.Shape(), n))
	}
}

// newIf returns a fresh tensor of shape when v wants a gradient, else nil.
func newIf(v *Var, dev tensor.Device, shape ...int) *tensor.Tensor {
	if !wantsGrad(v) {
		return nil
	}
	return tensor.New(dev, shape...)
}

// LayerNorm normalises x over its last axis (biased variance, eps inside the square
// root) and applies the affine w, b (torch.nn.functional.layer_norm): x: [..., D],
// w, b: [D] or nil → [..., D].
func (tp *Tape) LayerNorm(x, w, b *Var, eps float32) *Var {
	xs := x.Shape()
	if len(xs) < 1 {
		panic(fmt.Sprintf("nn: LayerNorm: input %v: want rank ≥ 1", xs))
	}
	d := xs[len(xs)-1]
	checkVec("LayerNorm", "weight", w, d, xs)
	checkVec("LayerNorm", "bias", b, d, xs)
	x2 := x.Value.Contiguous().Reshape(-1, d)
	wv, bv := valueOf(w), valueOf(b)
	dev := x2.Device()
	rows := x2.Dim(0)
	y := tensor.New(dev, xs...)
	mean, rstd := tensor.New(dev, rows), tensor.New(dev, rows)
	dev.LayerNorm(y.Reshape(rows, d), mean, rstd, x2, wv, bv, eps)
	out := tp.result(y, x, w, b)
	tp.keepTemps(tp.needsGrad(x, w, b), []*tensor.Tensor{x2, wv, bv, mean, rstd}, []*Var{x, w, b, nil, nil})
	if tp.needsGrad(x, w, b) {
		tp.record(func() {
			dy := out.Grad
			if dy == nil {
				return
			}
			dx := tensor.New(dev, xs...)
			dw, db := newIf(w, dev, d), newIf(b, dev, d)
			dev.LayerNormBackward(dx.Reshape(rows, d), dw, db, dy.Reshape(rows, d), x2, wv, mean, rstd)
			accumulate(x, dx)
			accumulate(w, dw)
			accumulate(b, db)
		})
	}
	return out
}

// spatialSize returns N, C and the product S of the spatial axes of x: [N, C, *s].
func spatialSize(op string, xs []int) (n, c, s int) {
	if len(xs) < 2 {
		panic(fmt.Sprintf("nn: %s: input %v: want [N, C, *spatial]", op, xs))
	}
	s = 1
	for _, d := range xs[2:] {
		s *= d
	}
	return xs[0], xs[1], s
}

// BatchNorm normalises x per channel (torch.nn.functional.batch_norm): x: [N, C, *s],
// w, b: [C] or nil → [N, C, *s]. In train mode it uses the batch statistics (biased
// variance) and, when runningMean/runningVar are non-nil ([C], contiguous), updates
// them in place: r = (1−momentum)·r + momentum·stat, with the unbiased batch variance
// for runningVar. In eval mode the running statistics are constants; with nil running
// statistics the batch statistics are used in both modes (track_running_stats=False).
func (tp *Tape) BatchNorm(x, w, b *Var, runningMean, runningVar *tensor.Tensor, momentum, eps float32, train bool) *Var {
	return tp.batchNorm(x, w, b, runningMean, runningVar, momentum, eps, train, nil, 0, 0)
}

// BatchNormAct is act(BatchNorm(x, …)) for act ReLU, LeakyReLU or ELU (alpha its
// parameter, as in [Tape.Unary]): on devices with [tensor.BatchNormActer] fusing act,
// one op whose kernels apply the activation (and its derivative) inside the
// normalisation's passes; elsewhere the two ops.
func (tp *Tape) BatchNormAct(x, w, b *Var, runningMean, runningVar *tensor.Tensor, momentum, eps float32, train bool, act tensor.UnaryOp, alpha float32) *Var {
	if ba, ok := x.Value.Device().(tensor.BatchNormActer); ok && ba.BatchNormActOK(act) {
		return tp.batchNorm(x, w, b, runningMean, runningVar, momentum, eps, train, ba, act, alpha)
	}
	return tp.Unary(act, tp.BatchNorm(x, w, b, runningMean, runningVar, momentum, eps, train), alpha)
}

// batchNorm is BatchNorm, fused with act through ba when ba is non-nil.
func (tp *Tape) batchNorm(x, w, b *Var, runningMean, runningVar *tensor.Tensor, momentum, eps float32, train bool,
	ba tensor.BatchNormActer, act tensor.UnaryOp, alpha float32) *Var {
	xs := x.Shape()
	n, c, s := spatialSize("BatchNorm", xs)
	checkVec("BatchNorm", "weight", w, c, xs)
	checkVec("BatchNorm", "bias", b, c, xs)
	for _, r := range []*tensor.Tensor{runningMean, runningVar} {
		if r != nil && (r.Rank() != 1 || r.Dim(0) != c) {
			panic(fmt.Sprintf("nn: BatchNorm: input %v, running statistic %v: want [%d]", xs, r.Shape(), c))
		}
	}
	x3 := x.Value.Contiguous().Reshape(n, c, s)
	wv, bv := valueOf(w), valueOf(b)
	dev := x3.Device()
	batchStats := train || runningMean == nil || runningVar == nil
	var mean, variance *tensor.Tensor
	if batchStats {
		if m := n * s; m <= 1 {
			panic(fmt.Sprintf("nn: BatchNorm: input %v: expected more than 1 value per channel when training", xs))
		}
		mean, variance = tensor.New(dev, c), tensor.New(dev, c)
	} else {
		mean, variance = runningMean, runningVar
	}
	y := tensor.New(dev, xs...)
	if ba != nil {
		ba.BatchNormAct(y.Reshape(n, c, s), mean, variance, x3, wv, bv, eps, batchStats, act, alpha)
	} else {
		dev.BatchNorm(y.Reshape(n, c, s), mean, variance, x3, wv, bv, eps, batchStats)
	}
	if train {
		m := float32(n * s)
		updateRunning(runningMean, mean, momentum, 1)
		updateRunning(runningVar, variance, momentum, m/(m-1))
	}
	out := tp.result(y, x, w, b)
	tp.keepTemps(tp.needsGrad(x, w, b), []*tensor.Tensor{x3, wv, bv}, []*Var{x, w, b})
	if batchStats {
		tp.keepTemps(tp.needsGrad(x, w, b), []*tensor.Tensor{mean, variance}, []*Var{nil, nil})
	}
	if tp.needsGrad(x, w, b) {
		tp.record(func() {
			dy := out.Grad
			if dy == nil {
				return
			}
			dx := tensor.New(dev, xs...)
			dw, db := newIf(w, dev, c), newIf(b, dev, c)
			if ba != nil {
				ba.BatchNormActBackward(dx.Reshape(n, c, s), dw, db, dy.Reshape(n, c, s), x3, wv, bv, mean, variance, eps, batchStats, act, alpha)
			} else {
				dev.BatchNormBackward(dx.Reshape(n, c, s), dw, db, dy.Reshape(n, c, s), x3, wv, mean, variance, eps, batchStats)
			}
			accumulate(x, dx)
			accumulate(w, dw)
			accumulate(b, db)
		})
	}
	return out
}

// updateRunning sets r = (1−momentum)·r + momentum·corr·stat in place (r nil: no-op).
func updateRunning(r, stat *tensor.Tensor, momentum, corr float32) {
	if r == nil {
		return
	}
	dev := r.Device()
	t := tensor.New(dev, stat.Shape()...)
	dev.Affine(t, stat, momentum*corr, 0)
	dev.Affine(r, r, 1-momentum, 0)
	dev.Binary(tensor.Add, r, r, t)
	dev.Free(t.Buffer())
}

// GroupNorm normalises x over each group of C/groups channels and all spatial
// positions, then applies the per-channel affine w, b (torch.nn.functional.group_norm):
// x: [N, C, *s], w, b: [C] or nil → [N, C, *s].
func (tp *Tape) GroupNorm(x, w, b *Var, groups int, eps float32) *Var {
	xs := x.Shape()
	n, c, s := spatialSize("GroupNorm", xs)
	if groups < 1 || c%groups != 0 {
		panic(fmt.Sprintf("nn: GroupNorm: input %v: %d channels not divisible into %d groups", xs, c, groups))
	}
	checkVec("GroupNorm", "weight", w, c, xs)
	checkVec("GroupNorm", "bias", b, c, xs)
	rows, cols := n*groups, c/groups*s
	xg := x.Value.Contiguous().Reshape(rows, cols)
	wv, bv := valueOf(w), valueOf(b)
	dev := xg.Device()
	norm := tensor.New(dev, xs...)
	mean, rstd := tensor.New(dev, rows), tensor.New(dev, rows)
	dev.LayerNorm(norm.Reshape(rows, cols), mean, rstd, xg, nil, nil, eps)
	n3 := norm.Reshape(n, c, s)
	y := norm
	var wb *tensor.Tensor // w broadcast to [N, C, S]
	if wv != nil || bv != nil {
		y = tensor.New(dev, xs...)
		y3 := y.Reshape(n, c, s)
		if wv != nil {
			wb = wv.Reshape(1, c, 1).Expand(n, c, s)
			dev.Binary(tensor.Mul, y3, n3, wb)
		} else {
			dev.CopyStrided(y3, n3)
		}
		if bv != nil {
			dev.Binary(tensor.Add, y3, y3, bv.Reshape(1, c, 1).Expand(n, c, s))
		}
	}
	out := tp.result(y, x, w, b)
	tp.keepTemps(tp.needsGrad(x, w, b), []*tensor.Tensor{xg, wv, bv, mean, rstd}, []*Var{x, w, b, nil, nil})
	if y != norm {
		tp.keepTemp(norm, nil, tp.needsGrad(x, w, b))
	}
	if tp.needsGrad(x, w, b) {
		tp.record(func() {
			dy := out.Grad
			if dy == nil {
				return
			}
			dy3 := dy.Reshape(n, c, s)
			var gw, gb, gx *tensor.Tensor
			if wantsGrad(b) {
				gb = reduceTo(dev, dy3, []int{1, c, 1}).Reshape(c)
			}
			if wantsGrad(w) {
				t := tensor.New(dev, n, c, s)
				dev.Binary(tensor.Mul, t, dy3, n3)
				gw = reduceOwned(dev, t, []int{1, c, 1}).Reshape(c)
			}
			if wantsGrad(x) {
				dn := dy3
				if wb != nil {
					dn = tensor.New(dev, n, c, s)
					dev.Binary(tensor.Mul, dn, dy3, wb)
				}
				gx = tensor.New(dev, xs...)
				dev.LayerNormBackward(gx.Reshape(rows, cols), nil, nil, dn.Reshape(rows, cols), xg, nil, mean, rstd)
				freeCopy(dn, dy)
			}
			accumulate(x, gx)
			accumulate(w, gw)
			if gb != nil {
				accumulateFrom(b, gb, dy)
			}
		})
	}
	return out
}

// InstanceNorm normalises each channel of each sample over its spatial positions and
// applies the per-channel affine w, b (GroupNorm with groups = C): x: [N, C, *s],
// w, b: [C] or nil → [N, C, *s].
func (tp *Tape) InstanceNorm(x, w, b *Var, eps float32) *Var {
	_, c, _ := spatialSize("InstanceNorm", x.Shape())
	return tp.GroupNorm(x, w, b, c, eps)
}
