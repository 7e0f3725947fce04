package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// opaqueA and opaqueB hide the slice adapters' types, so that SgemmPackers takes the
// packer paths (no in-place A, B packed through the interface).
type opaqueA struct{ s SliceA }

func (o opaqueA) PackA(dst []float32, i0, mc, p0, kc, mr int) { o.s.PackA(dst, i0, mc, p0, kc, mr) }

type opaqueB struct{ s SliceB }

func (o opaqueB) PackB(dst []float32, j0, nc, p0, kc, nr int) { o.s.PackB(dst, j0, nc, p0, kc, nr) }

// TestSgemmPackers runs the cases of TestSgemmKernels through SgemmPackers with every
// combination of adapter and opaque packer, on every kernel variant and thread count,
// and compares with sgemm on the same kernel.
func TestSgemmPackers(t *testing.T) {
	var cases []gemmCase
	for _, s := range testSizes {
		cases = append(cases,
			gemmCase{m: s[0], n: s[1], k: s[2], alpha: 1, beta: 0},
			gemmCase{transA: true, transB: true, m: s[0], n: s[1], k: s[2], pad: 5, alpha: -0.75, beta: 0.5},
			gemmCase{transB: true, m: s[0], n: s[1], k: s[2], pad: 1, alpha: 2, beta: 1},
			gemmCase{transA: true, m: s[0], n: s[1], k: s[2], pad: 3, alpha: 1, beta: 0},
		)
	}
	for _, kern := range variants() {
		t.Run(kern.name, func(t *testing.T) {
			for _, threads := range []int{1, 2, 3} {
				for _, tc := range cases {
					for _, mode := range []string{"slices", "opaqueA", "opaqueB", "opaque"} {
						t.Run(fmt.Sprintf("threads=%d/%v/%s", threads, tc, mode), func(t *testing.T) {
							checkPackers(t, kern, threads, tc, mode)
						})
					}
				}
			}
		})
	}
}

// TestSgemmPackersLarge covers the default cache blocks (several depth blocks, a
// fused product over many strips, a blocked product with m > mc).
func TestSgemmPackersLarge(t *testing.T) {
	for _, kern := range kernels {
		for _, tc := range []gemmCase{
			{m: 64, n: 1000, k: 800, alpha: 1, beta: 0},
			{m: 16, n: 300, k: 144, pad: 1, alpha: 1, beta: 1},
			{transB: true, m: 400, n: 70, k: 530, alpha: 0.5, beta: 0.5},
		} {
			for _, mode := range []string{"opaqueB", "opaque"} {
				t.Run(fmt.Sprintf("%s/%v/%s", kern.name, tc, mode), func(t *testing.T) { checkPackers(t, kern, 2, tc, mode) })
			}
		}
	}
}

// checkPackers compares sgemmPackers (operands wrapped as mode says) with sgemm.
func checkPackers(t *testing.T, kern *kernel, threads int, tc gemmCase, mode string) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(tc.m*7919+tc.n*31+tc.k), 3))
	a, b, c, lda, ldb, ldc := tc.operands(r)
	want := append([]float32(nil), c...)
	var pa PanelA = SliceA{tc.transA, a, lda}
	var pb PanelB = SliceB{tc.transB, b, ldb}
	if mode == "opaqueA" || mode == "opaque" {
		pa = opaqueA{pa.(SliceA)}
	}
	if mode == "opaqueB" || mode == "opaque" {
		pb = opaqueB{pb.(SliceB)}
	}
	old := active
	active = kern
	defer func() { active = old }()
	sgemm(threads, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, want, ldc)
	sgemmPackers(threads, tc.m, tc.n, tc.k, tc.alpha, pa, pb, tc.beta, c, ldc)
	for i := range tc.m {
		for j := range ldc {
			got, w := c[i*ldc+j], want[i*ldc+j]
			tol := 1e-5 * float64(tc.k+1) * (1 + math.Abs(float64(w)))
			if j >= tc.n {
				tol = 0 // padding untouched
			}
			if d := math.Abs(float64(got - w)); !(d <= tol) {
				t.Fatalf("C[%d,%d] = %v, want %v", i, j, got, w)
			}
		}
	}
}

// TestSgemmPackersExported checks the exported entry points and their panics.
func TestSgemmPackersExported(t *testing.T) {
	a := []float32{1, 2, 3, 4, 5, 6} // 2×3
	b := []float32{1, 0, 0, 1, 1, 1} // 3×2
	want := []float32{4 + 10, 5 + 10, 10 + 10, 11 + 10}
	for name, f := range map[string]func(int, int, int, float32, PanelA, PanelB, float32, []float32, int){
		"SgemmPackers": SgemmPackers, "SgemmPackersSerial": SgemmPackersSerial,
	} {
		c := []float32{5, 5, 5, 5}
		f(2, 2, 3, 1, opaqueA{SliceA{A: a, Ld: 3}}, opaqueB{SliceB{B: b, Ld: 2}}, 2, c, 2)
		for i := range c {
			if c[i] != want[i] {
				t.Errorf("%s: C = %v, want %v", name, c, want)
				break
			}
		}
	}
	for name, f := range map[string]func(){
		"short A": func() {
			SgemmPackers(2, 2, 2, 1, SliceA{A: make([]float32, 3), Ld: 2}, SliceB{B: make([]float32, 4), Ld: 2}, 0, make([]float32, 4), 2)
		},
		"short C": func() {
			SgemmPackers(2, 2, 2, 1, SliceA{A: make([]float32, 4), Ld: 2}, SliceB{B: make([]float32, 4), Ld: 2}, 0, make([]float32, 3), 2)
		},
		"nil":      func() { SgemmPackers(2, 2, 2, 1, nil, SliceB{B: make([]float32, 4), Ld: 2}, 0, make([]float32, 4), 2) },
		"negative": func() { SgemmPackers(-1, 2, 2, 1, SliceA{}, SliceB{}, 0, nil, 2) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			f()
		})
	}
}
