//go:build cuda

package cuda

import (
	"fmt"

	"github.com/selfsup/selfsup/tensor"
)

// ewIndexShapes checks big: [B, L, D], small: [B, K, D], idx: [B, K] and, on a host
// copy of idx (small: B·K values), that every index is an integer in [0, L), so that a
// bad index panics here exactly as on the CPU instead of faulting on the GPU. It
// returns B, L, K, D.
func ewIndexShapes(op string, big, small, idx *tensor.Tensor) (B, L, K, D int) {
	bs, ss, is := big.Shape(), small.Shape(), idx.Shape()
	if len(bs) != 3 || len(ss) != 3 || len(is) != 2 ||
		bs[0] != ss[0] || bs[2] != ss[2] || is[0] != ss[0] || is[1] != ss[1] {
		panic(fmt.Sprintf("cuda: %s: [B, L, D] %v, [B, K, D] %v, idx [B, K] %v", op, bs, ss, is))
	}
	ewContig(op, big, small, idx)
	B, L, K, D = bs[0], bs[1], ss[1], bs[2]
	if idx.Numel() == 0 {
		return B, L, K, D
	}
	ix := idx.Values()
	for i, v := range ix {
		if !(v >= 0 && v < float32(L)) || v != float32(int(v)) {
			panic(fmt.Sprintf("cuda: %s: idx[%d, %d] = %g out of range [0, %d)", op, i/max(K, 1), i%max(K, 1), v, L))
		}
	}
	return B, L, K, D
}

// Gather selects rows: dst[b, k, :] = x[b, idx[b, k], :], with x: [B, L, D],
// idx: [B, K] (float32 integers), dst: [B, K, D]; all contiguous.
func (d *Device) Gather(dst, x, idx *tensor.Tensor) {
	_, L, K, D := ewIndexShapes("Gather", x, dst, idx)
	n := dst.Numel()
	if n == 0 {
		return
	}
	d.launch("index", "gather", ewGrid(n), ewBlock, 0, dst, x, idx, L, K, D, int64(n))
}

// ScatterAdd accumulates dst[b, idx[b, k], :] += src[b, k, :], with dst: [B, L, D],
// src: [B, K, D], idx: [B, K] (float32 integers; repeats accumulate, through atomicAdd,
// so the order of repeated contributions is not fixed); all contiguous.
func (d *Device) ScatterAdd(dst, src, idx *tensor.Tensor) {
	_, L, K, D := ewIndexShapes("ScatterAdd", dst, src, idx)
	n := src.Numel()
	if n == 0 {
		return
	}
	d.launch("index", "scatter_add", ewGrid(n), ewBlock, 0, dst, src, idx, L, K, D, int64(n))
}
