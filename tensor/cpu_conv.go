package tensor

import (
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/internal/parallel"
)

// geom3 is a [ConvGeom] padded to three spatial axes (D, H, W) by leading size-1 axes
// (In 1, Kernel 1, Stride 1, Pad 0, Dilation 1, Out 1), so every window kernel is one
// 3-D loop nest.
type geom3 struct {
	in, k, s, p, d, out [3]int
}

func toGeom3(g ConvGeom) geom3 {
	q := geom3{in: [3]int{1, 1, 1}, k: [3]int{1, 1, 1}, s: [3]int{1, 1, 1}, d: [3]int{1, 1, 1}, out: [3]int{1, 1, 1}}
	off := 3 - len(g.In)
	for i := range g.In {
		q.in[off+i], q.k[off+i], q.s[off+i] = g.In[i], g.Kernel[i], g.Stride[i]
		q.p[off+i], q.d[off+i], q.out[off+i] = g.Pad[i], g.Dilation[i], g.Out[i]
	}
	return q
}

// kernelSize returns ∏k.
func (q *geom3) kernelSize() int { return q.k[0] * q.k[1] * q.k[2] }

// tapOffset returns the input offset of tap k on axis a relative to out·stride:
// in = out·s + tapOffset.
func (q *geom3) tapOffset(a, k int) int { return k*q.d[a] - q.p[a] }

// validRange returns the outputs o in [lo, hi) of axis a whose tap k lands inside the
// input (0 ≤ o·s + off < in); hi ≤ lo means none.
func (q *geom3) validRange(a, k int) (lo, hi int) {
	off, s := q.tapOffset(a, k), q.s[a]
	lo = 0
	if off < 0 {
		lo = min((-off+s-1)/s, q.out[a])
	}
	hi = 0
	if last := q.in[a] - 1 - off; last >= 0 {
		hi = min(last/s+1, q.out[a])
	}
	return lo, max(lo, hi)
}

// outOf returns the output position o of axis a whose tap k reads input i, or -1.
func (q *geom3) outOf(a, k, i int) int {
	t := i - q.tapOffset(a, k)
	if t < 0 || t%q.s[a] != 0 {
		return -1
	}
	if o := t / q.s[a]; o < q.out[a] {
		return o
	}
	return -1
}

// rowGrain returns the number of rows of rowCost elements each that make a parallel
// chunk of about target elements (at least one row).
func rowGrain(target, rowCost int) int { return max(1, target/max(1, rowCost)) }

// checkWindowGeom panics unless g is a well-formed geometry with 1–3 axes.
func checkWindowGeom(op string, g ConvGeom) {
	n := len(g.In)
	if n < 1 || n > 3 || len(g.Kernel) != n || len(g.Stride) != n || len(g.Pad) != n ||
		len(g.Dilation) != n || len(g.Out) != n {
		panic(fmt.Sprintf("tensor: %s: malformed ConvGeom %+v (build it with NewConvGeom)", op, g))
	}
}

// checkNCS panics unless t has shape [N, C, *spatial] for the given N and C (or any N
// and C when n < 0) and returns N and C.
func checkNCS(op, name string, t *Tensor, n, c int, spatial []int) (int, int) {
	s := t.Shape()
	ok := len(s) == 2+len(spatial) && slices.Equal(s[2:], spatial) && (n < 0 || (s[0] == n && s[1] == c))
	if !ok {
		want := "[N C"
		if n >= 0 {
			want = fmt.Sprintf("[%d %d", n, c)
		}
		for _, d := range spatial {
			want += fmt.Sprintf(" %d", d)
		}
		panic(fmt.Sprintf("tensor: %s: %s %v, want %s]", op, name, s, want))
	}
	return s[0], s[1]
}

// checkShape panics unless t has exactly shape want.
func checkShape(op, name string, t *Tensor, want []int) {
	if !slices.Equal(t.Shape(), want) {
		panic(fmt.Sprintf("tensor: %s: %s %v, want %v", op, name, t.Shape(), want))
	}
}

// Im2Col unfolds x: [N, C, *g.In] into col: [N, C·∏g.Kernel, ∏g.Out]; see
// [Device.Im2Col]. Row (c, kd, kh, kw), column o holds x at o·stride − pad + k·dilation,
// zero outside the input. Parallel over the (n, c, tap) rows of col.
func (CPU) Im2Col(col, x *Tensor, g ConvGeom) {
	checkWindowGeom("Im2Col", g)
	n, c := checkNCS("Im2Col", "x", x, -1, 0, g.In)
	q := toGeom3(g)
	k, o, in := q.kernelSize(), g.OutSize(), g.InSize()
	checkShape("Im2Col", "col", col, []int{n, c * k, o})
	xd, cd := data("Im2Col", x), data("Im2Col", col)
	parallel.For(n*c*k, rowGrain(1<<14, o), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			plane, tap := r/k, r%k
			kd, kh, kw := tap/(q.k[1]*q.k[2]), tap/q.k[2]%q.k[1], tap%q.k[2]
			im2colRow(cd[r*o:(r+1)*o], xd[plane*in:(plane+1)*in], &q, kd, kh, kw)
		}
	})
}

// im2colRow fills dst: [∏Out] with the input plane src: [∏In] seen through tap
// (kd, kh, kw).
func im2colRow(dst, src []float32, q *geom3, kd, kh, kw int) {
	oh, ow := q.out[1], q.out[2]
	hIn, wIn := q.in[1], q.in[2]
	dLo, dHi := q.validRange(0, kd)
	hLo, hHi := q.validRange(1, kh)
	wLo, wHi := q.validRange(2, kw)
	offD, offH, offW := q.tapOffset(0, kd), q.tapOffset(1, kh), q.tapOffset(2, kw)
	sd, sh, sw := q.s[0], q.s[1], q.s[2]
	plane := oh * ow
	clear(dst[:dLo*plane])
	clear(dst[dHi*plane:])
	for od := dLo; od < dHi; od++ {
		id := od*sd + offD
		dp := dst[od*plane : (od+1)*plane]
		clear(dp[:hLo*ow])
		clear(dp[hHi*ow:])
		for y := hLo; y < hHi; y++ {
			ih := y*sh + offH
			row := dp[y*ow : (y+1)*ow]
			in := src[(id*hIn+ih)*wIn : (id*hIn+ih+1)*wIn]
			clear(row[:wLo])
			clear(row[wHi:])
			if wLo >= wHi {
				continue
			}
			if sw == 1 {
				copy(row[wLo:wHi], in[wLo+offW:wHi+offW])
				continue
			}
			iw := wLo*sw + offW
			for x := wLo; x < wHi; x++ {
				row[x] = in[iw]
				iw += sw
			}
		}
	}
}

// Col2Im folds col: [N, C·∏g.Kernel, ∏g.Out] back into x: [N, C, *g.In], accumulating
// (x += fold(col)), the adjoint of [CPU.Im2Col]; see [Device.Col2Im]. Each input row
// gathers from the taps that read it, so the work runs in parallel over the (n, c, d, h)
// input rows without write conflicts.
func (CPU) Col2Im(x, col *Tensor, g ConvGeom) {
	checkWindowGeom("Col2Im", g)
	n, c := checkNCS("Col2Im", "x", x, -1, 0, g.In)
	q := toGeom3(g)
	k, o := q.kernelSize(), g.OutSize()
	checkShape("Col2Im", "col", col, []int{n, c * k, o})
	xd, cd := data("Col2Im", x), data("Col2Im", col)
	dIn, hIn, wIn := q.in[0], q.in[1], q.in[2]
	ow, sw := q.out[2], q.s[2]
	var wLo, wHi [32]int // valid output range of each kw; wider kernels recompute
	for kw := range min(q.k[2], 32) {
		wLo[kw], wHi[kw] = q.validRange(2, kw)
	}
	parallel.For(n*c*dIn*hIn, rowGrain(1<<13, wIn*k), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			plane, rr := r/(dIn*hIn), r%(dIn*hIn)
			id, ih := rr/hIn, rr%hIn
			xrow := xd[r*wIn : (r+1)*wIn]
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
					tap0 := (kd*q.k[1] + kh) * q.k[2]
					colOff := (od*q.out[1] + oh) * ow
					for kw := range q.k[2] {
						lo, hi := windowRange(&q, &wLo, &wHi, kw)
						if lo >= hi {
							continue
						}
						base := (plane*k + tap0 + kw) * o
						crow := cd[base+colOff+lo : base+colOff+hi]
						iw := lo*sw + q.tapOffset(2, kw)
						if sw == 1 {
							dst := xrow[iw : iw+len(crow)]
							for j, v := range crow {
								dst[j] += v
							}
							continue
						}
						for _, v := range crow {
							xrow[iw] += v
							iw += sw
						}
					}
				}
			}
		}
	})
}
