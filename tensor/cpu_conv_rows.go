package tensor

import (
	"github.com/selfsup/selfsup/internal/gemm"
	"github.com/selfsup/selfsup/internal/parallel"
)

// The packing-free convolution: for stride 1 the columns of one output row are, for
// every column row (channel, tap), a contiguous run of the zero-padded input, so the
// GEMM micro-kernels read them in place ([gemm.SgemmRowsSerial]) instead of packing
// them into panels first. It applies to 3-D convolutions on CPUs with the AVX-512
// kernels when the last output axis is a multiple of gemm.RowsWidth, so that a strip
// of columns never spans two rows, and to 2-D ones with at most rowsMax2D output
// channels per group. Measured (examples/bench, 2 threads): U-Net 3D 620 → 576 ms per
// step; RCAN (16 channels) 1498–1525 → 1383–1422 ms. For 2-D convolutions with more
// output channels the packed path stays faster (EDSR, 64: 908–929 vs 931–944 ms): its
// panels are aligned and serve every row strip from L1, while two thirds of the
// in-place rows are unaligned (the window's horizontal taps). Copying the image once
// per horizontal tap so that every row is aligned cost more than it saved (RCAN 1555–
// 1607 vs 1517–1530, EDSR 1141–1148 vs 942–944, U-Net 3D 577–589 vs 501–510 ms).

// useConvRows switches the packing-free path; a variable so that tests can compare
// it with the packed one.
var useConvRows = true

// rowsMax2D is the most output channels per group for which a 2-D convolution takes
// the packing-free path.
const rowsMax2D = 16

// convRowsOK reports whether convForwardRows handles g with cpg output channels per
// group.
func convRowsOK(g ConvGeom, cpg int) bool {
	if !useConvRows || !gemm.RowsAvailable() || g.Out[len(g.Out)-1]%gemm.RowsWidth != 0 {
		return false
	}
	if len(g.Out) != 3 && (len(g.Out) != 2 || cpg > rowsMax2D) {
		return false
	}
	for _, s := range g.Stride {
		if s != 1 {
			return false
		}
	}
	return true
}

// convForwardRows computes y = conv(x, w) + beta·y (+ bias bd unless nil) like
// convForwardData for a geometry that convRowsOK accepts: x is copied once into a
// zero-padded image (unless unpadded), and each thread multiplies its range of whole
// column strips with SgemmRowsSerial.
func convForwardRows(yd, xd, wd, bd []float32, beta float32, g ConvGeom, groups, n, cin, cout int) {
	q := toGeom3(g)
	cpg, cinG := cout/groups, cin/groups
	rows, o := cinG*q.kernelSize(), g.OutSize()
	if n == 0 || o == 0 {
		return
	}
	pd, ph, pw := q.in[0]+2*q.p[0], q.in[1]+2*q.p[1], q.in[2]+2*q.p[2]
	plane := pd * ph * pw
	const sw = gemm.RowsWidth
	strips := n * o / sw
	threads := 1
	if cout*rows*n*o >= gemm.MinParallelWork {
		threads = min(parallel.Threads(), strips)
	}
	// The batch is padded into one scratch image and the strips split over the
	// threads, unless that image would exceed rowsBatchPadMax bytes: then each task
	// pads one sample at a time (U-Net 2D's first level: 34 and 68 MiB batch copies,
	// 110 MiB more peak memory; RCAN's 2 MiB copy is faster padded in one go).
	padded := q.p != [3]int{}
	perSample := padded && n >= threads && 4*n*cin*plane > rowsBatchPadMax
	xp := xd
	if padded && !perSample {
		xp = getScratch(n * cin * plane)
		defer putScratch(xp)
		padImage(xp[:n*cin*plane], xd, n*cin, q.in, q.p)
	}
	// Column row r = (c, kd, kh, kw) starts at off[r] from its strip's base.
	off := make([]int, 0, rows)
	for c := range cinG {
		for kd := range q.k[0] {
			for kh := range q.k[1] {
				for kw := range q.k[2] {
					off = append(off, c*plane+(kd*q.d[0]*ph+kh*q.d[1])*pw+kw*q.d[2])
				}
			}
		}
	}
	ho, wo := q.out[1], q.out[2]
	baseOf := func(p int) int { // output position p → its row-0 element of the padded image
		od, rem := p/(ho*wo), p%(ho*wo)
		return (od*ph+rem/wo)*pw + rem%wo
	}
	piece := func(img []float32, s, o0, l int) { // positions [o0, o0+l) of sample s
		for gi := range groups {
			a := gemm.SliceA{A: wd[gi*cpg*rows:], Ld: rows}
			b := gemm.RowsB{X: img[gi*cinG*plane:], Off: off,
				Base: func(j int) int { return baseOf(o0 + j) }}
			gemm.SgemmRowsSerial(cpg, l, rows, 1, a, b, beta, yd[(s*cout+gi*cpg)*o+o0:], o)
			if bd != nil {
				addBiasRows(yd, bd, (s*cout+gi*cpg)*o+o0, o, cpg, l, gi*cpg)
			}
		}
	}
	if perSample {
		in := q.in[0] * q.in[1] * q.in[2]
		parallel.ForChunks(n, n, func(lo, hi int) {
			img := getScratch(cin * plane)
			defer putScratch(img)
			for s := lo; s < hi; s++ {
				padImage(img, xd[s*cin*in:][:cin*in], cin, q.in, q.p)
				piece(img, s, 0, o)
			}
		})
		return
	}
	parallel.ForChunks(threads, threads, func(lo, hi int) {
		for t := lo; t < hi; t++ {
			forSegments(t*strips/threads*sw, (t+1)*strips/threads*sw, o, func(s, o0, l int) {
				piece(xp[s*cin*plane:], s, o0, l)
			})
		}
	})
}

// rowsBatchPadMax is the largest padded batch copy, in bytes, that convForwardRows
// makes; a variable so that tests can cover the sample-by-sample path.
var rowsBatchPadMax = 16 << 20

// padImage copies planes planes of x: [planes, in[0], in[1], in[2]] into dst with p
// zeros before and after each axis.
func padImage(dst, x []float32, planes int, in, p [3]int) {
	pd, ph, pw := in[0]+2*p[0], in[1]+2*p[1], in[2]+2*p[2]
	plane, inPlane := pd*ph*pw, in[0]*in[1]*in[2]
	parallel.For(planes, rowGrain(1<<14, plane), func(lo, hi int) {
		for c := lo; c < hi; c++ {
			d := dst[c*plane : (c+1)*plane]
			src := x[c*inPlane : (c+1)*inPlane]
			clear(d[:(p[0]*ph+p[1])*pw]) // leading planes and rows
			for z := range in[0] {
				for y := range in[1] {
					row := d[((z+p[0])*ph+y+p[1])*pw:][:pw]
					clear(row[:p[2]])
					copy(row[p[2]:], src[(z*in[1]+y)*in[2]:][:in[2]])
					clear(row[p[2]+in[2]:])
				}
				if z+1 < in[0] { // the padding rows between two planes
					clear(d[((z+p[0])*ph+in[1]+p[1])*pw : ((z+1+p[0])*ph+p[1])*pw])
				}
			}
			clear(d[((in[0]-1+p[0])*ph+in[1]+p[1])*pw:]) // trailing rows and planes
		}
	})
}
