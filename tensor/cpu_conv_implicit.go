package tensor

import (
	"fmt"

	"github.com/selfsup/selfsup/internal/gemm"
	"github.com/selfsup/selfsup/internal/parallel"
)

// ImplicitConver is an optional Device capability (the CPU has it): convolution as an
// "implicit GEMM" whose im2col columns are never stored; the GEMM's packing routines
// gather them from the image as they are needed. Shapes use G = groups, x: [N, Cin,
// *g.In], w: [Cout, Cin/G, *g.Kernel], y: [N, Cout, *g.Out]; every tensor must be
// contiguous (non-contiguous ones panic). Columns are those of [Device.Im2Col].
type ImplicitConver interface {
	// ConvForward sets y = conv(x, w) (cross-correlation, no bias): per sample and
	// group, y[Cout/G, ∏Out] = w[Cout/G, (Cin/G)·∏K]·cols(x)[(Cin/G)·∏K, ∏Out].
	ConvForward(y, x, w *Tensor, g ConvGeom, groups int)
	// ConvFilterGrad sets dw: [Cout, Cin/G, *K] = beta·dw + Σ_n dy_n·cols(x_n)ᵀ per
	// group, for dy: [N, Cout, *g.Out].
	ConvFilterGrad(dw, x, dy *Tensor, g ConvGeom, groups int, beta float32)
	// ConvInputGrad sets dx: [N, Cin, *g.In] to the input gradient of y = conv(x, w)
	// for dy: [N, Cout, *g.Out], as a forward convolution of dy with the spatially
	// flipped weight (Cin and Cout/G exchanged per group) and padding
	// Dilation·(Kernel−1) − Pad. It needs stride 1 and Pad ≤ Dilation·(Kernel−1) on
	// every axis (see [ConvInputGradOK]).
	ConvInputGrad(dx, dy, w *Tensor, g ConvGeom, groups int)
}

// ConvBiasForwarder is an optional capability of an [ImplicitConver] (a GPU has it):
// the forward convolution with a per-channel bias added in the same pass, saving a
// read and a write of the output.
type ConvBiasForwarder interface {
	// ConvForwardBias sets y = conv(x, w) + b for x: [N, Cin, *g.In], w: [Cout,
	// Cin/groups, *g.Kernel], b: [Cout] (added to every position of its channel) and
	// y: [N, Cout, *g.Out].
	ConvForwardBias(y, x, w, b *Tensor, g ConvGeom, groups int)
}

// ConvInputGradAdder is an optional capability of an [ImplicitConver] (the CPU has it):
// the input gradient added to dx instead of written to it, for an input whose gradient
// already holds other contributions (a residual connection) — no temporary and no
// separate add pass.
type ConvInputGradAdder interface {
	// ConvInputGradAdd sets dx += the input gradient of y = conv(x, w) for dy, under
	// the conditions of [ImplicitConver.ConvInputGrad].
	ConvInputGradAdd(dx, dy, w *Tensor, g ConvGeom, groups int)
}

// ConvInputGradOK reports whether [ImplicitConver.ConvInputGrad] supports g: stride 1
// and Pad ≤ Dilation·(Kernel−1) on every axis.
func ConvInputGradOK(g ConvGeom) bool {
	for i := range g.In {
		if g.Stride[i] != 1 || g.Pad[i] > g.Dilation[i]*(g.Kernel[i]-1) {
			return false
		}
	}
	return true
}

// convShapes checks x: [N, Cin, *g.In], w: [Cout, Cin/G, *g.Kernel] and a feature
// tensor f: [N, Cout, *g.Out] and returns N, Cin and Cout.
func convShapes(op string, x, w, f *Tensor, g ConvGeom, groups int) (n, cin, cout int) {
	checkWindowGeom(op, g)
	n, cin = checkNCS(op, "x", x, -1, 0, g.In)
	ws := w.Shape()
	if groups < 1 || len(ws) != 2+g.Dims() || cin%groups != 0 || ws[0]%groups != 0 || ws[1] != cin/groups {
		panic(fmt.Sprintf("tensor: %s: x %v, w %v, groups %d: want w [Cout, Cin/groups, *k]", op, x.Shape(), ws, groups))
	}
	checkNCS(op, "w", w, ws[0], ws[1], g.Kernel)
	cout = ws[0]
	checkNCS(op, "y", f, n, cout, g.Out)
	return n, cin, cout
}

// ConvForward sets y = conv(x, w); see [ImplicitConver.ConvForward].
func (CPU) ConvForward(y, x, w *Tensor, g ConvGeom, groups int) {
	n, cin, cout := convShapes("ConvForward", x, w, y, g, groups)
	convForwardData(data("ConvForward", y), data("ConvForward", x), data("ConvForward", w), nil, 0, g, groups, n, cin, cout)
}

var _ ConvBiasForwarder = CPU{}

// ConvForwardBias sets y = conv(x, w) + b, adding b: [Cout] to each piece of y right
// after its GEMM wrote it (while it is in cache); see [ConvBiasForwarder].
func (CPU) ConvForwardBias(y, x, w, b *Tensor, g ConvGeom, groups int) {
	n, cin, cout := convShapes("ConvForwardBias", x, w, y, g, groups)
	if b.Rank() != 1 || b.Dim(0) != cout || !b.IsContiguous() {
		panic(fmt.Sprintf("tensor: ConvForwardBias: b %v, want contiguous [%d]", b.Shape(), cout))
	}
	convForwardData(data("ConvForwardBias", y), data("ConvForwardBias", x), data("ConvForwardBias", w),
		data("ConvForwardBias", b), 0, g, groups, n, cin, cout)
}

// addBiasRows adds bd[c0 + r] to row r of the rows×l block of yd at start with row
// stride ld.
func addBiasRows(yd, bd []float32, start, ld, rows, l, c0 int) {
	for r := range rows {
		row := yd[start+r*ld:][:l]
		binaryVS(Add, row, row, bd[c0+r])
	}
}

// ConvInputGrad sets dx to the input gradient of conv(x, w); see
// [ImplicitConver.ConvInputGrad].
func (CPU) ConvInputGrad(dx, dy, w *Tensor, g ConvGeom, groups int) {
	convInputGrad("ConvInputGrad", dx, dy, w, g, groups, 0)
}

var _ ConvInputGradAdder = CPU{}

// ConvInputGradAdd adds the input gradient of conv(x, w) to dx (the GEMMs accumulate
// into it); see [ConvInputGradAdder].
func (CPU) ConvInputGradAdd(dx, dy, w *Tensor, g ConvGeom, groups int) {
	convInputGrad("ConvInputGradAdd", dx, dy, w, g, groups, 1)
}

// convInputGrad sets dx = beta·dx + the input gradient: the forward convolution of dy
// with the flipped weight.
func convInputGrad(op string, dx, dy, w *Tensor, g ConvGeom, groups int, beta float32) {
	n, cin, cout := convShapes(op, dx, w, dy, g, groups)
	if !ConvInputGradOK(g) {
		panic(fmt.Sprintf("tensor: %s: stride %v pad %v kernel %v dilation %v: need stride 1 and pad ≤ dilation·(kernel−1)", op, g.Stride, g.Pad, g.Kernel, g.Dilation))
	}
	pad := make([]int, g.Dims())
	for i := range pad {
		pad[i] = g.Dilation[i]*(g.Kernel[i]-1) - g.Pad[i]
	}
	gf := NewConvGeom(g.Out, g.Kernel, nil, pad, g.Dilation)
	// wf[gi·cinG + ci, co, flip(k)] = w[gi·cpg + co, ci, k]
	wd := data(op, w)
	cpg, cinG, ks := cout/groups, cin/groups, g.KernelSize()
	wf := make([]float32, len(wd))
	for gi := range groups {
		for co := range cpg {
			for ci := range cinG {
				src := wd[((gi*cpg+co)*cinG+ci)*ks:][:ks]
				dst := wf[((gi*cinG+ci)*cpg+co)*ks:][:ks]
				for k, v := range src {
					dst[ks-1-k] = v // flipping every axis reverses the flat tap order
				}
			}
		}
	}
	convForwardData(data(op, dx), data(op, dy), wf, nil, beta, gf, groups, n, cout, cin)
}

// ConvFilterGrad sets dw = beta·dw + Σ_n dy_n·cols(x_n)ᵀ; see
// [ImplicitConver.ConvFilterGrad].
func (CPU) ConvFilterGrad(dw, x, dy *Tensor, g ConvGeom, groups int, beta float32) {
	n, cin, cout := convShapes("ConvFilterGrad", x, dw, dy, g, groups)
	dwd, xd, dyd := data("ConvFilterGrad", dw), data("ConvFilterGrad", x), data("ConvFilterGrad", dy)
	cpg, cinG := cout/groups, cin/groups
	rows, o, in := cinG*g.KernelSize(), g.OutSize(), g.InSize()
	if n == 0 || o == 0 {
		gemmScale(dwd, beta)
		return
	}
	if winogradGradOK(g, groups, cin, cout) {
		convFilterGradWinograd(dwd, xd, dyd, beta, g, n, cin, cout)
		return
	}
	if dwDotOK(g, n, cpg) {
		convFilterGradDot(dwd, xd, dyd, beta, g, groups, n, cin, cout)
		return
	}
	tab := newConvTables(g)
	pointwise := isPointwiseGeom(g)
	// The N·∏Out positions are cut into one contiguous range per thread; each thread
	// accumulates its range into its own copy of dw (the first into dw itself).
	threads := 1
	if cout*rows*n*o >= gemm.MinParallelWork {
		threads = min(parallel.Threads(), n*o)
	}
	parts := make([][]float32, threads)
	parts[0] = dwd
	for t := 1; t < threads; t++ {
		parts[t] = make([]float32, len(dwd))
	}
	total := n * o
	parallel.ForChunks(threads, threads, func(lo, hi int) {
		sc := new(packScratch) // the GEMMs below are serial: one scratch per task
		for t := lo; t < hi; t++ {
			acc, b0 := parts[t], float32(0)
			if t == 0 {
				b0 = beta
			}
			first := true
			forSegments(t*total/threads, (t+1)*total/threads, o, func(s, o0, l int) {
				for gi := range groups {
					bt := float32(1)
					if first {
						bt = b0
					}
					a := gemm.SliceA{A: dyd[(s*cout+gi*cpg)*o+o0:], Ld: o}
					img := xd[(s*cin+gi*cinG)*in:][:cinG*in]
					var b gemm.PanelB
					if pointwise {
						b = gemm.SliceB{Trans: true, B: img[o0:], Ld: in}
					} else {
						b = colsT{imgCols{x: img, t: tab, o0: o0, sc: sc}}
					}
					gemm.SgemmPackersSerial(cpg, rows, l, 1, a, b, bt, acc[gi*cpg*rows:], rows)
				}
				first = false
			})
			if first { // an empty range still owes dw its beta
				gemmScale(acc, b0)
			}
		}
	})
	for t := 1; t < threads; t++ {
		for i, v := range parts[t] {
			dwd[i] += v
		}
	}
}

// gemmScale sets d = beta·d (zeros when beta = 0).
func gemmScale(d []float32, beta float32) {
	if beta == 0 {
		clear(d)
		return
	}
	for i := range d {
		d[i] *= beta
	}
}

// forSegments calls fn(s, o0, l) for the pieces of the flat position range [lo, hi)
// (position p = s·o + o0) that lie within one sample s each.
func forSegments(lo, hi, o int, fn func(s, o0, l int)) {
	for p := lo; p < hi; {
		s, o0 := p/o, p%o
		l := min(hi-p, o-o0)
		fn(s, o0, l)
		p += l
	}
}

// convForwardData computes y = conv(x, w) + beta·y (+ bias bd: [cout] unless nil; beta
// 0 ignores y's contents) on contiguous data (see ConvForward): the N·∏Out output positions are cut into one range per
// thread, and each range is a series of serial implicit GEMMs (one per sample piece and
// group), each followed by its piece's bias.
func convForwardData(yd, xd, wd, bd []float32, beta float32, g ConvGeom, groups, n, cin, cout int) {
	cpg, cinG := cout/groups, cin/groups
	rows, o, in := cinG*g.KernelSize(), g.OutSize(), g.InSize()
	if n == 0 || o == 0 {
		return
	}
	if winogradOK(g, groups, cin, cout, beta) {
		convForwardWinograd(yd, xd, wd, bd, beta, g, n, cin, cout)
		return
	}
	if convRowsOK(g, cpg) {
		convForwardRows(yd, xd, wd, bd, beta, g, groups, n, cin, cout)
		return
	}
	tab := newConvTables(g)
	pointwise := isPointwiseGeom(g)
	threads := 1
	if cout*rows*n*o >= gemm.MinParallelWork {
		threads = min(parallel.Threads(), n*o)
	}
	total := n * o
	parallel.ForChunks(threads, threads, func(lo, hi int) {
		sc := new(packScratch) // the GEMMs below are serial: one scratch per task
		for t := lo; t < hi; t++ {
			forSegments(t*total/threads, (t+1)*total/threads, o, func(s, o0, l int) {
				for gi := range groups {
					a := gemm.SliceA{A: wd[gi*cpg*rows:], Ld: rows}
					img := xd[(s*cin+gi*cinG)*in:][:cinG*in]
					var b gemm.PanelB
					if pointwise {
						b = gemm.SliceB{B: img[o0:], Ld: in}
					} else {
						b = colsB{imgCols{x: img, t: tab, o0: o0, sc: sc}}
					}
					gemm.SgemmPackersSerial(cpg, l, rows, 1, a, b, beta, yd[(s*cout+gi*cpg)*o+o0:], o)
					if bd != nil {
						addBiasRows(yd, bd, (s*cout+gi*cpg)*o+o0, o, cpg, l, gi*cpg)
					}
				}
			})
		}
	})
}

// isPointwiseGeom reports whether the columns are the image itself: 1×1 kernel,
// stride 1, no padding.
func isPointwiseGeom(g ConvGeom) bool {
	for i := range g.Kernel {
		if g.Kernel[i] != 1 || g.Stride[i] != 1 || g.Pad[i] != 0 {
			return false
		}
	}
	return true
}

// convTables holds, for every tap k of each axis a of a geom3, the input offset
// in = out·stride + off[a][k] and the outputs [lo[a][k], hi[a][k]) whose tap k lands
// inside the input.
type convTables struct {
	q           geom3
	inSize      int // ∏In
	off, lo, hi [3][]int
}

func newConvTables(g ConvGeom) *convTables {
	t := &convTables{q: toGeom3(g), inSize: g.InSize()}
	for a := range 3 {
		for k := range t.q.k[a] {
			lo, hi := t.q.validRange(a, k)
			t.off[a] = append(t.off[a], t.q.tapOffset(a, k))
			t.lo[a] = append(t.lo[a], lo)
			t.hi[a] = append(t.hi[a], hi)
		}
	}
	return t
}

// tap is one row of the columns: channel c, kernel taps (kd, kh, kw).
type tap struct{ c, kd, kh, kw int }

// tapOf returns column row r.
func (t *convTables) tapOf(r int) tap {
	q := &t.q
	ks := q.k[0] * q.k[1] * q.k[2]
	c, k := r/ks, r%ks
	return tap{c, k / (q.k[1] * q.k[2]), k / q.k[2] % q.k[1], k % q.k[2]}
}

// next advances to the following row.
func (t *convTables) next(tp *tap) {
	q := &t.q
	if tp.kw++; tp.kw < q.k[2] {
		return
	}
	tp.kw = 0
	if tp.kh++; tp.kh < q.k[1] {
		return
	}
	tp.kh = 0
	if tp.kd++; tp.kd < q.k[0] {
		return
	}
	tp.kd = 0
	tp.c++
}

// imgCols views one sample's image (the channels of one group, [C, *In]) as its
// im2col columns [C·∏K, ∏Out], shifted by o0 positions. sc, if not nil, is scratch
// for the packers; it makes them unsafe to call concurrently.
type imgCols struct {
	x  []float32
	t  *convTables
	o0 int
	sc *packScratch
}

// srcRow returns the start in x of the input row that tap tp reads for output row
// (od, oh), the valid output columns [wlo, whi) and the offset off of the input column
// ow·sw + off; ok is false when the whole output row reads padding.
func (m imgCols) srcRow(tp tap, od, oh int) (start, wlo, whi, off int, ok bool) {
	t := m.t
	q := &t.q
	if od < t.lo[0][tp.kd] || od >= t.hi[0][tp.kd] || oh < t.lo[1][tp.kh] || oh >= t.hi[1][tp.kh] {
		return 0, 0, 0, 0, false
	}
	id := od*q.s[0] + t.off[0][tp.kd]
	ih := oh*q.s[1] + t.off[1][tp.kh]
	start = tp.c*t.inSize + (id*q.in[1]+ih)*q.in[2]
	return start, t.lo[2][tp.kw], t.hi[2][tp.kw], t.off[2][tp.kw], true
}

// piece is a run of l consecutive positions within one output row (od, oh), starting
// at column ow, stored from offset at.
type piece struct{ at, l, od, oh, ow int }

// colsB packs the columns as op(B) = cols [C·∏K, ∏Out] of a forward convolution: B
// strips of nr consecutive positions, one column row per depth step.
type colsB struct{ imgCols }

// packGeneric is PackB for any geometry (the reference the fast paths are tested
// against; see cpu_conv_pack.go).
func (m colsB) packGeneric(dst []float32, j0, nc, p0, kc, nr int) {
	t := m.t
	q := &t.q
	if nr > 32 {
		panic(fmt.Sprintf("tensor: conv packer: strip width %d > 32", nr))
	}
	var pcs [32]piece
	sw := q.s[2]
	for s := 0; s*nr < nc; s++ {
		cols := min(nr, nc-s*nr)
		d := dst[s*kc*nr : (s+1)*kc*nr]
		// Cut the strip's positions at output-row boundaries.
		np := 0
		for at, o := 0, m.o0+j0+s*nr; at < cols; np++ {
			ow := o % q.out[2]
			l := min(cols-at, q.out[2]-ow)
			pcs[np] = piece{at: at, l: l, od: o / (q.out[1] * q.out[2]), oh: o / q.out[2] % q.out[1], ow: ow}
			at += l
			o += l
		}
		tp := t.tapOf(p0)
		for p := range kc {
			row := d[p*nr : p*nr+nr]
			if cols < nr {
				clear(row[cols:])
			}
			for _, pc := range pcs[:np] {
				seg := row[pc.at : pc.at+pc.l]
				start, wlo, whi, off, ok := m.srcRow(tp, pc.od, pc.oh)
				a, e := max(pc.ow, wlo)-pc.ow, min(pc.ow+pc.l, whi)-pc.ow
				if !ok || e <= a {
					clear(seg)
					continue
				}
				src := m.x[start : start+q.in[2]]
				iw := (pc.ow+a)*sw + off
				if sw == 1 && a == 0 && e == 32 {
					*(*[32]float32)(seg) = [32]float32(src[iw:])
					continue
				}
				clear(seg[:a])
				clear(seg[e:])
				if sw == 1 {
					copy(seg[a:e], src[iw:])
					continue
				}
				for x := a; x < e; x++ {
					seg[x] = src[iw]
					iw += sw
				}
			}
			t.next(&tp)
		}
	}
}

// colsT packs the transposed columns as op(B) = colsᵀ [∏Out, C·∏K] of a filter
// gradient: B strips of nr column rows, one position per depth step.
type colsT struct{ imgCols }

// packGeneric is PackB for any geometry: column row by column row, each output row's
// run of the input is written with stride nr (a transposing copy).
func (m colsT) packGeneric(dst []float32, j0, nc, p0, kc, nr int) {
	t := m.t
	q := &t.q
	sw := q.s[2]
	for s := 0; s*nr < nc; s++ {
		cols := min(nr, nc-s*nr)
		d := dst[s*kc*nr : (s+1)*kc*nr]
		if cols < nr {
			clear(d)
		}
		tp := t.tapOf(j0 + s*nr)
		for jj := range cols {
			o := m.o0 + p0
			od, oh, ow := o/(q.out[1]*q.out[2]), o/q.out[2]%q.out[1], o%q.out[2]
			for p := 0; p < kc; {
				l := min(kc-p, q.out[2]-ow)
				start, wlo, whi, off, ok := m.srcRow(tp, od, oh)
				a, e := max(ow, wlo)-ow, min(ow+l, whi)-ow
				if !ok || e <= a {
					a, e = l, l
				}
				for x := 0; x < a; x++ {
					d[(p+x)*nr+jj] = 0
				}
				iw := start + (ow+a)*sw + off
				dd := d[p*nr+jj:]
				for x := a; x < e; x++ {
					dd[x*nr] = m.x[iw]
					iw += sw
				}
				for x := e; x < l; x++ {
					d[(p+x)*nr+jj] = 0
				}
				p += l
				ow = 0
				if oh++; oh == q.out[1] {
					oh = 0
					od++
				}
			}
			t.next(&tp)
		}
	}
}
