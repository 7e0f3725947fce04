package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestSgemmRows checks SgemmRowsSerial against the reference product of op(A) and the
// B that RowsB describes, over row counts that exercise every kernel and partial
// strip (one or two rows past whole 14-row strips: 8-row strips), several depth blocks,
// transposed A and each beta case.
func TestSgemmRows(t *testing.T) {
	if !RowsAvailable() {
		t.Skip("no AVX-512 rows kernels in this build") // purego and non-AVX-512 builds fall back
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct {
		m, n, k     int
		trans       bool
		alpha, beta float32
	}{
		{1, 32, 1, false, 1, 0}, {3, 64, 9, false, 1, 0}, {4, 32, 50, false, 1, 1},
		{8, 96, 144, false, 0.5, 0}, {9, 32, 20, true, 1, 0.5}, {14, 64, 300, false, 1, 0},
		{16, 128, 144, false, 1, 0}, {22, 64, 800, false, -1, 1}, {36, 32, 576, true, 2, 0.25},
		{64, 160, 576, false, 1, 0}, {13, 32, 5, false, 1, 1},
		{15, 64, 30, true, 1, 1}, {16, 32, 400, true, 1, 0.5}, {30, 64, 20, false, 1, 0}, {29, 32, 9, false, 2, 1},
	} {
		t.Run(fmt.Sprintf("%dx%dx%d_trans%v_alpha%v_beta%v", c.m, c.n, c.k, c.trans, c.alpha, c.beta), func(t *testing.T) {
			// B row p of column j = X[base(j) + off[p] + j%32]: bases per strip and
			// offsets scattered over X (overlapping rows allowed).
			x := make([]float32, 5000+c.n*3)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			off := make([]int, c.k)
			for p := range off {
				off[p] = rng.IntN(4000)
			}
			strips := c.n / RowsWidth
			bases := make([]int, strips)
			for s := range bases {
				bases[s] = rng.IntN(len(x) - 4000 - RowsWidth)
			}
			b := RowsB{X: x, Off: off, Base: func(j int) int { return bases[j/RowsWidth] }}
			lda := c.k + 3
			if c.trans {
				lda = c.m + 2
			}
			a := make([]float32, lda*max(c.m, c.k))
			for i := range a {
				a[i] = float32(rng.NormFloat64())
			}
			ldc := c.n + 5
			cm := make([]float32, ldc*c.m)
			for i := range cm {
				cm[i] = float32(rng.NormFloat64())
			}
			want := make([]float64, len(cm))
			for i := range c.m {
				for j := range c.n {
					var s float64
					for p := range c.k {
						av := a[i*lda+p]
						if c.trans {
							av = a[p*lda+i]
						}
						s += float64(av) * float64(x[bases[j/RowsWidth]+off[p]+j%RowsWidth])
					}
					v := float64(c.alpha) * s
					if c.beta != 0 {
						v += float64(c.beta) * float64(cm[i*ldc+j])
					}
					want[i*ldc+j] = v
				}
			}
			SgemmRowsSerial(c.m, c.n, c.k, c.alpha, SliceA{Trans: c.trans, A: a, Ld: lda}, b, c.beta, cm, ldc)
			for i := range c.m {
				for j := range c.n {
					got, w := cm[i*ldc+j], want[i*ldc+j]
					if d := float64(got) - w; d > 1e-3*(1+abs64(w)) || d < -1e-3*(1+abs64(w)) {
						t.Fatalf("C[%d,%d] = %v, want %v", i, j, got, w)
					}
				}
			}
		})
	}
}

// TestSgemmRowsBounds checks that reads past X panic instead of reaching the kernels.
func TestSgemmRowsBounds(t *testing.T) {
	if !RowsAvailable() {
		t.Skip("no AVX-512 rows kernels in this build")
	}
	x := make([]float32, 100)
	a := make([]float32, 4)
	c := make([]float32, 2*32)
	defer func() {
		if recover() == nil {
			t.Error("no panic for a strip read past X")
		}
	}()
	SgemmRowsSerial(2, 32, 2, 1, SliceA{A: a, Ld: 2}, RowsB{X: x, Off: []int{0, 60}, Base: func(int) int { return 10 }}, 0, c, 32)
}

func abs64(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}
