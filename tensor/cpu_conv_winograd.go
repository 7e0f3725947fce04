package tensor

import (
	"github.com/selfsup/selfsup/internal/gemm"
	"github.com/selfsup/selfsup/internal/parallel"
)

// Winograd F(2×2, 3×3) convolution (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2016) for the 3×3, stride-1, padding-1 2-D convolutions with many
// channels that dominate EDSR and U-Net's deeper levels. Each 2×2 output tile is
// Aᵀ[(G·w·Gᵀ) ⊙ (Bᵀ·d·B)]A for its 4×4 input patch d, so the channel sums become 16
// GEMMs (one per transform point ξ) of U_ξ: [Cout, Cin] by V_ξ: [Cin, tiles], 4
// multiplies per output instead of 9. The input and output transforms run 16 tiles
// at a time in AVX-512 assembly (cpu_conv_winograd_amd64.s); tiles are processed in
// blocks whose V and M fit the L2 cache, one block per task. The input gradient (the
// forward convolution of dy with the flipped weight) takes the same path.
//
// Rounding differs from the direct sum (the transforms add and subtract a few input
// values before the products): for unit-scale data the relative error stays within
// a few float32 ulps of the channel sum's magnitude.

// useWinograd switches the Winograd path; a variable so that tests can compare it with
// the direct one.
var useWinograd = winogradAvailable

// winoMinChannels is the fewest input and output channels for which the Winograd path
// pays for its transforms.
const winoMinChannels = 32

// winogradOK reports whether convForwardData may compute this convolution (beta 0 or 1)
// with convForwardWinograd.
func winogradOK(g ConvGeom, groups, cin, cout int, beta float32) bool {
	if !useWinograd || !gemm.PackedAvailable() || len(g.Out) != 2 || groups != 1 || cin < winoMinChannels || cout < winoMinChannels || (beta != 0 && beta != 1) {
		return false
	}
	for i := range 2 {
		if g.Kernel[i] != 3 || g.Stride[i] != 1 || g.Dilation[i] != 1 || g.Pad[i] != 1 {
			return false
		}
	}
	return g.Out[0]%2 == 0 && g.Out[1]%32 == 0
}

// winoPlan is the tiling of one Winograd convolution of h×w outputs: 2×2 tiles, tw to
// a tile row, cut into blocks of tb tiles (one task per block and sample) whose V
// (16·cin rows) and M (16·cout rows) fit in about 1 MiB.
type winoPlan struct {
	h, w, tw, tiles, pw int
	cin, tb, blocks     int
	maxRows             int // padded input rows of the tallest block
}

func newWinoPlan(g ConvGeom, cin, cout int) winoPlan {
	p := winoPlan{h: g.Out[0], w: g.Out[1], cin: cin}
	p.tw, p.pw = p.w/2, p.w+2
	p.tiles = p.h / 2 * p.tw
	p.tb = max(16, min(p.tiles, (1<<20)/(64*(cin+cout))/16*16))
	p.blocks = (p.tiles + p.tb - 1) / p.tb
	p.maxRows = 2*((p.tb+p.tw-2)/p.tw+1) + 2
	return p
}

// block returns the first tile and the tile count of block b.
func (p *winoPlan) block(b int) (t0, nt int) {
	t0 = b * p.tb
	return t0, min(p.tb, p.tiles-t0)
}

// input pads the input rows of the block's tiles [t0, t0+nt) of sample x: [cin, h, w]
// into xp (while they are in cache for the transform) and writes the tiles' V: V_ξ of
// channel c for the 16 tiles from k = t − t0 (k a multiple of 16) starts at
// v[at(k) + c·vci + ξ·vxi].
func (p *winoPlan) input(v []float32, vxi, vci int, at func(k int) int, xp, x []float32, t0, nt int) {
	ty0 := t0 / p.tw
	rows := 2*((t0+nt-1)/p.tw-ty0) + 4 // padded rows 2·ty0 … 2·ty1+3
	padRows(xp[:p.cin*rows*p.pw], x, p.cin, p.h, p.w, 2*ty0-1, rows)
	for t := t0; t < t0+nt; t += 16 {
		ty, tx := t/p.tw, t%p.tw
		winoInputAVX512(&v[at(t-t0)], vxi, vci, &xp[2*(ty-ty0)*p.pw+2*tx], p.pw, rows*p.pw, p.cin)
	}
}

// rows calls fn(t, off, groups) for each tile row's part of tiles [t0, t0+nt): its first
// tile t, that tile's output offset 2·ty·w + 2·tx, and its number of 16-tile groups.
func (p *winoPlan) rows(t0, nt int, fn func(t, off, groups int)) {
	for t := t0; t < t0+nt; {
		ty, tx := t/p.tw, t%p.tw
		l := min(t0+nt, (ty+1)*p.tw) - t
		fn(t, 2*ty*p.w+2*tx, l/16)
		t += l
	}
}

// convForwardWinograd computes y = conv(x, w) + beta·y (+ bias bd unless nil) for a
// geometry that winogradOK accepts: x: [n, cin, H, W], w: [cout, cin, 3, 3].
func convForwardWinograd(yd, xd, wd, bd []float32, beta float32, g ConvGeom, n, cin, cout int) {
	p := newWinoPlan(g, cin, cout)
	hw := p.h * p.w

	u := getScratch(16 * cout * cin)
	defer putScratch(u)
	winoFilter(u, wd, cout, cin)
	// U_ξ packed once for all the tasks' products.
	usz := gemm.PackedASize(cout, cin)
	up := getScratch(16 * usz)
	defer putScratch(up)
	var ua [16]gemm.PackedA
	for xi := range ua {
		ua[xi] = gemm.PackA(up[xi*usz:][:usz], gemm.SliceA{A: u[xi*cout*cin:], Ld: cin}, cout, cin)
	}

	acc := 0
	if beta != 0 {
		acc = 1
	}
	var bias *float32
	if bd != nil {
		bias = &bd[0]
	}
	tasks := n * p.blocks
	// V_ξ is stored as the GEMM's B strips (gemm.PackedWidth tiles wide, cin deep),
	// M_ξ as rows of tb tiles. The 16 planes of V and M lie vxi and mxi apart, 16
	// floats more than their size so that the transforms' 16 accesses per channel do
	// not all map to one L1 set.
	const sw = gemm.PackedWidth
	vxi, mxi := (p.tb+sw-1)/sw*sw*cin+16, cout*p.tb+16
	strip := func(k int) int { return k/sw*sw*cin + k%sw }
	parallel.ForChunks(tasks, tasks, func(lo, hi int) {
		v := getScratch(16 * vxi)
		m := getScratch(16 * mxi)
		xp := getScratch(cin * p.maxRows * p.pw)
		defer putScratch(v)
		defer putScratch(m)
		defer putScratch(xp)
		for task := lo; task < hi; task++ {
			s := task / p.blocks
			t0, nt := p.block(task % p.blocks)
			p.input(v, vxi, sw, strip, xp, xd[s*cin*hw:][:cin*hw], t0, nt)
			for xi := range 16 {
				gemm.SgemmPackedSerial(cout, nt, cin, 1, ua[xi], v[xi*vxi:], 0, m[xi*mxi:], p.tb)
			}
			out := yd[s*cout*hw:]
			p.rows(t0, nt, func(t, off, groups int) {
				winoOutputAVX512(&out[off], p.w, hw, &m[t-t0], mxi, p.tb, cout, groups, bias, acc)
			})
		}
	})
}

// padRows writes rows [y0, y0+rows) of each of the c channels of x: [c, h, w], zero
// outside [0, h), with one zero column on each side, to dst: [c, rows, w+2].
func padRows(dst, x []float32, c, h, w, y0, rows int) {
	pw := w + 2
	for ch := range c {
		for r := range rows {
			d := dst[(ch*rows+r)*pw:][:pw]
			y := y0 + r
			if y < 0 || y >= h {
				clear(d)
				continue
			}
			d[0], d[pw-1] = 0, 0
			copy(d[1:pw-1], x[(ch*h+y)*w:][:w])
		}
	}
}

// winoFilter sets u[ξ][co][ci] = (G·w[co, ci]·Gᵀ)[ξ/4][ξ%4] for w: [cout, cin, 3, 3],
// with G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]].
func winoFilter(u, wd []float32, cout, cin int) {
	parallel.For(cout, rowGrain(1<<12, 16*cin), func(lo, hi int) {
		for co := lo; co < hi; co++ {
			for ci := range cin {
				k := wd[(co*cin+ci)*9:][:9]
				var t [4][3]float32 // G·k
				for j := range 3 {
					k0, k1, k2 := k[j], k[3+j], k[6+j]
					t[0][j] = k0
					t[1][j] = (k0 + k1 + k2) / 2
					t[2][j] = (k0 - k1 + k2) / 2
					t[3][j] = k2
				}
				for i := range 4 {
					r0, r1, r2 := t[i][0], t[i][1], t[i][2]
					row := [4]float32{r0, (r0 + r1 + r2) / 2, (r0 - r1 + r2) / 2, r2}
					for j, val := range row {
						u[((4*i+j)*cout+co)*cin+ci] = val
					}
				}
			}
		}
	})
}

// winogradGradOK reports whether ConvFilterGrad may use convFilterGradWinograd: the
// geometries of winogradOK with channel counts that are multiples of 16 (the input
// transforms are transposed 16×16 at a time).
func winogradGradOK(g ConvGeom, groups, cin, cout int) bool {
	return cin%16 == 0 && cout%16 == 0 && winogradOK(g, groups, cin, cout, 0)
}

// convFilterGradWinograd sets dw = beta·dw + Σ_n dy_n·cols(x_n)ᵀ in the Winograd
// domain: with V = Bᵀ·d·B of each input tile and dM = A·dY·Aᵀ of its output gradient
// (the adjoint of the output transform), the transformed filter's gradient is
// dU_ξ = Σ_tiles dM_ξ·V_ξᵀ — 16 GEMMs of [cout, tiles] by [tiles, cin] per block of
// tiles — and dw = Gᵀ·dU·G (the adjoint of the filter transform). The tasks are cut
// into one fixed range per thread, each summing into its own dU; the sums are added in
// range order (deterministic).
func convFilterGradWinograd(dwd, xd, dyd []float32, beta float32, g ConvGeom, n, cin, cout int) {
	p := newWinoPlan(g, cin, cout)
	hw := p.h * p.w
	tasks := n * p.blocks
	const sw = gemm.PackedWidth
	vxi, mxi := cin*p.tb+16, cout*p.tb+16 // V_ξ and dM_ξ as rows of tb tiles
	usz := 16 * cout * cin
	threads := min(parallel.Threads(), tasks)
	parts := getScratch(threads * usz)
	defer putScratch(parts)
	natural := func(k int) int { return k }
	parallel.ForChunks(threads, threads, func(lo, hi int) {
		v := getScratch(16 * vxi)
		m := getScratch(16 * mxi)
		xp := getScratch(cin * p.maxRows * p.pw)
		bt := getScratch((cin + sw - 1) / sw * sw * p.tb)
		defer putScratch(v)
		defer putScratch(m)
		defer putScratch(xp)
		defer putScratch(bt)
		for ch := lo; ch < hi; ch++ {
			du := parts[ch*usz:][:usz]
			first := true
			for task := ch * tasks / threads; task < (ch+1)*tasks/threads; task++ {
				s := task / p.blocks
				t0, nt := p.block(task % p.blocks)
				p.input(v, vxi, p.tb, natural, xp, xd[s*cin*hw:][:cin*hw], t0, nt)
				dy := dyd[s*cout*hw:]
				p.rows(t0, nt, func(t, off, groups int) {
					winoGradOutAVX512(&m[t-t0], mxi, p.tb, &dy[off], p.w, hw, cout, groups)
				})
				beta := float32(1)
				if first {
					beta = 0
				}
				for xi := range 16 {
					// V_ξᵀ as B strips: tile t, channel c at bt[c/32·nt·32 + t·32 + c%32].
					vx := v[xi*vxi:]
					for c0 := 0; c0 < cin; c0 += 16 {
						for k0 := 0; k0 < nt; k0 += 16 {
							transpose16AVX512(&bt[c0/sw*nt*sw+k0*sw+c0%sw], sw, &vx[c0*p.tb+k0], p.tb)
						}
					}
					gemm.SgemmStripsSerial(cout, cin, nt, 1, gemm.SliceA{A: m[xi*mxi:], Ld: p.tb}, bt, beta, du[xi*cout*cin:], cin)
				}
				first = false
			}
			if first {
				clear(du)
			}
		}
	})
	for t := 1; t < threads; t++ {
		for i, val := range parts[t*usz:][:usz] {
			parts[i] += val
		}
	}
	winoFilterGrad(dwd, parts[:usz], beta, cout, cin)
}

// winoFilterGrad sets dw = beta·dw + Gᵀ·dU[co, ci]·G for dw: [cout, cin, 3, 3] and
// du[ξ][co][ci] (the adjoint of winoFilter).
func winoFilterGrad(dwd, du []float32, beta float32, cout, cin int) {
	parallel.For(cout, rowGrain(1<<12, 16*cin), func(lo, hi int) {
		for co := lo; co < hi; co++ {
			for ci := range cin {
				var u [4][4]float32
				for xi := range 16 {
					u[xi/4][xi%4] = du[(xi*cout+co)*cin+ci]
				}
				var t [3][4]float32 // Gᵀ·u
				for j := range 4 {
					u0, u1, u2, u3 := u[0][j], u[1][j], u[2][j], u[3][j]
					t[0][j] = u0 + (u1+u2)/2
					t[1][j] = (u1 - u2) / 2
					t[2][j] = (u1+u2)/2 + u3
				}
				d := dwd[(co*cin+ci)*9:][:9]
				for a := range 3 {
					t0, t1, t2, t3 := t[a][0], t[a][1], t[a][2], t[a][3]
					row := [3]float32{t0 + (t1+t2)/2, (t1 - t2) / 2, (t1+t2)/2 + t3}
					for b, val := range row {
						if beta == 0 {
							d[3*a+b] = val
						} else {
							d[3*a+b] = beta*d[3*a+b] + val
						}
					}
				}
			}
		}
	})
}
