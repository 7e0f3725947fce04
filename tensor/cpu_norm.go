package tensor

import (
	"fmt"
	"math"

	"github.com/selfsup/selfsup/internal/parallel"
)

// grainNorm is the number of elements worth handing to another core in a
// normalisation kernel.
const grainNorm = 1 << 13

// optData returns t's contiguous data, or nil for a nil tensor, checking the length.
func optData(op, name string, t *Tensor, n int) []float32 {
	if t == nil {
		return nil
	}
	if t.Numel() != n {
		panic(fmt.Sprintf("tensor: %s: %s %v, want %d elements", op, name, t.shape, n))
	}
	return data(op, t)
}

// rows2D returns R, D for a tensor treated as [R, D] (the last axis is D).
func rows2D(op string, x *Tensor) (int, int) {
	if len(x.shape) < 1 {
		panic(fmt.Sprintf("tensor: %s: x %v has no feature axis", op, x.shape))
	}
	d := x.shape[len(x.shape)-1]
	if d == 0 {
		return 0, 0
	}
	return x.Numel() / d, d
}

// LayerNorm normalises each row of x: [R, D] over D: dst = (x−μ)·rstd·w + b, saving
// mean: [R] and rstd: [R] = 1/√(var+eps) (biased variance, float64, one pass shifted
// by the row's first value). x may have
// more leading axes (R is their product); w, b: [D] or nil. dst: x's shape.
func (CPU) LayerNorm(dst, mean, rstd, x, w, b *Tensor, eps float32) {
	mustSameShape("LayerNorm", x, dst)
	R, D := rows2D("LayerNorm", x)
	xs, ys := data("LayerNorm", x), data("LayerNorm", dst)
	ms, rs := optData("LayerNorm", "mean", mean, R), optData("LayerNorm", "rstd", rstd, R)
	ws, bs := optData("LayerNorm", "w", w, D), optData("LayerNorm", "b", b, D)
	if ms == nil || rs == nil {
		panic("tensor: LayerNorm: mean and rstd are required")
	}
	parallel.For(R, max(1, grainNorm/max(D, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row, out := xs[r*D:(r+1)*D], ys[r*D:(r+1)*D]
			s1, s2 := shiftedSums(row, float64(row[0]))
			d := s1 / float64(D)
			mu := float64(row[0]) + d
			rsd := 1 / math.Sqrt(max(s2/float64(D)-d*d, 0)+float64(eps))
			ms[r], rs[r] = float32(mu), float32(rsd)
			for i, x := range row {
				h := (float64(x) - mu) * rsd
				if ws != nil {
					h *= float64(ws[i])
				}
				if bs != nil {
					h += float64(bs[i])
				}
				out[i] = float32(h)
			}
		}
	})
}

// LayerNormBackward computes dx: [R, D] and, when non-nil, dw, db: [D] (overwritten)
// from dy: [R, D], the forward input x, w: [D] (nil means 1) and the saved mean, rstd:
// [R] (llm.c's layernorm_backward).
func (CPU) LayerNormBackward(dx, dw, db, dy, x, w, mean, rstd *Tensor) {
	mustSameShape("LayerNormBackward", x, dx, dy)
	R, D := rows2D("LayerNormBackward", x)
	xs, g, d := data("LayerNormBackward", x), data("LayerNormBackward", dy), data("LayerNormBackward", dx)
	ws := optData("LayerNormBackward", "w", w, D)
	dws, dbs := optData("LayerNormBackward", "dw", dw, D), optData("LayerNormBackward", "db", db, D)
	ms := optData("LayerNormBackward", "mean", mean, R)
	rs := optData("LayerNormBackward", "rstd", rstd, R)
	if ms == nil || rs == nil {
		panic("tensor: LayerNormBackward: mean and rstd are required")
	}
	needParams := dws != nil || dbs != nil
	chunks := 1
	if R >= 2 && R*D >= 2*grainNorm {
		chunks = min(parallel.Threads(), R)
	}
	size := (R + chunks - 1) / max(chunks, 1)
	var pw, pb []float64 // per-chunk partial dw, db
	if needParams {
		pw, pb = make([]float64, chunks*D), make([]float64, chunks*D)
	}
	parallel.ForChunks(R, chunks, func(lo, hi int) {
		var aw, ab []float64
		if needParams {
			c := lo / size
			aw, ab = pw[c*D:(c+1)*D], pb[c*D:(c+1)*D]
		}
		for r := lo; r < hi; r++ {
			row, gr, out := xs[r*D:(r+1)*D], g[r*D:(r+1)*D], d[r*D:(r+1)*D]
			mu, rsd := float64(ms[r]), float64(rs[r])
			// dnorm = dy·w; mean(dnorm) and mean(dnorm·x̂).
			var sdn, sdnx float64
			for i, x := range row {
				h := (float64(x) - mu) * rsd
				dn := float64(gr[i])
				if ws != nil {
					dn *= float64(ws[i])
				}
				sdn += dn
				sdnx += dn * h
				if aw != nil {
					aw[i] += float64(gr[i]) * h
					ab[i] += float64(gr[i])
				}
			}
			sdn /= float64(D)
			sdnx /= float64(D)
			for i, x := range row {
				h := (float64(x) - mu) * rsd
				dn := float64(gr[i])
				if ws != nil {
					dn *= float64(ws[i])
				}
				out[i] = float32((dn - sdn - h*sdnx) * rsd)
			}
		}
	})
	if needParams {
		writeChunkSums(dws, pw, chunks, D)
		writeChunkSums(dbs, pb, chunks, D)
	}
}

// writeChunkSums sets dst[i] = Σ_c part[c·n+i] when dst is non-nil.
func writeChunkSums(dst []float32, part []float64, chunks, n int) {
	if dst == nil {
		return
	}
	for i := range n {
		t := 0.0
		for c := range chunks {
			t += part[c*n+i]
		}
		dst[i] = float32(t)
	}
}

// bnShape returns N, C, S of x: [N, C, *S] (S is the product of the trailing axes,
// 1 for [N, C]).
func bnShape(op string, x *Tensor) (n, c, s int) {
	if len(x.shape) < 2 {
		panic(fmt.Sprintf("tensor: %s: x %v, want [N, C, ...]", op, x.shape))
	}
	n, c, s = x.shape[0], x.shape[1], 1
	for _, d := range x.shape[2:] {
		s *= d
	}
	return n, c, s
}

// BatchNorm normalises x: [N, C, S] (any trailing spatial axes, or none) per channel:
// dst = (x−μ_c)/√(var_c+eps)·w_c + b_c. mean, variance: [C]; if train they are
// overwritten with the batch mean and biased variance (float64, one shifted pass), otherwise
// read. w, b: [C] or nil.
func (CPU) BatchNorm(dst, mean, variance, x, w, b *Tensor, eps float32, train bool) {
	mustSameShape("BatchNorm", x, dst)
	N, C, S := bnShape("BatchNorm", x)
	xs, ys := data("BatchNorm", x), data("BatchNorm", dst)
	ms, vs := optData("BatchNorm", "mean", mean, C), optData("BatchNorm", "variance", variance, C)
	ws, bs := optData("BatchNorm", "w", w, C), optData("BatchNorm", "b", b, C)
	if ms == nil || vs == nil {
		panic("tensor: BatchNorm: mean and variance are required")
	}
	if len(xs) == 0 {
		return
	}
	grain := max(1, grainNorm/S)
	mu := make([]float64, C)
	if train {
		// One pass of per-(n, c) partial sums of x−k and (x−k)² in float64, shifted by
		// k_c = the channel's first value so that no cancellation is left in
		// var = E[(x−k)²] − E[x−k]² (it would need |μ−k| ≫ 1e4·σ to cost float32 digits).
		p1, p2 := make([]float64, N*C), make([]float64, N*C)
		M := float64(N * S)
		parallel.For(N*C, grain, func(lo, hi int) {
			for u := lo; u < hi; u++ {
				p1[u], p2[u] = shiftedSums(xs[u*S:(u+1)*S], float64(xs[(u%C)*S]))
			}
		})
		vr := make([]float64, C)
		channelTotals(mu, p1, N, C, M)
		channelTotals(vr, p2, N, C, M)
		for c := range C {
			d := mu[c]
			mu[c] = float64(xs[c*S]) + d
			vr[c] = max(vr[c]-d*d, 0)
			ms[c], vs[c] = float32(mu[c]), float32(vr[c])
		}
	} else {
		for c := range C {
			mu[c] = float64(ms[c])
		}
	}
	// Per-channel scale and shift in float64: dst = x·sc + sh.
	sc, sh := make([]float64, C), make([]float64, C)
	for c := range C {
		r := 1 / math.Sqrt(float64(vs[c])+float64(eps))
		if ws != nil {
			r *= float64(ws[c])
		}
		sc[c] = r
		if bs != nil {
			sh[c] = float64(bs[c])
		}
	}
	parallel.For(N*C, grain, func(lo, hi int) {
		for u := lo; u < hi; u++ {
			c := u % C
			bnNormalise(ys[u*S:(u+1)*S], xs[u*S:(u+1)*S], mu[c], sc[c], sh[c])
		}
	})
}

// shiftedSums returns Σ(x−k) and Σ(x−k)² over s in float64 (AVX-512 when the CPU
// has it, then shiftedSumsGo for the tail).
func shiftedSums(s []float32, k float64) (s1, s2 float64) {
	if useAVX512Math && len(s) >= 8 {
		n := len(s) &^ 7
		var lanes [16]float64
		bnSumsAVX512(&s[0], n, k, &lanes)
		t1, t2 := shiftedSumsGo(s[n:], k)
		return laneSum(&lanes, 0) + t1, laneSum(&lanes, 8) + t2
	}
	return shiftedSumsGo(s, k)
}

// shiftedSumsGo is shiftedSums in plain Go, with four interleaved accumulators so
// that the loop is not bound by the latency of one addition chain.
func shiftedSumsGo(s []float32, k float64) (s1, s2 float64) {
	var a0, a1, a2, a3, b0, b1, b2, b3 float64
	i := 0
	for ; i+4 <= len(s); i += 4 {
		e0, e1, e2, e3 := float64(s[i])-k, float64(s[i+1])-k, float64(s[i+2])-k, float64(s[i+3])-k
		a0, a1, a2, a3 = a0+e0, a1+e1, a2+e2, a3+e3
		b0, b1, b2, b3 = b0+e0*e0, b1+e1*e1, b2+e2*e2, b3+e3*e3
	}
	for ; i < len(s); i++ {
		e := float64(s[i]) - k
		a0 += e
		b0 += e * e
	}
	return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)
}

// laneSum returns the pairwise sum of the 8 lanes l[at:at+8].
func laneSum(l *[16]float64, at int) float64 {
	v := l[at : at+8]
	return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]))
}

// gradSums returns Σg and Σg·(x−m) over g and x (equal lengths) in float64 (AVX-512
// when the CPU has it, then gradSumsGo for the tail).
func gradSums(g, x []float32, m float64) (sg, sgx float64) {
	x = x[:len(g)]
	if useAVX512Math && len(g) >= 8 {
		n := len(g) &^ 7
		var lanes [16]float64
		bnGradSumsAVX512(&g[0], &x[0], n, m, &lanes)
		t1, t2 := gradSumsGo(g[n:], x[n:], m)
		return laneSum(&lanes, 0) + t1, laneSum(&lanes, 8) + t2
	}
	return gradSumsGo(g, x, m)
}

// gradSumsGo is gradSums in plain Go, with four interleaved accumulators.
func gradSumsGo(g, x []float32, m float64) (sg, sgx float64) {
	x = x[:len(g)]
	var a0, a1, a2, a3, b0, b1, b2, b3 float64
	i := 0
	for ; i+4 <= len(g); i += 4 {
		g0, g1, g2, g3 := float64(g[i]), float64(g[i+1]), float64(g[i+2]), float64(g[i+3])
		a0, a1, a2, a3 = a0+g0, a1+g1, a2+g2, a3+g3
		b0 += g0 * (float64(x[i]) - m)
		b1 += g1 * (float64(x[i+1]) - m)
		b2 += g2 * (float64(x[i+2]) - m)
		b3 += g3 * (float64(x[i+3]) - m)
	}
	for ; i < len(g); i++ {
		a0 += float64(g[i])
		b0 += float64(g[i]) * (float64(x[i]) - m)
	}
	return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)
}

// bnNormalise sets out[i] = float32((x[i]−m)·a + o) in float64 (AVX-512 when the CPU
// has it); len(x) ≥ len(out).
func bnNormalise(out, x []float32, m, a, o float64) {
	x = x[:len(out)]
	i := 0
	if useAVX512Math && len(out) >= 8 {
		i = len(out) &^ 7
		bnNormAVX512(&out[0], &x[0], i, m, a, o)
	}
	for ; i < len(out); i++ {
		out[i] = float32((float64(x[i])-m)*a + o)
	}
}

// bnBackwardRow sets out[i] = float32(k·(g[i] − a − (x[i]−m)·rb)) in float64
// (AVX-512 when the CPU has it); len(g), len(x) ≥ len(out).
func bnBackwardRow(out, g, x []float32, m, k, a, rb float64) {
	g, x = g[:len(out)], x[:len(out)]
	i := 0
	if useAVX512Math && len(out) >= 8 {
		i = len(out) &^ 7
		bnBackwardAVX512(&out[0], &g[0], &x[0], i, m, k, a, rb)
	}
	for ; i < len(out); i++ {
		out[i] = float32(k * (float64(g[i]) - a - (float64(x[i])-m)*rb))
	}
}

// channelTotals sets dst[c] = Σ_n part[n·C+c] / m.
func channelTotals(dst, part []float64, N, C int, m float64) {
	for c := range C {
		t := 0.0
		for n := range N {
			t += part[n*C+c]
		}
		dst[c] = t / m
	}
}

// BatchNormBackward computes dx: [N, C, S] and, when non-nil, dw, db: [C]
// (overwritten) for [CPU.BatchNorm] with the same mean, variance, eps and train flag.
// In train mode dx = w·rstd·(dy − mean(dy) − x̂·mean(dy·x̂)); in eval mode
// dx = dy·w·rstd. dw = Σ dy·x̂, db = Σ dy over N and S.
func (CPU) BatchNormBackward(dx, dw, db, dy, x, w, mean, variance *Tensor, eps float32, train bool) {
	mustSameShape("BatchNormBackward", x, dx, dy)
	N, C, S := bnShape("BatchNormBackward", x)
	xs, g, d := data("BatchNormBackward", x), data("BatchNormBackward", dy), data("BatchNormBackward", dx)
	ws := optData("BatchNormBackward", "w", w, C)
	dws, dbs := optData("BatchNormBackward", "dw", dw, C), optData("BatchNormBackward", "db", db, C)
	ms := optData("BatchNormBackward", "mean", mean, C)
	vs := optData("BatchNormBackward", "variance", variance, C)
	if ms == nil || vs == nil {
		panic("tensor: BatchNormBackward: mean and variance are required")
	}
	if len(xs) == 0 {
		return
	}
	grain := max(1, grainNorm/S)
	mu, rsd := make([]float64, C), make([]float64, C)
	for c := range C {
		mu[c] = float64(ms[c])
		rsd[c] = 1 / math.Sqrt(float64(vs[c])+float64(eps))
	}
	var sdy, sdyx []float64 // per-channel Σdy and Σdy·x̂
	if train || dws != nil || dbs != nil {
		p1, p2 := make([]float64, N*C), make([]float64, N*C)
		parallel.For(N*C, grain, func(lo, hi int) {
			for u := lo; u < hi; u++ {
				c := u % C
				a, b := gradSums(g[u*S:(u+1)*S], xs[u*S:(u+1)*S], mu[c])
				p1[u], p2[u] = a, b*rsd[c]
			}
		})
		sdy, sdyx = make([]float64, C), make([]float64, C)
		channelTotals(sdy, p1, N, C, 1)
		channelTotals(sdyx, p2, N, C, 1)
		for c := range C {
			if dws != nil {
				dws[c] = float32(sdyx[c])
			}
			if dbs != nil {
				dbs[c] = float32(sdy[c])
			}
		}
	}
	M := float64(N * S)
	parallel.For(N*C, grain, func(lo, hi int) {
		for u := lo; u < hi; u++ {
			c := u % C
			m, r := mu[c], rsd[c]
			k := r
			if ws != nil {
				k *= float64(ws[c])
			}
			gr, out := g[u*S:(u+1)*S], d[u*S:(u+1)*S]
			if !train {
				for i, v := range gr {
					out[i] = float32(float64(v) * k)
				}
				continue
			}
			bnBackwardRow(out, gr, xs[u*S:(u+1)*S], m, k, sdy[c]/M, r*sdyx[c]/M)
		}
	})
}
