package gemm

import (
	"fmt"

	"github.com/selfsup/selfsup/internal/parallel"
)

// PanelA supplies op(A) (m×k) to [SgemmPackers] by packing it directly, for operands
// that are never stored as a matrix (implicit GEMM: the im2col columns of a
// convolution gathered from the image as they are needed).
//
// PackA writes rows [i0, i0+mc) and depth [p0, p0+kc) of op(A) into dst as ⌈mc/mr⌉
// strips of kc×mr values: element (i0+s+r, p0+p) at dst[s·kc + p·mr + r] for strip
// start s (a multiple of mr); rows past mc in the last strip are zero. It is called
// concurrently from several goroutines on disjoint dst.
type PanelA interface {
	PackA(dst []float32, i0, mc, p0, kc, mr int)
}

// PanelB supplies op(B) (k×n) to [SgemmPackers] by packing it directly.
//
// PackB writes columns [j0, j0+nc) and depth [p0, p0+kc) of op(B) into dst as
// ⌈nc/nr⌉ strips of kc×nr values: element (p0+p, j0+t·nr+x) at dst[t·kc·nr + p·nr + x];
// columns past nc in the last strip are zero. It is called concurrently from several
// goroutines on disjoint dst.
type PanelB interface {
	PackB(dst []float32, j0, nc, p0, kc, nr int)
}

// SliceA is a PanelA over a stored matrix: op(A) = A (m×k, row stride Ld) or, with
// Trans, Aᵀ (A is k×m).
type SliceA struct {
	Trans bool
	A     []float32
	Ld    int
}

// PackA packs op(A) like Sgemm does; see [PanelA].
func (s SliceA) PackA(dst []float32, i0, mc, p0, kc, mr int) {
	packA(dst, s.Trans, s.A, s.Ld, i0, mc, p0, kc, mr)
}

// SliceB is a PanelB over a stored matrix: op(B) = B (k×n, row stride Ld) or, with
// Trans, Bᵀ (B is n×k).
type SliceB struct {
	Trans bool
	B     []float32
	Ld    int
}

// PackB packs op(B) like Sgemm does; see [PanelB].
func (s SliceB) PackB(dst []float32, j0, nc, p0, kc, nr int) {
	packB(dst, s.Trans, s.B, s.Ld, j0, nc, p0, kc, nr, 0, ceilDiv(nc, nr))
}

// SgemmPackers computes C[m×n] = alpha·op(A)·op(B) + beta·C like [Sgemm], with op(A)
// (m×k) and op(B) (k×n) supplied by packers, using the shared worker pool. [SliceA]
// and [SliceB] operands are read like Sgemm's slices. When op(B) is a packer and op(A)
// fits one row block of the kernel (m ≤ a few hundred), each B strip is packed just
// before the micro-kernel uses it (it stays in L1) and the product needs no shared
// panel: the tasks are column ranges of C.
func SgemmPackers(m, n, k int, alpha float32, a PanelA, b PanelB, beta float32, c []float32, ldc int) {
	threads := 1
	if m*n*k >= MinParallelWork {
		threads = parallel.Threads()
	}
	sgemmPackers(threads, m, n, k, alpha, a, b, beta, c, ldc)
}

// SgemmPackersSerial is SgemmPackers on the calling goroutine only.
func SgemmPackersSerial(m, n, k int, alpha float32, a PanelA, b PanelB, beta float32, c []float32, ldc int) {
	sgemmPackers(1, m, n, k, alpha, a, b, beta, c, ldc)
}

// sgemmPackers is SgemmPackers on up to threads goroutines of the shared pool.
func sgemmPackers(threads, m, n, k int, alpha float32, a PanelA, b PanelB, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: SgemmPackers: negative size m=%d n=%d k=%d", m, n, k))
	}
	if a == nil || b == nil {
		panic("gemm: SgemmPackers: nil operand")
	}
	var (
		transA, transB bool
		as, bs         []float32
		lda, ldb       int
	)
	pa, pb := a, b
	if s, ok := a.(SliceA); ok {
		transA, as, lda, pa = s.Trans, s.A, s.Ld, nil
		if transA {
			checkMatrix("A", as, k, m, lda)
		} else {
			checkMatrix("A", as, m, k, lda)
		}
	}
	if s, ok := b.(SliceB); ok {
		transB, bs, ldb, pb = s.Trans, s.B, s.Ld, nil
		if transB {
			checkMatrix("B", bs, n, k, ldb)
		} else {
			checkMatrix("B", bs, k, n, ldb)
		}
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
	if pb != nil && m <= kern.mc && (threads <= 1 || ceilDiv(n, kern.nr) >= threads) {
		sgemmFused(kern, threads, m, n, k, alpha, transA, as, lda, pa, pb, beta, c, ldc)
		return
	}
	sgemmBlocked(kern, threads, transA, transB, m, n, k, alpha, as, lda, pa, bs, ldb, pb, beta, c, ldc)
}

// sgemmFused is the blocked product for m ≤ kern.mc with a packed-on-the-fly B: the
// columns are cut into ranges of whole strips, one task each; a task goes through the
// depth blocks, packs its A block (or reads A in place) and then, strip by strip,
// packs the B strip into its own scratch and multiplies every row strip by it. Tasks
// share nothing, so there are no phases to wait for.
func sgemmFused(kern *kernel, threads, m, n, k int, alpha float32, transA bool, a []float32, lda int, pa PanelA, pb PanelB, beta float32, c []float32, ldc int) {
	nr := kern.nr
	kc0 := ceilDiv(k, ceilDiv(k, kern.kc))
	strips := ceilDiv(n, nr)
	ns := 1
	if threads > 1 {
		// One range per thread keeps A packed once per thread; smaller ranges only
		// when there are too few strips for an even split.
		ns = threads
		if strips < 8*threads {
			ns = tasksPerThread * threads
		}
		ns = min(ns, strips)
	}
	per := ceilDiv(strips, ns)
	ns = ceilDiv(strips, per)
	blk0 := block{
		kern: kern, transA: transA, a: a, lda: lda, pa: pa, pb: pb, alpha: alpha, beta: beta,
		c: c, ldc: ldc, jc: 0, nc: n,
		direct: pa == nil && kern.strided && per*nr <= kern.directN && lda%1024 != 0,
	}
	task := func(lo, hi int) {
		w := workPool.Get().(*work)
		w.a = grow(w.a, roundUp(m, kern.mr)*kc0)
		w.tmp = grow(w.tmp, kern.mr*nr)
		w.b = grow(w.b, kc0*nr)
		blk := blk0
		for t := lo; t < hi; t++ {
			s0, s1 := t*per, min((t+1)*per, strips)
			for pc := 0; pc < k; pc += kc0 {
				blk.pc, blk.kc, blk.first = pc, min(kc0, k-pc), pc == 0
				macro(w, &blk, 0, m, s0, s1)
			}
		}
		workPool.Put(w)
	}
	if threads <= 1 || ns == 1 {
		task(0, ns)
		return
	}
	parallel.ForChunks(ns, ns, task)
}
