package tensor_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/selfsup/selfsup/tensor"
)

// BenchmarkMatMul compares tensor.CPU{}.MatMul with gonum's blas32.Gemm on square
// sizes and on the training shapes, reporting GFLOP/s (2·M·N·K per op).
func BenchmarkMatMul(b *testing.B) {
	shapes := [][3]int{ // M, K, N
		{256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024}, {2048, 2048, 2048},
		{4096, 768, 768}, {4096, 768, 3072}, {16384, 576, 64},
	}
	for _, s := range shapes {
		m, k, n := s[0], s[1], s[2]
		r := rand.New(rand.NewPCG(1, 2))
		ad, bd, cd := randData(r, m*k), randData(r, k*n), make([]float32, m*n)
		flops := 2 * float64(m) * float64(n) * float64(k)
		b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
			b.Run("selfsup", func(b *testing.B) {
				at, bt, ct := tensor.FromSlice(ad, m, k), tensor.FromSlice(bd, k, n), tensor.FromSlice(cd, m, n)
				tensor.CPU{}.MatMul(ct, at, bt, false, false, 1, 0) // warm up pools and pages
				for b.Loop() {
					tensor.CPU{}.MatMul(ct, at, bt, false, false, 1, 0)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
			b.Run("gonum", func(b *testing.B) {
				ag := blas32.General{Rows: m, Cols: k, Stride: k, Data: ad}
				bg := blas32.General{Rows: k, Cols: n, Stride: n, Data: bd}
				cg := blas32.General{Rows: m, Cols: n, Stride: n, Data: cd}
				blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, ag, bg, 0, cg)
				for b.Loop() {
					blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, ag, bg, 0, cg)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		})
	}
}

// BenchmarkMatMulBatched measures many small products (attention heads: [B, 9, 8]×[B, 8, 9]).
func BenchmarkMatMulBatched(b *testing.B) {
	const batch, m, k, n = 4096, 9, 8, 9
	r := rand.New(rand.NewPCG(3, 4))
	at := tensor.FromSlice(randData(r, batch*m*k), batch, m, k)
	bt := tensor.FromSlice(randData(r, batch*k*n), batch, k, n)
	ct := tensor.FromSlice(make([]float32, batch*m*n), batch, m, n)
	tensor.CPU{}.MatMul(ct, at, bt, false, false, 1, 0)
	for b.Loop() {
		tensor.CPU{}.MatMul(ct, at, bt, false, false, 1, 0)
	}
	b.ReportMetric(2*float64(batch*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func randData(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}
