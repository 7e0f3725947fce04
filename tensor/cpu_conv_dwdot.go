package tensor

import (
	"github.com/selfsup/selfsup/internal/gemm"
	"github.com/selfsup/selfsup/internal/parallel"
)

// The filter gradient as dot products: for stride 1, each weight's gradient
// dw[co, ci, kd, ky, kx] is the sum over output positions of dy[co, p] times the
// zero-padded input at p shifted by the tap, and along an output row both runs are
// contiguous. dwDot2x9AVX512 accumulates a 2 (output channels) × 9 (a 3×3 tap window)
// block over a whole sample 16 positions at a time, so nothing is packed or
// transposed (the GEMM form packs the columns transposed, which cost as much as the
// products for few output channels).

// useDWDot switches the dot-product filter gradient; a variable so that tests can
// compare it with the GEMM.
var useDWDot = dwDotAvailable

// dwDotMaxCout is the most output channels per group for which the dot-product filter
// gradient is used.
const dwDotMaxCout = 32

// dwDotOK reports whether convFilterGradDot handles g for n samples and cpg output
// channels per group: stride 1, a 3×3 window on the last two axes (any depth), no
// dilation on the last axis, an even number of output channels per group, a last
// output axis a multiple of 16, and at least one sample per thread.
func dwDotOK(g ConvGeom, n, cpg int) bool {
	d := len(g.Out)
	if !useDWDot || d < 2 || cpg%2 != 0 || cpg > dwDotMaxCout || g.Out[d-1]%16 != 0 || n < parallel.Threads() {
		return false
	}
	for _, s := range g.Stride {
		if s != 1 {
			return false
		}
	}
	return g.Kernel[d-1] == 3 && g.Kernel[d-2] == 3 && g.Dilation[d-1] == 1
}

// convFilterGradDot sets dw = beta·dw + Σ_n dy_n·cols(x_n)ᵀ for a geometry that dwDotOK
// accepts. The samples are cut into one range per thread; each range accumulates into
// its own zeroed copy of dw, and the copies are added in range order (deterministic).
func convFilterGradDot(dwd, xd, dyd []float32, beta float32, g ConvGeom, groups, n, cin, cout int) {
	q := toGeom3(g)
	cpg, cinG := cout/groups, cin/groups
	rows, o, in := cinG*q.kernelSize(), g.OutSize(), g.InSize()
	pd, ph, pw := q.in[0]+2*q.p[0], q.in[1]+2*q.p[1], q.in[2]+2*q.p[2]
	plane := pd * ph * pw
	nrows := q.out[0] * q.out[1]
	rowBase := make([]int, nrows) // output row → its first window element in the padded image
	for od := range q.out[0] {
		for oh := range q.out[1] {
			rowBase[od*q.out[1]+oh] = (od*ph + oh) * pw
		}
	}
	threads := 1
	if cout*rows*n*o >= gemm.MinParallelWork {
		threads = min(parallel.Threads(), n)
	}
	parts := getScratch(threads * len(dwd))
	defer putScratch(parts)
	clear(parts)
	parallel.ForChunks(threads, threads, func(lo, hi int) {
		xp := getScratch(cin * plane)
		defer putScratch(xp)
		for t := lo; t < hi; t++ {
			part := parts[t*len(dwd):][:len(dwd)]
			for s := t * n / threads; s < (t+1)*n/threads; s++ {
				padImage(xp, xd[s*cin*in:][:cin*in], cin, q.in, q.p)
				for gi := range groups {
					for c0 := 0; c0 < cpg; {
						dot, nc := dwDot3x9AVX512, 3 // three rows at a time, pairs for the rest
						if r := cpg - c0; r == 2 || r == 4 {
							dot, nc = dwDot2x9AVX512, 2
						}
						dy := dyd[(s*cout+gi*cpg+c0)*o:]
						for ci := range cinG {
							for kd := range q.k[0] {
								var off [3]int
								for ky := range off {
									off[ky] = ci*plane + (kd*q.d[0]*ph+ky*q.d[1])*pw
								}
								dot(&part[(gi*cpg+c0)*rows+(ci*q.k[0]+kd)*9], rows, &dy[0], o,
									&xp[gi*cinG*plane], &off, &rowBase[0], nrows, q.out[2])
							}
						}
						c0 += nc
					}
				}
			}
		}
	})
	gemmScale(dwd, beta)
	for t := range threads {
		for i, v := range parts[t*len(dwd):][:len(dwd)] {
			dwd[i] += v
		}
	}
}
