package gemm

import (
	"fmt"
	"github.com/selfsup/selfsup/internal/parallel"
	"math"
	"math/rand/v2"
	"testing"
)

// variants returns every kernel this build can run, each also with tiny cache blocks
// so that the kc/mc/nc loops, edge strips and task splits are exercised on small
// sizes, and (for kernels that can read A in place) with in-place A always and never.
func variants() []*kernel {
	var vs []*kernel
	for _, k := range kernels {
		vs = append(vs, k)
		for _, directN := range []int{0, 1 << 30} {
			tiny := *k
			tiny.kc, tiny.mc, tiny.nc = 7, 2*k.mr, 2*k.nr
			tiny.name += "-tinyblocks"
			tiny.small = nil // the packed path on small sizes too
			if k.strided {
				tiny.directN = directN
				tiny.name += fmt.Sprintf("-directN=%d", directN)
			} else if directN > 0 {
				continue
			}
			vs = append(vs, &tiny)
		}
	}
	return vs
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	pad            int // extra leading-dimension elements on A, B and C
	alpha, beta    float32
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,%dx%dx%d,pad=%d,alpha=%g,beta=%g", tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.pad, tc.alpha, tc.beta)
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

// operands returns random op(A), op(B) and C for tc, stored with tc.pad extra columns,
// and their leading dimensions.
func (tc gemmCase) operands(r *rand.Rand) (a, b, c []float32, lda, ldb, ldc int) {
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = ac, ar
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = bc, br
	}
	lda, ldb, ldc = ac+tc.pad, bc+tc.pad, tc.n+tc.pad
	a = randSlice(r, max(0, ar*lda))
	b = randSlice(r, max(0, br*ldb))
	c = randSlice(r, max(0, tc.m*ldc))
	return a, b, c, lda, ldb, ldc
}

// check runs one case through sgemm with the given kernel and thread count and
// compares against a float64 reference; it also checks C's padding is untouched.
func check(t *testing.T, kern *kernel, threads int, tc gemmCase) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(tc.m*1000003+tc.n*1009+tc.k), 7))
	a, b, c, lda, ldb, ldc := tc.operands(r)
	if tc.beta == 0 {
		for i := range c {
			c[i] = float32(math.NaN())
		}
	}
	c0 := append([]float32(nil), c...)
	at := func(i, p int) float64 {
		if tc.transA {
			return float64(a[p*lda+i])
		}
		return float64(a[i*lda+p])
	}
	bt := func(p, j int) float64 {
		if tc.transB {
			return float64(b[j*ldb+p])
		}
		return float64(b[p*ldb+j])
	}

	old := active
	active = kern
	sgemm(threads, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
	active = old

	bad := 0
	for i := range tc.m {
		for j := range ldc {
			got := c[i*ldc+j]
			if j >= tc.n {
				if math.Float32bits(got) != math.Float32bits(c0[i*ldc+j]) {
					t.Fatalf("C[%d,%d] in the padding changed: %v → %v", i, j, c0[i*ldc+j], got)
				}
				continue
			}
			var want, mag float64
			for p := range tc.k {
				v := at(i, p) * bt(p, j)
				want += v
				mag += math.Abs(v)
			}
			want *= float64(tc.alpha)
			mag *= math.Abs(float64(tc.alpha))
			if tc.beta != 0 {
				want += float64(tc.beta) * float64(c0[i*ldc+j])
				mag += math.Abs(float64(tc.beta) * float64(c0[i*ldc+j]))
			}
			tol := 1e-6*float64(tc.k+1)*mag + 1e-30
			if d := math.Abs(float64(got) - want); !(d <= tol) {
				if bad++; bad <= 5 {
					t.Errorf("C[%d,%d] = %v, want %v (tolerance %.3g)", i, j, got, want, tol)
				}
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d elements wrong", bad, tc.m*tc.n)
	}
}

// testSizes are the m, n, k of the product tests: every edge-strip height, partial
// column strips, and row counts one or two past a whole number of strips (15, 16, 30,
// 72), which macro does as 8-row strips.
var testSizes = [][3]int{
	{1, 1, 1}, {3, 5, 7}, {8, 8, 8}, {9, 8, 9}, {17, 33, 65}, {100, 1, 100}, {1, 100, 1},
	{1, 1, 300}, {130, 257, 70}, {14, 32, 5}, {28, 64, 300}, {5, 3, 0}, {0, 4, 3}, {4, 0, 3},
	{5, 16, 4}, {7, 17, 6}, {20, 32, 40}, {40, 31, 3}, {9, 64, 9}, {6, 70, 5},
	{15, 40, 9}, {16, 70, 20}, {30, 33, 10}, {72, 65, 11},
}

func TestSgemmKernels(t *testing.T) {
	var cases []gemmCase
	for _, s := range testSizes {
		for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
			cases = append(cases, gemmCase{transA: tr[0], transB: tr[1], m: s[0], n: s[1], k: s[2], alpha: 1, beta: 0})
		}
		cases = append(cases,
			gemmCase{m: s[0], n: s[1], k: s[2], pad: 3, alpha: 1, beta: 1},
			gemmCase{transA: true, transB: true, m: s[0], n: s[1], k: s[2], pad: 5, alpha: -0.75, beta: 0.5},
			gemmCase{transB: true, m: s[0], n: s[1], k: s[2], pad: 1, alpha: 2, beta: 0},
			gemmCase{m: s[0], n: s[1], k: s[2], alpha: 0, beta: 0.5},
		)
	}
	for _, kern := range variants() {
		t.Run(kern.name, func(t *testing.T) {
			for _, threads := range []int{1, 2, 3} {
				for _, tc := range cases {
					t.Run(fmt.Sprintf("threads=%d/%v", threads, tc), func(t *testing.T) {
						check(t, kern, threads, tc)
					})
				}
			}
		})
	}
}

// TestSgemmLarge covers sizes past the default cache blocks of every kernel
// (several kc blocks, a row count that is not a multiple of any mr).
func TestSgemmLarge(t *testing.T) {
	for _, kern := range variants() {
		if kern.kc < 16 {
			continue // tiny blocks are covered by TestSgemmKernels
		}
		for _, tc := range []gemmCase{
			{m: 301, n: 97, k: 530, alpha: 1, beta: 0},
			{m: 301, n: 97, k: 530, pad: 1024 - 530, alpha: 1, beta: 0.5},
			{transA: true, transB: true, m: 67, n: 1100, k: 260, pad: 2, alpha: 0.5, beta: 1},
			// Rows 14·k + 8 and 14·k + 4: full 8×32 and 4×32 edge tiles accumulate into C
			// directly over several kc blocks.
			{m: 22, n: 96, k: 600, alpha: 1, beta: 0},
			{m: 36, n: 70, k: 530, pad: 3, alpha: -0.5, beta: 1},
			{transA: true, m: 18, n: 64, k: 700, alpha: 1.5, beta: 0.25},
		} {
			t.Run(fmt.Sprintf("%s/%v", kern.name, tc), func(t *testing.T) { check(t, kern, 2, tc) })
		}
	}
}

// TestSgemmExported checks the exported entry points agree with the reference.
func TestSgemmExported(t *testing.T) {
	a := []float32{1, 2, 3, 4, 5, 6} // 2×3
	b := []float32{1, 0, 0, 1, 1, 1} // 3×2
	want := []float32{4 + 10, 5 + 10, 10 + 10, 11 + 10}
	for name, f := range map[string]func(bool, bool, int, int, int, float32, []float32, int, []float32, int, float32, []float32, int){
		"Sgemm": Sgemm, "SgemmSerial": SgemmSerial,
	} {
		c := []float32{5, 5, 5, 5}
		f(false, false, 2, 2, 3, 1, a, 3, b, 2, 2, c, 2)
		for i := range c {
			if c[i] != want[i] {
				t.Errorf("%s: C = %v, want %v", name, c, want)
				break
			}
		}
	}
}

func TestSgemmPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"short A": func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		},
		"short C": func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
		},
		"small ldc": func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 4), 1)
		},
		"negative": func() { Sgemm(false, false, -1, 2, 2, 1, nil, 2, nil, 2, 0, nil, 2) },
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

// TestPackStrips32 checks the B-panel copy in use (assembly where available) and the
// Go version against the definition.
func TestPackStrips32(t *testing.T) {
	const kc, strips, ldb = 5, 3, 101
	r := rand.New(rand.NewPCG(5, 5))
	src := randSlice(r, (kc-1)*ldb+strips*32)
	for name, f := range map[string]func(dst, src []float32, kc, strips, ldb int){"active": packStrips32, "go": packStrips32Go} {
		dst := make([]float32, strips*kc*32)
		f(dst, src, kc, strips, ldb)
		for tt := range strips {
			for p := range kc {
				for x := range 32 {
					if got, want := dst[(tt*kc+p)*32+x], src[p*ldb+tt*32+x]; got != want {
						t.Fatalf("%s: strip %d step %d col %d = %v, want %v", name, tt, p, x, got, want)
					}
				}
			}
		}
	}
}

// TestSgemmNested runs parallel products from inside a parallel loop (the pool is then
// busy, so each product may end up on its caller alone) and checks the results.
func TestSgemmNested(t *testing.T) {
	const m, n, k = 150, 140, 130
	r := rand.New(rand.NewPCG(9, 9))
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	want := make([]float32, m*n)
	sgemm(1, false, false, m, n, k, 1, a, k, b, n, 0, want, n)
	cs := make([][]float32, 6)
	parallel.For(len(cs), 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			cs[i] = make([]float32, m*n)
			sgemm(2, false, false, m, n, k, 1, a, k, b, n, 0, cs[i], n)
		}
	})
	for i, c := range cs {
		for j := range c {
			if c[j] != want[j] {
				t.Fatalf("product %d: C[%d] = %v, want %v", i, j, c[j], want[j])
			}
		}
	}
}

// TestSgemmAllocs checks that steady-state calls reuse their packing buffers.
func TestSgemmAllocs(t *testing.T) {
	const m, n, k = 100, 90, 80
	r := rand.New(rand.NewPCG(4, 4))
	a, b, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	for _, tc := range []struct {
		threads int
		max     float64
	}{{1, 0.5}, {2, 8}} {
		allocs := testing.AllocsPerRun(20, func() {
			sgemm(tc.threads, false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		})
		if allocs > tc.max {
			t.Errorf("threads=%d: %.1f allocations per call, want ≤ %g", tc.threads, allocs, tc.max)
		}
	}
}
