package tensor

import "github.com/selfsup/selfsup/internal/parallel"

// Softmax computes dst = softmax(x) along axis: exp(x − max) / Σ exp(x − max).
// x, dst: same shape, contiguous. Sums accumulate in float64.
func (CPU) Softmax(dst, x *Tensor, axis int) {
	mustSameShape("Softmax", dst, x)
	outer, n, inner := reduceAxis("Softmax", x.shape, axis)
	d, s := data("Softmax", dst), data("Softmax", x)
	if len(d) == 0 {
		return
	}
	blk, nb := innerBlocks(outer, inner)
	parallel.For(outer*nb, max(1, grainTrans/(n*blk)), func(lo, hi int) {
		var mx []float32
		var sum []float64
		if inner > 1 {
			mx, sum = make([]float32, blk), make([]float64, blk)
		}
		for u := lo; u < hi; u++ {
			o, c0 := u/nb, (u%nb)*blk
			c1 := min(c0+blk, inner)
			base := o * n * inner
			if inner == 1 {
				softmaxRow(d[base:base+n], s[base:base+n])
				continue
			}
			w := c1 - c0
			m, t := mx[:w], sum[:w]
			copy(m, s[base+c0:base+c1])
			for j := 1; j < n; j++ {
				for i, v := range s[base+j*inner+c0 : base+j*inner+c1] {
					if v > m[i] {
						m[i] = v
					}
				}
			}
			clear(t)
			for j := range n {
				off := base + j*inner
				row, out := s[off+c0:off+c1], d[off+c0:off+c1]
				for i, v := range row {
					e := expF(float64(v) - float64(m[i]))
					out[i] = float32(e)
					t[i] += e
				}
			}
			for i := range t {
				t[i] = 1 / t[i]
			}
			for j := range n {
				off := base + j*inner
				out := d[off+c0 : off+c1]
				for i, v := range out {
					out[i] = float32(float64(v) * t[i])
				}
			}
		}
	})
}

// softmaxRow computes the softmax of one contiguous row.
func softmaxRow(d, s []float32) {
	s = s[:len(d)]
	m := s[0]
	for _, v := range s {
		if v > m { // NaN never wins; it still makes the row NaN below
			m = v
		}
	}
	expSlice(d, s, 1, -float64(m), 0)
	inv := 1 / sum64(d)
	for i, v := range d {
		d[i] = float32(float64(v) * inv)
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
	blk, nb := innerBlocks(outer, inner)
	parallel.For(outer*nb, max(1, grainReduce/(n*blk)), func(lo, hi int) {
		var dot []float64
		if inner > 1 {
			dot = make([]float64, blk)
		}
		for u := lo; u < hi; u++ {
			o, c0 := u/nb, (u%nb)*blk
			c1 := min(c0+blk, inner)
			base := o * n * inner
			if inner == 1 {
				gr, yr, dr := g[base:base+n], ys[base:base+n], d[base:base+n]
				t := dot64(gr, yr)
				for i, v := range gr {
					dr[i] = float32(float64(yr[i]) * (float64(v) - t))
				}
				continue
			}
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

// dot64 returns Σ a[i]·b[i] over a (b at least as long) in float64, with four
// interleaved accumulators.
func dot64(a, b []float32) float64 {
	b = b[:len(a)]
	var t0, t1, t2, t3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		t0 += float64(a[i]) * float64(b[i])
		t1 += float64(a[i+1]) * float64(b[i+1])
		t2 += float64(a[i+2]) * float64(b[i+2])
		t3 += float64(a[i+3]) * float64(b[i+3])
	}
	for ; i < len(a); i++ {
		t0 += float64(a[i]) * float64(b[i])
	}
	return (t0 + t1) + (t2 + t3)
}
