package gemm

import (
	"fmt"
	"unsafe"
)

// RowsB is an op(B) (k×n) that the micro-kernels read in place, without packing: in the
// strip of [RowsWidth] columns starting at column j (a multiple of RowsWidth), row p
// holds the RowsWidth contiguous values X[Base(j)+Off[p]:]. A stride-1 convolution
// reads its zero-padded input this way: Off walks the channels and window taps of the
// column rows, Base the output positions (a strip must then lie within one output
// row).
type RowsB struct {
	X    []float32
	Off  []int           // k offsets, each ≥ 0
	Base func(j int) int // called once per strip and depth block; ≥ 0
}

// RowsWidth is the strip width of [SgemmRowsSerial]: n must be a multiple of it.
const RowsWidth = 32

// rowsKernel computes a tile of rows×32 (rows fixed by the kernel) as alpha times kc
// steps of a packed A strip (row r of step p at a[p·cs + r]) by the B rows at
// x + offs[p]: c = alpha·A·B, or c += alpha·A·B with acc ≠ 0.
type rowsKernel func(kc int, a *float32, cs int, x *float32, offs *int, c *float32, ldc int, alpha float32, acc int)

// rowsKernels are the 14-, 8- and 4-row kernels of SgemmRowsSerial (nil: not
// available in this build or on this CPU).
var rowsKernels *[3]rowsKernel

// RowsAvailable reports whether [SgemmRowsSerial] can run here (AVX-512).
func RowsAvailable() bool { return rowsKernels != nil }

// SgemmRowsSerial computes C[m×n] = alpha·op(A)·B + beta·C (beta = 0 ignores C's
// contents) on the calling goroutine, reading B in place through b (see [RowsB]); n
// must be a multiple of [RowsWidth]. It panics when [RowsAvailable] is false or when b
// would be read outside b.X.
func SgemmRowsSerial(m, n, k int, alpha float32, a SliceA, b RowsB, beta float32, c []float32, ldc int) {
	if rowsKernels == nil {
		panic("gemm: SgemmRowsSerial: no AVX-512 kernels in this build")
	}
	if m < 0 || n < 0 || k < 0 || n%RowsWidth != 0 || len(b.Off) < k {
		panic(fmt.Sprintf("gemm: SgemmRowsSerial: m=%d n=%d k=%d (n a multiple of %d), %d offsets", m, n, k, RowsWidth, len(b.Off)))
	}
	if a.Trans {
		checkMatrix("A", a.A, k, m, a.Ld)
	} else {
		checkMatrix("A", a.A, m, k, a.Ld)
	}
	checkMatrix("C", c, m, n, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(c, ldc, 0, m, 0, n, beta)
		return
	}
	const mr, nr, kcMax = 14, RowsWidth, 384
	ks := rowsKernels
	kc0 := ceilDiv(k, ceilDiv(k, kcMax))
	w := workPool.Get().(*work)
	defer workPool.Put(w)
	w.a = grow(w.a, roundUp(m, mr)*kc0)
	w.tmp = grow(w.tmp, mr*nr)
	if beta != 0 && beta != 1 {
		scaleC(c, ldc, 0, m, 0, n, beta)
	}
	// Rows [split, m) go in 8-row strips: one or two rows past whole 14-row strips are
	// merged with the last of them (16 rows: two 8-row tiles, as in macro).
	split := m
	if t := m % mr; (t == 1 || t == 2) && m > mr {
		split = m - mr - t
	}
	for pc := 0; pc < k; pc += kc0 {
		kc := min(kc0, k-pc)
		a.PackA(w.a, 0, split, pc, kc, mr)
		a.PackA(w.a[split*kc:], split, m-split, pc, kc, 8)
		offs := b.Off[pc : pc+kc]
		lo, hi := offs[0], offs[0]
		for _, o := range offs {
			lo, hi = min(lo, o), max(hi, o)
		}
		acc := pc > 0 || beta != 0
		for j := 0; j < n; j += nr {
			base := b.Base(j)
			if lo < 0 || base < 0 || base+hi+nr > len(b.X) {
				panic(fmt.Sprintf("gemm: SgemmRowsSerial: strip %d reads X[%d:%d] of %d", j, base+lo, base+hi+nr, len(b.X)))
			}
			x := (*float32)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(b.X)), 4*base))
			for i := 0; i < m; {
				h := mr // the strip's packed height
				if i >= split {
					h = 8
				}
				rows := min(h, m-i)
				as := &w.a[i*kc]
				kern, kr := ks[0], mr
				switch {
				case rows <= 4:
					kern, kr = ks[2], 4
				case rows <= 8:
					kern, kr = ks[1], 8
				}
				i += h
				if rows == kr {
					kern(kc, as, h, x, &offs[0], &c[(i-h)*ldc+j], ldc, alpha, b2i(acc))
					continue
				}
				// A partial strip: the kernel's tile goes to scratch, then its rows to C.
				tmp := w.tmp[:kr*nr]
				kern(kc, as, h, x, &offs[0], &tmp[0], nr, alpha, 0)
				for r := range rows {
					dst := c[(i-h+r)*ldc+j:][:nr]
					src := tmp[r*nr:][:nr]
					if acc {
						for t, v := range src {
							dst[t] += v
						}
					} else {
						copy(dst, src)
					}
				}
			}
		}
	}
}

// b2i is 1 for true, 0 for false (the kernels' acc argument).
func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}
