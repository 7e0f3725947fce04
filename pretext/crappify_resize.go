package pretext

import (
	"math"

	"github.com/selfsup/selfsup/internal/parallel"
)

// axisMap holds, for every output index along one axis, the two input indices and
// linear weights scipy's order-1 zoom uses.
type axisMap struct {
	i0, i1 []int
	w0, w1 []float64
}

// linearAxis maps out output samples onto in input samples as scipy.ndimage.zoom
// (order 1, mode 'mirror', grid_mode=True) does: cc = (o + 0.5)·(in/out) − 0.5,
// mirrored into [0, in−1]; weights 1 − t and 1 − (1 − t) with t = cc − floor(cc).
func linearAxis(in, out int) axisMap {
	m := axisMap{i0: make([]int, out), i1: make([]int, out), w0: make([]float64, out), w1: make([]float64, out)}
	zoom := float64(in) / float64(out)
	for o := range out {
		// float64() forbids fusing into an FMA: scipy rounds the product.
		cc := float64((float64(o) + 0.5) * zoom)
		cc -= 0.5
		cc = mirrorCoord(cc, in)
		start := int(math.Floor(cc))
		t := cc - math.Floor(cc)
		m.w0[o] = 1 - t
		m.w1[o] = 1 - m.w0[o]
		m.i0[o] = mirrorIndex(start, in)
		m.i1[o] = mirrorIndex(start+1, in)
	}
	return m
}

// mirrorCoord is scipy's map_coordinate for NI_EXTEND_MIRROR.
func mirrorCoord(in float64, n int) float64 {
	if in < 0 {
		if n <= 1 {
			return 0
		}
		sz2 := float64(2*n - 2)
		in = sz2*float64(int64(-in/sz2)) + in
		if in <= float64(1-n) {
			return in + sz2
		}
		return -in
	}
	if in > float64(n-1) {
		if n <= 1 {
			return 0
		}
		sz2 := float64(2*n - 2)
		in -= sz2 * float64(int64(in/sz2))
		if in >= float64(n) {
			in = sz2 - in
		}
	}
	return in
}

// mirrorIndex is scipy's mirrored edge index for the spline taps.
func mirrorIndex(idx, n int) int {
	if n <= 1 {
		return 0
	}
	s2 := 2*n - 2
	if idx < 0 {
		idx = s2*(-idx/s2) + idx
		if idx <= 1-n {
			return idx + s2
		}
		return -idx
	}
	if idx >= n {
		idx -= s2 * (idx / s2)
		if idx >= n {
			idx = s2 - idx
		}
	}
	return idx
}

// resizeLinear resizes img (row-major channel-last, spatial sizes from, c channels)
// to spatial sizes to, as skimage resize(order=1, mode='reflect', clip=True,
// anti_aliasing=False): each output sample is Σ data·w_z·w_y·w_x over the 2 or 4 or 8
// taps in scipy's order, then clipped to img's min and max. round32 rounds every
// output to float32 (skimage keeps float32 inputs in float32).
func resizeLinear(img []float64, from, to []int, c int, round32 bool) []float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range img {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	if len(from) == 2 {
		from = []int{1, from[0], from[1]}
		to = []int{1, to[0], to[1]}
	}
	is3D := from[0] > 1 || to[0] > 1
	mz, my, mx := linearAxis(from[0], to[0]), linearAxis(from[1], to[1]), linearAxis(from[2], to[2])
	h, w := from[1], from[2]
	oh, ow := to[1], to[2]
	out := make([]float64, to[0]*oh*ow*c)
	parallel.For(to[0]*oh, max(1, 4096/(ow*c+1)), func(rlo, rhi int) {
		for r := rlo; r < rhi; r++ {
			z, y := r/oh, r%oh
			wy0, wy1 := my.w0[y], my.w1[y]
			dst := out[r*ow*c : (r+1)*ow*c]
			if !is3D {
				row0 := img[my.i0[y]*w*c:]
				row1 := img[my.i1[y]*w*c:]
				for x := range ow {
					a, b := mx.i0[x]*c, mx.i1[x]*c
					wx0, wx1 := mx.w0[x], mx.w1[x]
					for ch := range c {
						t := 0.0
						t += float64(row0[a+ch] * wy0 * wx0)
						t += float64(row0[b+ch] * wy0 * wx1)
						t += float64(row1[a+ch] * wy1 * wx0)
						t += float64(row1[b+ch] * wy1 * wx1)
						if round32 {
							t = float64(float32(t))
						}
						dst[x*c+ch] = min(max(t, lo), hi)
					}
				}
				continue
			}
			wz0, wz1 := mz.w0[z], mz.w1[z]
			p0 := img[mz.i0[z]*h*w*c:]
			p1 := img[mz.i1[z]*h*w*c:]
			r00, r01 := p0[my.i0[y]*w*c:], p0[my.i1[y]*w*c:]
			r10, r11 := p1[my.i0[y]*w*c:], p1[my.i1[y]*w*c:]
			for x := range ow {
				a, b := mx.i0[x]*c, mx.i1[x]*c
				wx0, wx1 := mx.w0[x], mx.w1[x]
				for ch := range c {
					t := 0.0
					t += float64(r00[a+ch] * wz0 * wy0 * wx0)
					t += float64(r00[b+ch] * wz0 * wy0 * wx1)
					t += float64(r01[a+ch] * wz0 * wy1 * wx0)
					t += float64(r01[b+ch] * wz0 * wy1 * wx1)
					t += float64(r10[a+ch] * wz1 * wy0 * wx0)
					t += float64(r10[b+ch] * wz1 * wy0 * wx1)
					t += float64(r11[a+ch] * wz1 * wy1 * wx0)
					t += float64(r11[b+ch] * wz1 * wy1 * wx1)
					if round32 {
						t = float64(float32(t))
					}
					dst[x*c+ch] = min(max(t, lo), hi)
				}
			}
		}
	})
	return out
}
