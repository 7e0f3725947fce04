// Package gemm is selfsup's single-precision matrix multiply (SGEMM) for the CPU.
//
// All matrices are row-major float32 slices with a leading dimension (the distance in
// elements between consecutive rows). C = alpha·op(A)·op(B) + beta·C, where op(X) is X
// or Xᵀ. With beta = 0 the old contents of C are ignored (NaN included).
//
// The implementation follows BLIS/GotoBLAS: op(B) is packed into kc×nc panels of
// nr-wide strips, op(A) into mc×kc blocks of mr-tall strips, and a register-blocked
// micro-kernel computes each mr×nr tile of C (applying alpha as it stores); edge tiles
// go through zero-padded panels and a small scratch tile. The micro-kernel is AVX-512
// or AVX2+FMA assembly on amd64 (chosen at run time with golang.org/x/sys/cpu) and
// pure Go elsewhere or with the purego build tag. Sgemm splits the tiles of C over the
// shared worker pool; tiny products (attention heads) skip packing altogether.
package gemm

import (
	"fmt"

	"github.com/selfsup/selfsup/internal/parallel"
)

// tasksPerThread is how many tasks per thread a parallel product is cut into.
const tasksPerThread = 4

// MinParallelWork is the m·n·k below which Sgemm runs on the calling goroutine alone
// (waking a worker costs more than it saves). Callers with a batch of products smaller
// than this should parallelise over the batch with SgemmSerial instead.
const MinParallelWork = 1 << 22

// smallDirectWork is the m·k·⌈n/32⌉ up to which a kernel's unpacked small-product
// routine (m ≤ 32, 32 columns at a time; its cost grows with m·k whatever the width)
// beats packing.
const smallDirectWork = 2048

// smallWork is the m·n·k up to which kernels without a small-product routine use the
// plain unpacked loop (sgemmSmall) instead of packing.
const smallWork = 8 * 8 * 8

// Sgemm computes C[m×n] = alpha·op(A)·op(B) + beta·C using the shared worker pool.
// op(A) is m×k (A is k×m with lda ≥ m if transA), op(B) is k×n (B is n×k if transB).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	threads := 1
	if m*n*k >= MinParallelWork {
		threads = parallel.Threads()
	}
	sgemm(threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmSerial is Sgemm on the calling goroutine only, for callers that parallelise
// over a batch of small products themselves.
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemm is Sgemm on up to threads goroutines of the shared pool.
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
	kern := active
	if kern.small != nil && m <= 32 && m*k*ceilDiv(n, 32) <= smallDirectWork {
		rs, cs := lda, 1
		if transA {
			rs, cs = 1, lda
		}
		var w *work
		if transB {
			// op(B) = Bᵀ: transpose it into a k×n scratch first.
			w = workPool.Get().(*work)
			w.tmp = grow(w.tmp, k*n)
			for j := range n {
				for p, v := range b[j*ldb : j*ldb+k] {
					w.tmp[p*n+j] = v
				}
			}
			b, ldb = w.tmp, n
		}
		for j := 0; j < n; j += 32 {
			kern.small(m, min(32, n-j), k, a, rs, cs, b[j:], ldb, c[j:], ldc, alpha, beta)
		}
		if w != nil {
			workPool.Put(w)
		}
		return
	}
	if m*n*k <= smallWork {
		sgemmSmall(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	sgemmPacked(kern, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
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
