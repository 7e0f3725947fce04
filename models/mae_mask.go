package models

import (
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/tensor"
)

// MAEMask is the masking of one MAE batch over L tokens (BiaPy's random_masking and
// grid_masking outputs). Indices are stored as float32 integers, as [nn.Tape.Gather]
// takes them.
type MAEMask struct {
	// Keep: [N, K] indices of the tokens the encoder sees, in the order it sees them
	// (BiaPy's ids_keep).
	Keep *tensor.Tensor
	// Restore: [N, L] the position of each original token in the sequence
	// [visible tokens; mask tokens] (BiaPy's ids_restore).
	Restore *tensor.Tensor
	// Mask: [N, L] 1 where a token counts in the loss (removed), 0 where it is kept,
	// in the original token order.
	Mask *tensor.Tensor
}

// NewMAEMask checks and wraps BiaPy's masking tensors: keep [N, K] or [K] (one list
// shared by the batch, as BiaPy's grid masking stores it), restore [N, L] and mask
// [N, L]. Index values may come from I64 or F32 storage; they are kept as float32.
func NewMAEMask(keep, restore, mask *tensor.Tensor) *MAEMask {
	if restore.Rank() != 2 || !mask.SameShape(restore) {
		panic(fmt.Sprintf("models: NewMAEMask: restore %v, mask %v, want equal [N L]", restore.Shape(), mask.Shape()))
	}
	n := restore.Dim(0)
	switch {
	case keep.Rank() == 1:
		keep = keep.Reshape(1, keep.Dim(0)).Expand(n, keep.Dim(0)).Contiguous()
	case keep.Rank() != 2 || keep.Dim(0) != n:
		panic(fmt.Sprintf("models: NewMAEMask: keep %v for restore %v, want [N K] or [K]", keep.Shape(), restore.Shape()))
	}
	return &MAEMask{Keep: keep.Contiguous(), Restore: restore.Contiguous(), Mask: mask.Contiguous()}
}

// Len returns the number of tokens L.
func (m *MAEMask) Len() int { return m.Restore.Dim(1) }

// Kept returns the number of tokens K the encoder sees.
func (m *MAEMask) Kept() int { return m.Keep.Dim(1) }

// argsortStable returns the indices that sort v ascending; ties keep index order
// (SPEC Part A item 4).
func argsortStable(v []float32) []int {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case v[a] < v[b]:
			return -1
		case v[a] > v[b]:
			return 1
		}
		return 0
	})
	return idx
}

// maskFromShuffle builds the mask of one sample from its ids_shuffle (token indices in
// keep-first order), keeping the first k: keep = shuffle[:k], restore = inverse
// permutation of shuffle, mask = 1 for the tokens past k, in original order.
func maskFromShuffle(shuffle []int, k int, keep, restore, mask []float32) {
	for pos, tok := range shuffle {
		restore[tok] = float32(pos)
		if pos < k {
			keep[pos] = float32(tok)
			mask[tok] = 0
		} else {
			mask[tok] = 1
		}
	}
}

// RandomMask is BiaPy's random_masking given its noise: noise: [N, L] → per sample
// ids_shuffle = argsort(noise) (stable), keep the first int(L·(1−ratio)) tokens,
// ids_restore = argsort(ids_shuffle), mask 1 on the removed tokens.
func RandomMask(noise *tensor.Tensor, ratio float64) *MAEMask {
	if noise.Rank() != 2 {
		panic(fmt.Sprintf("models: RandomMask: noise %v, want [N L]", noise.Shape()))
	}
	if ratio < 0 || ratio > 1 {
		panic(fmt.Sprintf("models: RandomMask: ratio %g outside [0, 1]", ratio))
	}
	n, l := noise.Dim(0), noise.Dim(1)
	k := int(float64(l) * (1 - ratio))
	v := noise.Values()
	keep := make([]float32, n*k)
	restore := make([]float32, n*l)
	mask := make([]float32, n*l)
	for b := range n {
		shuffle := argsortStable(v[b*l : (b+1)*l])
		maskFromShuffle(shuffle, k, keep[b*k:(b+1)*k], restore[b*l:(b+1)*l], mask[b*l:(b+1)*l])
	}
	dev := noise.Device()
	return &MAEMask{
		Keep:    tensor.FromSlice(keep, n, k).To(dev),
		Restore: tensor.FromSlice(restore, n, l).To(dev),
		Mask:    tensor.FromSlice(mask, n, l).To(dev),
	}
}

// DrawRandomMask draws noise: [n, l] ~ U(0, 1) from rng and returns [RandomMask] of it.
func DrawRandomMask(rng *tensor.RNG, n, l int, ratio float64) *MAEMask {
	return RandomMask(tensor.RandUniform(tensor.CPU{}, rng, 0, 1, n, l), ratio)
}

// GridMaskPattern returns the grid pattern over g^ndim tokens in raster order, 1 for
// a token hidden from the encoder and counted in the loss:
//   - 2-D (as BiaPy): 1 where row and column are both even or both odd, a checkerboard;
//   - 3-D (SPEC Part A item 4): 1 where z+y+x is even, the 3-D checkerboard. BiaPy marks
//     only the all-even and all-odd sub-lattices (¼ of the tokens) while hiding ½ of
//     them from the encoder; here hidden and scored tokens are the same ½.
func GridMaskPattern(ndim, g int) []float32 {
	if g <= 0 || (ndim != 2 && ndim != 3) {
		panic(fmt.Sprintf("models: GridMaskPattern: ndim %d, grid %d", ndim, g))
	}
	if ndim == 2 {
		m := make([]float32, g*g)
		for i := range g {
			for j := range g {
				if (i+j)%2 == 0 {
					m[i*g+j] = 1
				}
			}
		}
		return m
	}
	m := make([]float32, g*g*g)
	for i := range g {
		for j := range g {
			for k := range g {
				if (i+j+k)%2 == 0 {
					m[(i*g+j)*g+k] = 1
				}
			}
		}
	}
	return m
}

// GridMask returns the grid masking of a batch of n samples over g^ndim tokens (the
// same for every sample): with pattern = [GridMaskPattern](ndim, g), ids_shuffle =
// stable argsort(pattern) (kept tokens in raster order, then hidden ones), ids_keep =
// its first L//2 entries (BiaPy's count), ids_restore = argsort(ids_shuffle). Every
// token outside ids_keep has mask 1 (in 2-D that is exactly BiaPy's pattern).
func GridMask(ndim, g, n int) *MAEMask {
	if n <= 0 {
		panic(fmt.Sprintf("models: GridMask: batch %d", n))
	}
	pat := GridMaskPattern(ndim, g)
	l := len(pat)
	k := l / 2
	shuffle := argsortStable(pat)
	keep := make([]float32, n*k)
	restore := make([]float32, n*l)
	mask := make([]float32, n*l)
	maskFromShuffle(shuffle, k, keep[:k], restore[:l], mask[:l])
	for b := 1; b < n; b++ {
		copy(keep[b*k:], keep[:k])
		copy(restore[b*l:], restore[:l])
		copy(mask[b*l:], mask[:l])
	}
	return &MAEMask{
		Keep:    tensor.FromSlice(keep, n, k),
		Restore: tensor.FromSlice(restore, n, l),
		Mask:    tensor.FromSlice(mask, n, l),
	}
}
