package tensor

import (
	"fmt"

	"github.com/selfsup/selfsup/internal/gemm"
	"github.com/selfsup/selfsup/internal/parallel"
)

// MatMul computes dst = alpha·op(a)·op(b) + beta·dst with broadcast batch axes; see
// [Device.MatMul].
func (CPU) MatMul(dst, a, b *Tensor, transA, transB bool, alpha, beta float32) {
	ra, rb, rd := a.Rank(), b.Rank(), dst.Rank()
	if ra < 2 || rb < 2 || rd < 2 || ra != rd || rb != rd {
		panic(fmt.Sprintf("tensor: MatMul: %v×%v→%v: operands need equal rank ≥ 2", a.shape, b.shape, dst.shape))
	}
	m, ka := a.shape[ra-2], a.shape[ra-1]
	if transA {
		m, ka = ka, m
	}
	kb, n := b.shape[rb-2], b.shape[rb-1]
	if transB {
		kb, n = n, kb
	}
	if ka != kb {
		panic(fmt.Sprintf("tensor: MatMul: %v×%v (transA=%v transB=%v): inner dims %d≠%d", a.shape, b.shape, transA, transB, ka, kb))
	}
	if dst.shape[rd-2] != m || dst.shape[rd-1] != n {
		panic(fmt.Sprintf("tensor: MatMul: %v×%v→%v: want output [..., %d, %d]", a.shape, b.shape, dst.shape, m, n))
	}
	for i := range rd - 2 {
		if a.shape[i] != dst.shape[i] || b.shape[i] != dst.shape[i] {
			panic(fmt.Sprintf("tensor: MatMul: %v×%v→%v: batch axes differ (expand operands first)", a.shape, b.shape, dst.shape))
		}
	}
	if (a.strides[ra-1] != 1 && a.shape[ra-1] > 1) || (b.strides[rb-1] != 1 && b.shape[rb-1] > 1) {
		panic(fmt.Sprintf("tensor: MatMul: %v×%v: last axis of each operand must have stride 1 (strides %v, %v)", a.shape, b.shape, a.strides, b.strides))
	}
	k := ka
	// A stride-0 row axis (a broadcast row) is a valid leading dimension of 0.
	lda, ldb := a.strides[ra-2], b.strides[rb-2]
	if a.shape[ra-2] == 1 {
		lda = max(a.shape[ra-1], 1)
	}
	if b.shape[rb-2] == 1 {
		ldb = max(b.shape[rb-1], 1)
	}
	dd := data("MatMul", dst)
	ad, bd := cpuData(a.buf), cpuData(b.buf)
	batchShape := dst.shape[:rd-2]
	batch := prod(batchShape)
	if batch == 0 || m == 0 || n == 0 {
		return
	}
	offsets := func(bi int, idx []int) (int, int) {
		unravel(bi, batchShape, idx)
		oa, ob := a.offset, b.offset
		for i, v := range idx {
			oa += v * a.strides[i]
			ob += v * b.strides[i]
		}
		return oa, ob
	}
	spanA, spanB := matSpan(a), matSpan(b)
	flops := m * n * max(k, 1)
	if batch > 1 && flops < gemm.MinParallelWork {
		// Many small products (attention heads): whole products per task.
		parallel.For(batch, max(1, (1<<16)/flops), func(lo, hi int) {
			idx := make([]int, len(batchShape))
			for bi := lo; bi < hi; bi++ {
				oa, ob := offsets(bi, idx)
				c := dd[bi*m*n : (bi+1)*m*n]
				gemm.SgemmSerial(transA, transB, m, n, k, alpha, ad[oa:oa+spanA], lda, bd[ob:ob+spanB], ldb, beta, c, n)
			}
		})
		return
	}
	idx := make([]int, len(batchShape))
	for bi := range batch {
		oa, ob := offsets(bi, idx)
		c := dd[bi*m*n : (bi+1)*m*n]
		gemm.Sgemm(transA, transB, m, n, k, alpha, ad[oa:oa+spanA], lda, bd[ob:ob+spanB], ldb, beta, c, n)
	}
}

// matSpan returns how many elements one matrix of t (its last two axes) spans.
func matSpan(t *Tensor) int {
	r := t.Rank()
	rows, cols := t.shape[r-2], t.shape[r-1]
	if rows == 0 || cols == 0 {
		return 0
	}
	return (rows-1)*t.strides[r-2] + cols
}
