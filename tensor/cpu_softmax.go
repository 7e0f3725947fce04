package tensor

import "github.com/selfsup/selfsup/internal/parallel"

// Softmax kernels. A row (the softmax axis, contiguous when inner = 1, the attention
// case) takes four passes: its maximum, e^(x−max) by expSlice (AVX-512 where the CPU
// has it), the sum and the scaling; the backward two: Σ dy·y and the output. The scalar
// passes run on float32 (no conversions), the sums with eight independent accumulators
// so that they are not bound by the latency of one add. Sums go through float32 only
// within blocks of softmaxBlock values (a relative error of a few 1e-7 each) and are
// added up in float64, so long rows keep float32 accuracy.

// softmaxBlock is the number of values a float32 partial sum covers before it is
// added into the float64 total (eight accumulators of softmaxBlock/8 values each).
const softmaxBlock = 128

// Softmax computes dst = softmax(x) along axis: exp(x − max) / Σ exp(x − max).
// x, dst: same shape, contiguous. Sums are float32 partial sums of at most
// softmaxBlock values added in float64.
func (CPU) Softmax(dst, x *Tensor, axis int) {
	mustSameShape("Softmax", dst, x)
	outer, n, inner := reduceAxis("Softmax", x.shape, axis)
	d, s := data("Softmax", dst), data("Softmax", x)
	if len(d) == 0 {
		return
	}
	if inner == 1 {
		parallel.For(outer, max(1, grainTrans/n), func(lo, hi int) {
			for o := lo; o < hi; o++ {
				softmaxRow(d[o*n:o*n+n], s[o*n:o*n+n])
			}
		})
		return
	}
	blk, nb := innerBlocks(outer, inner)
	parallel.For(outer*nb, max(1, grainTrans/(n*blk)), func(lo, hi int) {
		mx, sum := make([]float32, blk), make([]float64, blk)
		for u := lo; u < hi; u++ {
			o, c0 := u/nb, (u%nb)*blk
			c1 := min(c0+blk, inner)
			softmaxColumns(d, s, o*n*inner, n, inner, c0, c1, mx[:c1-c0], sum[:c1-c0])
		}
	})
}

// softmaxColumns computes the softmax along the strided axis for columns [c0, c1) of
// the slab at base (n rows of inner values), with scratch m and t of c1−c0 values.
func softmaxColumns(d, s []float32, base, n, inner, c0, c1 int, m []float32, t []float64) {
	copy(m, s[base+c0:base+c1])
	for j := 1; j < n; j++ {
		for i, v := range s[base+j*inner+c0 : base+j*inner+c1] {
			if v > m[i] { // NaN never wins; it still makes the column NaN below
				m[i] = v
			}
		}
	}
	clear(t)
	for j := range n {
		off := base + j*inner
		row, out := s[off+c0:off+c1], d[off+c0:off+c1]
		// x − max rounded to float32 is off by at most 6e-8·|x − max|, a relative error
		// of e^(x−max) below 7e-6 even where it is as small as float32's subnormals.
		for i, v := range row {
			out[i] = v - m[i]
		}
		expSlice(out, out, 1, 0, 0)
		for i, v := range out {
			t[i] += float64(v)
		}
	}
	inv := m // the maxima are no longer needed
	for i, v := range t {
		inv[i] = float32(1 / v)
	}
	for j := range n {
		off := base + j*inner
		out := d[off+c0 : off+c1]
		for i, v := range out {
			out[i] = v * inv[i]
		}
	}
}

// softmaxRow computes the softmax of one contiguous row: d = softmax(s), len(s) ≥ len(d).
func softmaxRow(d, s []float32) {
	s = s[:len(d)]
	m := maxRow(s)
	expSlice(d, s, 1, -float64(m), 0)
	scaleRow(d, float32(1/sumRow(d)))
}

// maxRow returns the largest value of s (len(s) ≥ 1). A NaN never wins a comparison
// (s[0] = NaN stays the maximum); either way the softmax row becomes NaN, as the
// exponentials of x − max propagate it. One running maximum with a branch measured as
// fast as several, and faster than the builtin max (its NaN and signed-zero handling
// costs ~8 instructions per value); the branch mispredicts only on new maxima, about
// ln n times on a row in random order.
func maxRow(s []float32) float32 {
	m := s[0]
	for _, v := range s {
		if v > m {
			m = v
		}
	}
	return m
}

// sumRow returns Σ s: float32 partial sums (eight accumulators) of softmaxBlock values
// each, added up in float64.
func sumRow(s []float32) float64 {
	var t float64
	for len(s) >= 8 {
		blk := s[:min(len(s), softmaxBlock)&^7]
		s = s[len(blk):]
		var a0, a1, a2, a3, a4, a5, a6, a7 float32
		for i := 0; i+8 <= len(blk); i += 8 {
			q := blk[i : i+8 : i+8]
			a0 += q[0]
			a1 += q[1]
			a2 += q[2]
			a3 += q[3]
			a4 += q[4]
			a5 += q[5]
			a6 += q[6]
			a7 += q[7]
		}
		t += float64(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)))
	}
	for _, v := range s {
		t += float64(v)
	}
	return t
}

// dotRow returns Σ a[i]·b[i] over a (b at least as long): float32 partial sums (eight
// accumulators) of softmaxBlock products each, added up in float64.
func dotRow(a, b []float32) float64 {
	b = b[:len(a)]
	var t float64
	for len(a) >= 8 {
		k := min(len(a), softmaxBlock) &^ 7
		x, y := a[:k], b[:k]
		a, b = a[k:], b[k:]
		var a0, a1, a2, a3, a4, a5, a6, a7 float32
		for i := 0; i+8 <= len(x); i += 8 {
			p, q := x[i:i+8:i+8], y[i:i+8:i+8]
			a0 += p[0] * q[0]
			a1 += p[1] * q[1]
			a2 += p[2] * q[2]
			a3 += p[3] * q[3]
			a4 += p[4] * q[4]
			a5 += p[5] * q[5]
			a6 += p[6] * q[6]
			a7 += p[7] * q[7]
		}
		t += float64(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)))
	}
	for i, v := range a {
		t += float64(v) * float64(b[i])
	}
	return t
}

// scaleRow multiplies d by f in place.
func scaleRow(d []float32, f float32) {
	i := 0
	for ; i+4 <= len(d); i += 4 {
		q := d[i : i+4 : i+4]
		q[0] *= f
		q[1] *= f
		q[2] *= f
		q[3] *= f
	}
	for ; i < len(d); i++ {
		d[i] *= f
	}
}

// softmaxBackwardRow sets d = y·(g − t) over one contiguous row, t = Σ g·y; d may be g.
func softmaxBackwardRow(d, g, y []float32) {
	g, y = g[:len(d)], y[:len(d)]
	t := float32(dotRow(g, y))
	i := 0
	for ; i+4 <= len(d); i += 4 {
		p, q, r := g[i:i+4:i+4], y[i:i+4:i+4], d[i:i+4:i+4]
		r[0] = q[0] * (p[0] - t)
		r[1] = q[1] * (p[1] - t)
		r[2] = q[2] * (p[2] - t)
		r[3] = q[3] * (p[3] - t)
	}
	for ; i < len(d); i++ {
		d[i] = y[i] * (g[i] - t)
	}
}

// SoftmaxBackward computes dx = y·(dy − Σ_axis dy·y) from the forward output y.
// dx, dy, y: same shape, contiguous; dx may be dy.
func (CPU) SoftmaxBackward(dx, dy, y *Tensor, axis int) {
	mustSameShape("SoftmaxBackward", dx, dy, y)
	outer, n, inner := reduceAxis("SoftmaxBackward", y.shape, axis)
	d, g, ys := data("SoftmaxBackward", dx), data("SoftmaxBackward", dy), data("SoftmaxBackward", y)
	if len(d) == 0 {
		return
	}
	if inner == 1 {
		parallel.For(outer, max(1, grainReduce/n), func(lo, hi int) {
			for o := lo; o < hi; o++ {
				softmaxBackwardRow(d[o*n:o*n+n], g[o*n:o*n+n], ys[o*n:o*n+n])
			}
		})
		return
	}
	blk, nb := innerBlocks(outer, inner)
	parallel.For(outer*nb, max(1, grainReduce/(n*blk)), func(lo, hi int) {
		dot := make([]float64, blk)
		for u := lo; u < hi; u++ {
			o, c0 := u/nb, (u%nb)*blk
			c1 := min(c0+blk, inner)
			base := o * n * inner
			t := dot[:c1-c0]
			clear(t)
			for j := range n {
				off := base + j*inner
				yr := ys[off+c0 : off+c1]
				for i, v := range g[off+c0 : off+c1] {
					t[i] += float64(v) * float64(yr[i])
				}
			}
			for j := range n {
				off := base + j*inner
				yr, dr := ys[off+c0:off+c1], d[off+c0:off+c1]
				for i, v := range g[off+c0 : off+c1] {
					dr[i] = float32(float64(yr[i]) * (float64(v) - t[i]))
				}
			}
		}
	})
}
