package gemm

import "fmt"

// PackedWidth is the column-strip width of the B operand of [SgemmPackedSerial].
const PackedWidth = 32

// PackedA is op(A) (m×k) packed once for many products with [SgemmPackedSerial]: per
// depth block, its rows in the strips that the micro-kernels read.
type PackedA struct {
	m, k, kc0 int
	data      []float32
}

// PackedAvailable reports whether [PackA] and [SgemmPackedSerial] can run here: they
// need the AVX-512 kernels, whose strips are PackedWidth columns wide.
func PackedAvailable() bool { return active.nr == PackedWidth && edgeOf(active, 8) != nil }

// PackedASize returns the number of floats that [PackA] stores for an m×k op(A).
func PackedASize(m, k int) int { return roundUp(m, active.mr) * k }

// PackA packs op(A) (m×k, see [SliceA]) for [SgemmPackedSerial] into dst (at least
// [PackedASize] floats; nil allocates). It panics when [PackedAvailable] is false.
func PackA(dst []float32, a SliceA, m, k int) PackedA {
	if !PackedAvailable() {
		panic("gemm: PackA: no packed-operand kernels in this build")
	}
	if a.Trans {
		checkMatrix("A", a.A, k, m, a.Ld)
	} else {
		checkMatrix("A", a.A, m, k, a.Ld)
	}
	kern := active
	p := PackedA{m: m, k: k, kc0: ceilDiv(max(k, 1), ceilDiv(max(k, 1), kern.kc))}
	rows := roundUp(m, kern.mr) // macro's layout never takes more
	if dst == nil {
		dst = make([]float32, rows*k)
	}
	p.data = dst[:rows*k]
	w := &work{}
	for pc := 0; pc < k; pc += p.kc0 {
		kc := min(p.kc0, k-pc)
		blk := block{kern: kern, transA: a.Trans, a: a.A, lda: a.Ld, pc: pc, kc: kc}
		w.a = p.data[rows*pc:][:rows*kc]
		packRowsA(w, &blk, 0, m)
	}
	return p
}

// SgemmPackedSerial computes C[m×n] = alpha·op(A)·B + beta·C (beta = 0 ignores C's
// contents) on the calling goroutine from operands packed ahead: a from [PackA] (m×k)
// and b as ⌈n/PackedWidth⌉ strips of k×PackedWidth values, element (p, j) at
// b[(j/PackedWidth)·k·PackedWidth + p·PackedWidth + j%PackedWidth] (lanes past n may hold
// anything: they only feed columns that are not stored).
func SgemmPackedSerial(m, n, k int, alpha float32, a PackedA, b []float32, beta float32, c []float32, ldc int) {
	const nr = PackedWidth
	if a.m != m || a.k != k || n < 0 || len(b) < ceilDiv(n, nr)*k*nr {
		panic(fmt.Sprintf("gemm: SgemmPackedSerial: m=%d n=%d k=%d, A packed %d×%d, len(b)=%d", m, n, k, a.m, a.k, len(b)))
	}
	checkMatrix("C", c, m, n, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(c, ldc, 0, m, 0, n, beta)
		return
	}
	kern := active
	w := workPool.Get().(*work)
	defer workPool.Put(w)
	w.tmp = grow(w.tmp, kern.mr*nr)
	rows := roundUp(m, kern.mr)
	for pc := 0; pc < k; pc += a.kc0 {
		kc := min(a.kc0, k-pc)
		blk := block{kern: kern, alpha: alpha, beta: beta, c: c, ldc: ldc, pc: pc, kc: kc,
			first: pc == 0, ap: a.data[rows*pc:][:rows*kc]}
		for t := 0; t*nr < n; t++ {
			blk.bp = b[t*k*nr+pc*nr:][:kc*nr]
			blk.jc, blk.nc = t*nr, min(nr, n-t*nr)
			macro(w, &blk, 0, m, 0, 1)
		}
	}
}
