package tensor

import (
	"math"

	"github.com/selfsup/selfsup/internal/parallel"
)

// MaxPool computes dst: [N, C, *g.Out] = the maximum of x: [N, C, *g.In] over each
// window and argmax: [N, C, *g.Out] = the flat position of that maximum within its
// [*g.In] plane; see [Device.MaxPool]. Padding never wins; the first maximum in
// (kd, kh, kw) scan order wins ties and a NaN wins over numbers, as in PyTorch. A
// window wholly in the padding (impossible in PyTorch, which needs pad ≤ kernel/2)
// gives −∞ with argmax −1. Parallel over the (n, c, od, oh) output rows.
func (CPU) MaxPool(dst, argmax, x *Tensor, g ConvGeom) {
	checkWindowGeom("MaxPool", g)
	n, c := checkNCS("MaxPool", "x", x, -1, 0, g.In)
	checkNCS("MaxPool", "dst", dst, n, c, g.Out)
	checkNCS("MaxPool", "argmax", argmax, n, c, g.Out)
	xd, dd, ad := data("MaxPool", x), data("MaxPool", dst), data("MaxPool", argmax)
	q := toGeom3(g)
	in := g.InSize()
	oRows, ow := q.out[0]*q.out[1], q.out[2]
	hIn, wIn := q.in[1], q.in[2]
	var wLo, wHi [32]int
	for kw := range min(q.k[2], 32) {
		wLo[kw], wHi[kw] = q.validRange(2, kw)
	}
	// Row by row: the taps of each output row are visited in (kd, kh, kw) order, so
	// every output element still sees its window in PyTorch's scan order.
	parallel.For(n*c*oRows, rowGrain(1<<12, ow*q.kernelSize()), func(lo, hi int) {
		at := make([]int32, ow)
		for r := lo; r < hi; r++ {
			plane, rr := r/oRows, r%oRows
			od, oh := rr/q.out[1], rr%q.out[1]
			src := xd[plane*in : (plane+1)*in]
			best, arow := dd[r*ow:(r+1)*ow], ad[r*ow:(r+1)*ow]
			for x := range best {
				best[x], at[x] = float32(math.Inf(-1)), -1
			}
			for kd := range q.k[0] {
				id := od*q.s[0] + q.tapOffset(0, kd)
				if id < 0 || id >= q.in[0] {
					continue
				}
				for kh := range q.k[1] {
					ih := oh*q.s[1] + q.tapOffset(1, kh)
					if ih < 0 || ih >= hIn {
						continue
					}
					base := (id*hIn + ih) * wIn
					irow := src[base : base+wIn]
					for kw := range q.k[2] {
						lo, hi := windowRange(&q, &wLo, &wHi, kw)
						iw := lo*q.s[2] + q.tapOffset(2, kw)
						for x := lo; x < hi; x++ {
							if v := irow[iw]; at[x] < 0 || v > best[x] || v != v {
								best[x], at[x] = v, int32(base+iw)
							}
							iw += q.s[2]
						}
					}
				}
			}
			for x, a := range at {
				arow[x] = float32(a)
			}
		}
	})
}

// MaxPoolBackward computes dx: [N, C, *g.In] = Σ dy: [N, C, *g.Out] routed to each
// argmax position (overwriting dx); see [Device.MaxPoolBackward]. Parallel over planes.
func (CPU) MaxPoolBackward(dx, dy, argmax *Tensor, g ConvGeom) {
	checkWindowGeom("MaxPoolBackward", g)
	n, c := checkNCS("MaxPoolBackward", "dx", dx, -1, 0, g.In)
	checkNCS("MaxPoolBackward", "dy", dy, n, c, g.Out)
	checkNCS("MaxPoolBackward", "argmax", argmax, n, c, g.Out)
	xd, yd, ad := data("MaxPoolBackward", dx), data("MaxPoolBackward", dy), data("MaxPoolBackward", argmax)
	in, out := g.InSize(), g.OutSize()
	parallel.For(n*c, rowGrain(1<<14, in+out), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			gx := xd[p*in : (p+1)*in]
			clear(gx)
			arg := ad[p*out : (p+1)*out]
			for j, v := range yd[p*out : (p+1)*out] {
				if a := int(arg[j]); a >= 0 { // -1: a window wholly in the padding
					gx[a] += v
				}
			}
		}
	})
}

// AvgPool computes dst: [N, C, *g.Out] = the sum of x: [N, C, *g.In] over each window
// divided by ∏g.Kernel (zero padding counts: PyTorch's count_include_pad=True); see
// [Device.AvgPool]. g.Dilation is honoured. Parallel over the output rows.
func (CPU) AvgPool(dst, x *Tensor, g ConvGeom) {
	checkWindowGeom("AvgPool", g)
	n, c := checkNCS("AvgPool", "x", x, -1, 0, g.In)
	checkNCS("AvgPool", "dst", dst, n, c, g.Out)
	xd, dd := data("AvgPool", x), data("AvgPool", dst)
	q := toGeom3(g)
	in, div := g.InSize(), float32(q.kernelSize())
	oRows, ow := q.out[0]*q.out[1], q.out[2]
	hIn, wIn := q.in[1], q.in[2]
	var wLo, wHi [32]int
	for kw := range min(q.k[2], 32) {
		wLo[kw], wHi[kw] = q.validRange(2, kw)
	}
	parallel.For(n*c*oRows, rowGrain(1<<12, ow*q.kernelSize()), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			plane, rr := r/oRows, r%oRows
			od, oh := rr/q.out[1], rr%q.out[1]
			src := xd[plane*in : (plane+1)*in]
			drow := dd[r*ow : (r+1)*ow]
			clear(drow)
			for kd := range q.k[0] {
				id := od*q.s[0] + q.tapOffset(0, kd)
				if id < 0 || id >= q.in[0] {
					continue
				}
				for kh := range q.k[1] {
					ih := oh*q.s[1] + q.tapOffset(1, kh)
					if ih < 0 || ih >= hIn {
						continue
					}
					irow := src[(id*hIn+ih)*wIn : (id*hIn+ih+1)*wIn]
					for kw := range q.k[2] {
						lo, hi := windowRange(&q, &wLo, &wHi, kw)
						iw := lo*q.s[2] + q.tapOffset(2, kw)
						for x := lo; x < hi; x++ {
							drow[x] += irow[iw]
							iw += q.s[2]
						}
					}
				}
			}
			for x := range drow {
				drow[x] /= div
			}
		}
	})
}

// windowRange returns the valid output range of W-axis tap kw from the cached tables.
func windowRange(q *geom3, lo, hi *[32]int, kw int) (int, int) {
	if kw < 32 {
		return lo[kw], hi[kw]
	}
	return q.validRange(2, kw)
}

// AvgPoolBackward computes dx: [N, C, *g.In] (overwritten) from dy: [N, C, *g.Out], the
// adjoint of [CPU.AvgPool]; see [Device.AvgPoolBackward]. Each input row gathers from
// the windows that cover it, in parallel over the (n, c, d, h) input rows.
func (CPU) AvgPoolBackward(dx, dy *Tensor, g ConvGeom) {
	checkWindowGeom("AvgPoolBackward", g)
	n, c := checkNCS("AvgPoolBackward", "dx", dx, -1, 0, g.In)
	checkNCS("AvgPoolBackward", "dy", dy, n, c, g.Out)
	xd, yd := data("AvgPoolBackward", dx), data("AvgPoolBackward", dy)
	q := toGeom3(g)
	out, div := g.OutSize(), float32(q.kernelSize())
	dIn, hIn, wIn := q.in[0], q.in[1], q.in[2]
	ow := q.out[2]
	var wLo, wHi [32]int
	for kw := range min(q.k[2], 32) {
		wLo[kw], wHi[kw] = q.validRange(2, kw)
	}
	parallel.For(n*c*dIn*hIn, rowGrain(1<<12, wIn*q.kernelSize()), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			plane, rr := r/(dIn*hIn), r%(dIn*hIn)
			id, ih := rr/hIn, rr%hIn
			xrow := xd[r*wIn : (r+1)*wIn]
			clear(xrow)
			gy := yd[plane*out : (plane+1)*out]
			for kd := range q.k[0] {
				od := q.outOf(0, kd, id)
				if od < 0 {
					continue
				}
				for kh := range q.k[1] {
					oh := q.outOf(1, kh, ih)
					if oh < 0 {
						continue
					}
					yrow := gy[(od*q.out[1]+oh)*ow : (od*q.out[1]+oh+1)*ow]
					for kw := range q.k[2] {
						lo, hi := windowRange(&q, &wLo, &wHi, kw)
						iw := lo*q.s[2] + q.tapOffset(2, kw)
						for x := lo; x < hi; x++ {
							xrow[iw] += yrow[x] / div
							iw += q.s[2]
						}
					}
				}
			}
		}
	})
}
