package tensor

import (
	"fmt"

	"github.com/selfsup/selfsup/internal/parallel"
)

// indexShapes checks big: [B, L, D], small: [B, K, D], idx: [B, K] and that every index
// is an integer in [0, L); it returns B, L, K, D and the indices.
func indexShapes(op string, big, small, idx *Tensor) (B, L, K, D int, ix []float32) {
	if len(big.shape) != 3 || len(small.shape) != 3 || len(idx.shape) != 2 ||
		big.shape[0] != small.shape[0] || big.shape[2] != small.shape[2] ||
		idx.shape[0] != small.shape[0] || idx.shape[1] != small.shape[1] {
		panic(fmt.Sprintf("tensor: %s: [B, L, D] %v, [B, K, D] %v, idx [B, K] %v", op, big.shape, small.shape, idx.shape))
	}
	B, L, K, D = big.shape[0], big.shape[1], small.shape[1], big.shape[2]
	ix = data(op, idx)
	for i, v := range ix {
		if !(v >= 0 && v < float32(L)) || v != float32(int(v)) {
			panic(fmt.Sprintf("tensor: %s: idx[%d, %d] = %g out of range [0, %d)", op, i/max(K, 1), i%max(K, 1), v, L))
		}
	}
	return B, L, K, D, ix
}

// Gather selects rows: dst[b, k, :] = x[b, idx[b, k], :], with x: [B, L, D],
// idx: [B, K] (float32 integers), dst: [B, K, D]; all contiguous.
func (CPU) Gather(dst, x, idx *Tensor) {
	B, L, K, D, ix := indexShapes("Gather", x, dst, idx)
	d, s := data("Gather", dst), data("Gather", x)
	parallel.For(B*K, max(1, grainCheap/max(D, 1)), func(lo, hi int) {
		for u := lo; u < hi; u++ {
			b, j := u/K, int(ix[u])
			src := s[(b*L+j)*D : (b*L+j+1)*D]
			copy(d[u*D:(u+1)*D], src)
		}
	})
}

// ScatterAdd accumulates dst[b, idx[b, k], :] += src[b, k, :], with dst: [B, L, D],
// src: [B, K, D], idx: [B, K] (float32 integers; repeats accumulate); all contiguous.
func (CPU) ScatterAdd(dst, src, idx *Tensor) {
	B, L, K, D, ix := indexShapes("ScatterAdd", dst, src, idx)
	d, s := data("ScatterAdd", dst), data("ScatterAdd", src)
	// Work units are (b, column block): no two units write the same element.
	blk, nb := innerBlocks(B, D)
	parallel.For(B*nb, max(1, grainCheap/max(K*blk, 1)), func(lo, hi int) {
		for u := lo; u < hi; u++ {
			b, c0 := u/nb, (u%nb)*blk
			c1 := min(c0+blk, D)
			for k := range K {
				j := int(ix[b*K+k])
				row := s[(b*K+k)*D+c0 : (b*K+k)*D+c1]
				out := d[(b*L+j)*D+c0 : (b*L+j)*D+c1]
				for i, v := range row {
					out[i] += v
				}
			}
		}
	})
}
