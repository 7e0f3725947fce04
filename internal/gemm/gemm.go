// Package gemm is selfsup's single-precision matrix multiply (SGEMM) for the CPU.
//
// All matrices are row-major float32 slices with a leading dimension (the distance in
// elements between consecutive rows). C = alpha·op(A)·op(B) + beta·C, where op(X) is X
// or Xᵀ. With beta = 0 the old contents of C are ignored (NaN included).
package gemm

import "github.com/selfsup/selfsup/internal/parallel"

// Sgemm computes C[m×n] = alpha·op(A)·op(B) + beta·C using the shared worker pool.
// op(A) is m×k (A is k×m with lda ≥ m if transA), op(B) is k×n (B is n×k if transB).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	parallel.For(m, max(1, 4096/max(1, n*k/64)), func(lo, hi int) {
		sgemmRows(transA, transB, lo, hi, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	})
}

// SgemmSerial is Sgemm on the calling goroutine only, for callers that parallelise
// over a batch of small products themselves.
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmRows(transA, transB, 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmRows computes rows [lo, hi) of C (reference loop order i, p, j).
func sgemmRows(transA, transB bool, lo, hi, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := lo; i < hi; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			for j := range row {
				row[j] *= beta
			}
		}
		for p := range k {
			var aip float32
			if transA {
				aip = a[p*lda+i]
			} else {
				aip = a[i*lda+p]
			}
			aip *= alpha
			if aip == 0 {
				continue
			}
			if transB {
				for j := range row {
					row[j] += aip * b[j*ldb+p]
				}
			} else {
				brow := b[p*ldb : p*ldb+n]
				for j, bv := range brow {
					row[j] += aip * bv
				}
			}
		}
	}
}
