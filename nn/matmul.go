package nn

import (
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/tensor"
)

// matDims returns (M, K) of op(a) and (K, N) of op(b) and panics on a mismatch.
func matDims(a, b []int, transA, transB bool) (m, k, n int) {
	if len(a) < 2 || len(b) < 2 {
		panic(fmt.Sprintf("nn: MatMul: shapes %v and %v: operands need rank ≥ 2", a, b))
	}
	m, k = a[len(a)-2], a[len(a)-1]
	if transA {
		m, k = k, m
	}
	kb, n := b[len(b)-2], b[len(b)-1]
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		panic(fmt.Sprintf("nn: MatMul: shapes %v and %v (transA=%v transB=%v): inner dims %d≠%d", a, b, transA, transB, k, kb))
	}
	return m, k, n
}

// expandBatch returns t (contiguous in its last axis) expanded to batch + its last two
// axes.
func expandBatch(t *tensor.Tensor, batch []int) *tensor.Tensor {
	r := t.Rank()
	return t.Expand(append(slices.Clone(batch), t.Dim(r-2), t.Dim(r-1))...)
}

// lastStride1 returns t, or a contiguous copy when its last axis is not dense (the
// MatMul kernel needs stride 1 there).
func lastStride1(t *tensor.Tensor) *tensor.Tensor {
	r := t.Rank()
	if t.Dim(r-1) > 1 && t.Strides()[r-1] != 1 {
		return t.Contiguous()
	}
	return t
}

// MatMul returns op(a)·op(b), op transposing the last two axes when its flag is set:
// a: [..., M, K] ([..., K, M] if transA), b: [..., K, N] ([..., N, K] if transB) →
// [..., M, N]. Batch axes broadcast (NumPy rules, the lower rank padded with 1s).
func (tp *Tape) MatMul(a, b *Var, transA, transB bool) *Var {
	as, bs := a.Shape(), b.Shape()
	m, _, n := matDims(as, bs, transA, transB)
	batch := broadcastShape("MatMul", as[:len(as)-2], bs[:len(bs)-2])
	av, bv := lastStride1(a.Value), lastStride1(b.Value)
	dev := av.Device()
	outShape := append(slices.Clone(batch), m, n)
	y := tensor.New(dev, outShape...)
	// flat: a's batch folds into its rows (b is one shared matrix, a is dense).
	flat := len(bs) == 2 && !transA && len(as) > 2 && av.IsContiguous()
	var a2 *tensor.Tensor
	if flat {
		a2 = av.Reshape(-1, as[len(as)-1])
		dev.MatMul(y.Reshape(-1, n), a2, bv, false, transB, 1, 0)
	} else {
		dev.MatMul(y, expandBatch(av, batch), expandBatch(bv, batch), transA, transB, 1, 0)
	}
	out := tp.result(y, a, b)
	tp.keepTemp(av, a.Value, tp.needsGrad(a, b))
	tp.keepTemp(bv, b.Value, tp.needsGrad(a, b))
	if !tp.needsGrad(a, b) {
		return out
	}
	tp.record(func() {
		dy := out.Grad
		if dy == nil {
			return
		}
		var ga, gb *tensor.Tensor
		if flat {
			dy2 := dy.Reshape(-1, n)
			if wantsGrad(a) {
				// dA = dY·op(b)ᵀ.
				ga = tensor.New(dev, as...)
				dev.MatMul(ga.Reshape(-1, as[len(as)-1]), dy2, bv, false, !transB, 1, 0)
			}
			if wantsGrad(b) {
				// dB = aᵀ·dY (or dYᵀ·a when transB), over all rows at once.
				gb = tensor.New(dev, bs...)
				if transB {
					dev.MatMul(gb, dy2, a2, true, false, 1, 0)
				} else {
					dev.MatMul(gb, a2, dy2, true, false, 1, 0)
				}
			}
		} else {
			ae, be := expandBatch(av, batch), expandBatch(bv, batch)
			if wantsGrad(a) {
				full := tensor.New(dev, append(slices.Clone(batch), as[len(as)-2], as[len(as)-1])...)
				if transA {
					dev.MatMul(full, be, dy, transB, true, 1, 0) // op(b)·dYᵀ
				} else {
					dev.MatMul(full, dy, be, false, !transB, 1, 0) // dY·op(b)ᵀ
				}
				ga = reduceOwned(dev, full, as)
			}
			if wantsGrad(b) {
				full := tensor.New(dev, append(slices.Clone(batch), bs[len(bs)-2], bs[len(bs)-1])...)
				if transB {
					dev.MatMul(full, dy, ae, true, transA, 1, 0) // dYᵀ·op(a)
				} else {
					dev.MatMul(full, ae, dy, !transA, false, 1, 0) // op(a)ᵀ·dY
				}
				gb = reduceOwned(dev, full, bs)
			}
		}
		if ga != nil {
			accumulate(a, ga)
		}
		if gb != nil {
			accumulate(b, gb)
		}
	})
	return out
}

// Linear returns x·wᵀ + b (torch.nn.functional.linear): x: [..., in], w: [out, in],
// b: [out] or nil → [..., out].
func (tp *Tape) Linear(x, w, b *Var) *Var {
	xs, ws := x.Shape(), w.Shape()
	if len(xs) < 1 || len(ws) != 2 || xs[len(xs)-1] != ws[1] {
		panic(fmt.Sprintf("nn: Linear: input %v, weight %v: want [..., in] and [out, in]", xs, ws))
	}
	in, nout := ws[1], ws[0]
	if b != nil && (b.Value.Rank() != 1 || b.Value.Dim(0) != nout) {
		panic(fmt.Sprintf("nn: Linear: weight %v, bias %v: want bias [%d]", ws, b.Shape(), nout))
	}
	x2 := x.Value.Contiguous().Reshape(-1, in)
	wv := w.Value.Contiguous()
	dev := x2.Device()
	rows := x2.Dim(0)
	y2 := tensor.New(dev, rows, nout)
	beta := float32(0)
	if b != nil {
		dev.CopyStrided(y2, b.Value.Expand(rows, nout))
		beta = 1
	}
	dev.MatMul(y2, x2, wv, false, true, 1, beta)
	outShape := append(slices.Clone(xs[:len(xs)-1]), nout)
	out := tp.result(y2.Reshape(outShape...), x, w, b)
	tp.keepTemp(x2, x.Value, tp.needsGrad(x, w, b))
	tp.keepTemp(wv, w.Value, tp.needsGrad(x, w, b))
	if !tp.needsGrad(x, w, b) {
		return out
	}
	tp.record(func() {
		dy := out.Grad
		if dy == nil {
			return
		}
		dy2 := dy.Reshape(rows, nout)
		var gx, gw, gb *tensor.Tensor
		if wantsGrad(x) {
			gx = tensor.New(dev, xs...)
			dev.MatMul(gx.Reshape(rows, in), dy2, wv, false, false, 1, 0) // dY·W
		}
		if wantsGrad(w) {
			gw = tensor.New(dev, nout, in)
			dev.MatMul(gw, dy2, x2, true, false, 1, 0) // dYᵀ·X
		}
		if wantsGrad(b) {
			gb = reduceTo(dev, dy2, []int{nout})
		}
		accumulate(x, gx)
		accumulate(w, gw)
		if gb != nil {
			accumulateFrom(b, gb, dy)
		}
	})
	return out
}
