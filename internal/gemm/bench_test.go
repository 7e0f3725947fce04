package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkKernel measures each micro-kernel alone on cache-resident panels.
func BenchmarkKernel(b *testing.B) {
	for _, kern := range kernels {
		b.Run(kern.name, func(b *testing.B) {
			const kc = 256
			r := rand.New(rand.NewPCG(1, 1))
			a, bp := randSlice(r, kc*kern.mr), randSlice(r, kc*kern.nr)
			c := make([]float32, kern.mr*kern.nr)
			for b.Loop() {
				kern.fn(kc, a, 1, kern.mr, bp, c, kern.nr, 1, true)
			}
			b.ReportMetric(2*float64(kc*kern.mr*kern.nr)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkSgemm measures the whole product per kernel and thread count.
func BenchmarkSgemm(b *testing.B) {
	for _, s := range [][3]int{{1024, 1024, 1024}, {16384, 64, 576}, {9, 9, 8}, {64, 64, 64}} {
		m, n, k := s[0], s[1], s[2]
		r := rand.New(rand.NewPCG(1, 1))
		a, bb, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
		for _, kern := range kernels {
			for _, threads := range []int{1, 2} {
				b.Run(fmt.Sprintf("%dx%dx%d/%s/threads=%d", m, n, k, kern.name, threads), func(b *testing.B) {
					old := active
					active = kern
					defer func() { active = old }()
					for b.Loop() {
						sgemm(threads, false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
					}
					b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkPackA measures packing one full mc×kc block of op(A) into 14-row strips,
// from A as stored (gathering across rows) and transposed (a run of each row per step).
func BenchmarkPackA(b *testing.B) {
	const mr, mc, kc, lda = 14, 336, 384, 1536
	r := rand.New(rand.NewPCG(1, 1))
	a := randSlice(r, lda*lda)
	dst := make([]float32, mc*kc)
	for _, transA := range []bool{false, true} {
		b.Run(fmt.Sprintf("transA=%v", transA), func(b *testing.B) {
			for b.Loop() {
				packA(dst, transA, a, lda, 28, mc, 14, kc, mr)
			}
			b.ReportMetric(float64(4*mc*kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}

// BenchmarkSgemmTransA measures a weight-gradient shaped product dW = dYᵀ·X
// (op(A) = Aᵀ with A: [k, m]), as every Linear's backward runs it.
func BenchmarkSgemmTransA(b *testing.B) {
	const m, n, k = 384, 1536, 3072
	r := rand.New(rand.NewPCG(1, 1))
	a, bb, c := randSlice(r, k*m), randSlice(r, k*n), make([]float32, m*n)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("%dx%dx%d/threads=%d", m, n, k, threads), func(b *testing.B) {
			for b.Loop() {
				sgemm(threads, true, false, m, n, k, 1, a, m, bb, n, 0, c, n)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
