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
	if a.m != m || a.k != k {
		panic(fmt.Sprintf("gemm: SgemmPackedSerial: m=%d k=%d, A packed %d×%d", m, k, a.m, a.k))
	}
	rows := roundUp(m, active.mr)
	stripsProduct(m, n, k, alpha, a.kc0, func(blk *block) { blk.ap = a.data[rows*blk.pc:][:rows*blk.kc] }, b, beta, c, ldc)
}

// SgemmStripsSerial is [SgemmPackedSerial] with op(A) (m×k) given as a [SliceA]: the
// micro-kernels read it in place where they can (any strides but a leading dimension
// that is a multiple of 1024, which thrashes the cache), else it is packed first.
func SgemmStripsSerial(m, n, k int, alpha float32, a SliceA, b []float32, beta float32, c []float32, ldc int) {
	kern := active
	if !kern.strided || a.Ld%1024 == 0 {
		SgemmPackedSerial(m, n, k, alpha, PackA(nil, a, m, k), b, beta, c, ldc)
		return
	}
	if a.Trans {
		checkMatrix("A", a.A, k, m, a.Ld)
	} else {
		checkMatrix("A", a.A, m, k, a.Ld)
	}
	kc0 := ceilDiv(max(k, 1), ceilDiv(max(k, 1), kern.kc))
	stripsProduct(m, n, k, alpha, kc0, func(blk *block) {
		blk.a, blk.lda, blk.transA, blk.direct = a.A, a.Ld, a.Trans, true
	}, b, beta, c, ldc)
}

// stripsProduct runs macro over the depth blocks (kc0 deep) and the B strips of a
// strips product; setA sets each block's op(A) source.
func stripsProduct(m, n, k int, alpha float32, kc0 int, setA func(*block), b []float32, beta float32, c []float32, ldc int) {
	const nr = PackedWidth
	if !PackedAvailable() {
		panic("gemm: packed-operand product: no packed-operand kernels in this build")
	}
	if m < 0 || n < 0 || k < 0 || len(b) < ceilDiv(n, nr)*k*nr {
		panic(fmt.Sprintf("gemm: packed-operand product: m=%d n=%d k=%d, len(b)=%d", m, n, k, len(b)))
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
	w.a = grow(w.a, roundUp(m, kern.mr)*kc0)
	for pc := 0; pc < k; pc += kc0 {
		kc := min(kc0, k-pc)
		blk := block{kern: kern, alpha: alpha, beta: beta, c: c, ldc: ldc, pc: pc, kc: kc, first: pc == 0}
		setA(&blk)
		if kc == k { // one depth block: the strips lie kc·nr apart, as macro reads a panel
			blk.bp, blk.jc, blk.nc = b, 0, n
			macro(w, &blk, 0, m, 0, ceilDiv(n, nr))
			continue
		}
		for t := 0; t*nr < n; t++ {
			blk.bp = b[t*k*nr+pc*nr:][:kc*nr]
			blk.jc, blk.nc = t*nr, min(nr, n-t*nr)
			macro(w, &blk, 0, m, 0, 1)
		}
	}
}
