// Package gemm is selfsup's single-precision matrix multiply (SGEMM) for the CPU.
//
// All matrices are row-major float32 slices with a leading dimension (the distance in
// elements between consecutive rows). C = alpha·op(A)·op(B) + beta·C, where op(X) is X
// or Xᵀ. With beta = 0 the old contents of C are ignored (NaN included).
//
// The implementation follows BLIS/GotoBLAS: op(B) is packed into kc×nc panels of
// nr-wide strips, op(A) into mc×kc blocks of mr-tall strips (alpha folded in), and a
// register-blocked micro-kernel computes each mr×nr tile of C. The micro-kernel is
// AVX-512 or AVX2+FMA assembly on amd64 (chosen at run time) and pure Go elsewhere or
// with the purego build tag. Sgemm splits the tiles of C over the shared worker pool.
package gemm

import (
	"fmt"
	"sync"

	"github.com/selfsup/selfsup/internal/parallel"
)

// smallWork is the m·n·k below which the packed path costs more than it saves.
const smallWork = 8 * 8 * 8

// Sgemm computes C[m×n] = alpha·op(A)·op(B) + beta·C using the shared worker pool.
// op(A) is m×k (A is k×m with lda ≥ m if transA), op(B) is k×n (B is n×k if transB).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(parallel.Threads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmSerial is Sgemm on the calling goroutine only, for callers that parallelise
// over a batch of small products themselves.
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func sgemm(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: Sgemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	if transA {
		checkMatrix("A", a, k, m, lda)
	} else {
		checkMatrix("A", a, m, k, lda)
	}
	if transB {
		checkMatrix("B", b, n, k, ldb)
	} else {
		checkMatrix("B", b, k, n, ldb)
	}
	checkMatrix("C", c, m, n, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(c, ldc, 0, m, 0, n, beta)
		return
	}
	if m*n*k <= smallWork {
		sgemmSmall(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	sgemmPacked(active, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkMatrix panics unless x holds a rows×cols matrix with leading dimension ld.
func checkMatrix(name string, x []float32, rows, cols, ld int) {
	if ld < 0 || (name == "C" && ld < cols) {
		panic(fmt.Sprintf("gemm: Sgemm: %s is %d×%d with leading dimension %d", name, rows, cols, ld))
	}
	if rows > 0 && cols > 0 && len(x) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("gemm: Sgemm: %s is %d×%d with leading dimension %d but has %d elements", name, rows, cols, ld, len(x)))
	}
}

// work is one goroutine's scratch: a packed A block and a tile for partial edges.
type work struct {
	a, tmp []float32
}

var (
	workPool  = sync.Pool{New: func() any { return new(work) }}
	panelPool = sync.Pool{New: func() any { return new([]float32) }}
)

// grow returns s resized to n elements, reallocating only when it is too small.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, b int) int { return ceilDiv(a, b) * b }

// sgemmPacked is the blocked algorithm: loops over column panels (jc) and depth blocks
// (pc) pack op(B) once, shared by all threads; the tiles of C in that panel are then
// split into tasks of (row block, column range) that each pack their own A block.
func sgemmPacked(kern *kernel, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	mr, nr := kern.mr, kern.nr
	kc0 := ceilDiv(k, ceilDiv(k, kern.kc))
	nc0 := roundUp(ceilDiv(n, ceilDiv(n, kern.nc)), nr)
	mb := ceilDiv(m, kern.mc)
	if threads > 1 && m >= threads*mr {
		mb = roundUp(mb, threads)
	}
	mc0 := roundUp(ceilDiv(m, mb), mr)
	mb = ceilDiv(m, mc0)

	pb := panelPool.Get().(*[]float32)
	*pb = grow(*pb, kc0*nc0)
	bp := *pb
	for jc := 0; jc < n; jc += nc0 {
		nc := min(nc0, n-jc)
		strips := ceilDiv(nc, nr)
		// Split the panel's columns too when there are fewer row blocks than threads.
		ns := 1
		if threads > 1 && mb < threads {
			ns = min(strips, ceilDiv(threads, mb))
		}
		per := ceilDiv(strips, ns)
		ns = ceilDiv(strips, per)
		tasks := mb * ns
		for pc := 0; pc < k; pc += kc0 {
			kc := min(kc0, k-pc)
			if threads > 1 && strips > 1 && kc*nc >= 1<<14 {
				parallel.ForChunks(strips, threads, func(t0, t1 int) {
					packB(bp, transB, b, ldb, jc, nc, pc, kc, nr, t0, t1)
				})
			} else {
				packB(bp, transB, b, ldb, jc, nc, pc, kc, nr, 0, strips)
			}
			first := pc == 0
			run := func(lo, hi int) {
				w := workPool.Get().(*work)
				w.a = grow(w.a, mc0*kc)
				w.tmp = grow(w.tmp, mr*nr)
				for t := lo; t < hi; t++ {
					ib, jb := t/ns, t%ns
					i0 := ib * mc0
					i1 := min(i0+mc0, m)
					s0 := jb * per
					s1 := min(s0+per, strips)
					macro(kern, w, transA, a, lda, i0, i1, pc, kc, alpha, bp, jc, nc, s0, s1, first, beta, c, ldc)
				}
				workPool.Put(w)
			}
			if threads > 1 && tasks > 1 {
				parallel.ForChunks(tasks, tasks, run)
			} else {
				run(0, tasks)
			}
		}
	}
	panelPool.Put(pb)
}

// macro packs rows [i0, i1) × depth [pc, pc+kc) of alpha·op(A) and multiplies them by
// strips [s0, s1) of the packed B panel bp (columns from jc, nc wide) into C.
func macro(kern *kernel, w *work, transA bool, a []float32, lda, i0, i1, pc, kc int, alpha float32, bp []float32, jc, nc, s0, s1 int, first bool, beta float32, c []float32, ldc int) {
	mr, nr := kern.mr, kern.nr
	packA(w.a, transA, a, lda, i0, i1-i0, pc, kc, mr, alpha)
	acc := true
	if first {
		acc = beta != 0
		if beta != 0 && beta != 1 {
			scaleC(c, ldc, i0, i1, jc+s0*nr, jc+min(s1*nr, nc), beta)
		}
	}
	tmp := w.tmp
	for t := s0; t < s1; t++ {
		j := jc + t*nr
		cols := min(nr, jc+nc-j)
		bs := bp[t*kc*nr : (t+1)*kc*nr]
		for i := i0; i < i1; i += mr {
			rows := min(mr, i1-i)
			as := w.a[(i-i0)*kc : (i-i0)*kc+kc*mr]
			if rows == mr && cols == nr {
				kern.fn(kc, as, bs, c[i*ldc+j:], ldc, acc)
				continue
			}
			kern.fn(kc, as, bs, tmp, nr, false)
			for r := range rows {
				dst := c[(i+r)*ldc+j:][:cols]
				src := tmp[r*nr:][:cols]
				if acc {
					for x, v := range src {
						dst[x] += v
					}
				} else {
					copy(dst, src)
				}
			}
		}
	}
}

// scaleC sets C[i0:i1, j0:j1] = beta·C, writing zeros when beta = 0.
func scaleC(c []float32, ldc, i0, i1, j0, j1 int, beta float32) {
	if beta == 1 {
		return
	}
	for i := i0; i < i1; i++ {
		row := c[i*ldc+j0 : i*ldc+j1]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// sgemmSmall is the unpacked loop (order i, p, j) for products too small to pack.
func sgemmSmall(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		scaleC(row, 0, 0, 1, 0, n, beta)
		for p := range k {
			var aip float32
			if transA {
				aip = a[p*lda+i]
			} else {
				aip = a[i*lda+p]
			}
			aip *= alpha
			if transB {
				for j := range row {
					row[j] += aip * b[j*ldb+p]
				}
			} else {
				for j, bv := range b[p*ldb : p*ldb+n] {
					row[j] += aip * bv
				}
			}
		}
	}
}
