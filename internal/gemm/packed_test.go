package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSgemmPackedSerial checks PackA, SgemmPackedSerial and SgemmStripsSerial against sgemm on the cases
// of TestSgemmKernels (transposed A and not, each beta case, several depth blocks with
// tiny blocks), with B packed into strips whose lanes past n hold NaN.
func TestSgemmPackedSerial(t *testing.T) {
	if !PackedAvailable() {
		t.Skip("no packed-operand kernels in this build")
	}
	defer func(k *kernel) { active = k }(active)
	base := *active
	tiny := base
	tiny.kc = 7
	for _, kern := range []*kernel{&base, &tiny} {
		active = kern
		for _, s := range testSizes {
			for _, tc := range []gemmCase{
				{m: s[0], n: s[1], k: s[2], alpha: 1, beta: 0},
				{transA: true, m: s[0], n: s[1], k: s[2], pad: 3, alpha: -0.5, beta: 1},
				{m: s[0], n: s[1], k: s[2], pad: 1, alpha: 2, beta: 0.5},
			} {
				t.Run(fmt.Sprintf("kc=%d/%v", kern.kc, tc), func(t *testing.T) {
					r := rand.New(rand.NewPCG(uint64(tc.m*31+tc.n), uint64(tc.k)))
					a, b, c, lda, ldb, ldc := tc.operands(r)
					want := append([]float32(nil), c...)
					sgemm(1, tc.transA, false, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, want, ldc)
					const nr = PackedWidth
					bp := make([]float32, ceilDiv(tc.n, nr)*tc.k*nr)
					for i := range bp {
						bp[i] = float32(math.NaN())
					}
					for p := range tc.k {
						for j := range tc.n {
							bp[j/nr*tc.k*nr+p*nr+j%nr] = b[p*ldb+j]
						}
					}
					c2 := append([]float32(nil), c...)
					pa := PackA(nil, SliceA{Trans: tc.transA, A: a, Ld: lda}, tc.m, tc.k)
					SgemmPackedSerial(tc.m, tc.n, tc.k, tc.alpha, pa, bp, tc.beta, c, ldc)
					SgemmStripsSerial(tc.m, tc.n, tc.k, tc.alpha, SliceA{Trans: tc.transA, A: a, Ld: lda}, bp, tc.beta, c2, ldc)
					checkClose(t, "packed", c, want, tc, ldc)
					checkClose(t, "strips", c2, want, tc, ldc)
				})
			}
		}
	}
}

// checkClose compares C with want (columns past n must be untouched).
func checkClose(t *testing.T, what string, c, want []float32, tc gemmCase, ldc int) {
	t.Helper()
	for i := range tc.m {
		for j := range ldc {
			got, w := c[i*ldc+j], want[i*ldc+j]
			tol := 1e-5 * float64(tc.k+1) * (1 + math.Abs(float64(w)))
			if j >= tc.n {
				tol = 0
			}
			if d := math.Abs(float64(got - w)); !(d <= tol) {
				t.Fatalf("%s: C[%d,%d] = %v, want %v", what, i, j, got, w)
			}
		}
	}
}
