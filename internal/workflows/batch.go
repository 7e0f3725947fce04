package workflows

import (
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/tensor"
)

// Salts separating the random streams derived from the run seed; both workflows use
// the same values, so the same seed cuts the same patches.
const (
	SaltCrappify uint64 = 0x63726170 + iota
	SaltShuffle
	SaltTrain
	SaltVal
	SaltSplit
	SaltAugSamples
)

// Mix derives a 64-bit seed from a run seed and stream/sample/epoch indices
// (splitmix64 finaliser over each value in turn).
func Mix(vals ...uint64) uint64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, v := range vals {
		h ^= v + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
		h ^= h >> 30
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 27
		h *= 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}

// Order returns the sample order of epoch for n samples: 0…n-1, or with shuffle a
// permutation seeded by the run seed and the epoch.
func Order(n int, shuffle bool, seed uint64, epoch int) []int {
	if !shuffle {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	return tensor.NewRNG(Mix(seed, SaltShuffle, uint64(epoch))).Perm(n)
}

// Collect returns the samples of batch i (batch size bs) of the order ord, each made
// by draw(k) for sample index k; pkg names the caller in the error for an i past the
// end.
func Collect(pkg string, ord []int, i, bs int, draw func(k int) (x, y *data.Image)) (xs, ys []*data.Image, err error) {
	lo, hi := i*bs, min((i+1)*bs, len(ord))
	if lo >= hi {
		return nil, nil, fmt.Errorf("%s: batch %d of %d", pkg, i, (len(ord)+bs-1)/bs)
	}
	xs = make([]*data.Image, 0, hi-lo)
	ys = make([]*data.Image, 0, hi-lo)
	for _, k := range ord[lo:hi] {
		xi, yi := draw(k)
		xs, ys = append(xs, xi), append(ys, yi)
	}
	return xs, ys, nil
}

// Sample returns the stored sample (x, y) or, with random, a patch of spatial shape
// patch at a random origin drawn from rng, cut at the same place from both. When y is
// x (masking) the one crop is returned twice.
func Sample(x, y *data.Image, random bool, patch []int, rng *tensor.RNG) (*data.Image, *data.Image) {
	if !random {
		return x, y
	}
	origin := data.RandomOrigin(x.Shape[:len(x.Shape)-1], patch, rng)
	cx := data.CropAt(x, origin, patch)
	if y == x {
		return cx, cx
	}
	return cx, data.CropAt(y, origin, patch)
}

// Augment applies aug (nil: none) to the pair with rng; when y is x (masking) the
// target is the augmented input.
func Augment(rng *tensor.RNG, aug *data.AugmentOptions, x, y *data.Image) (*data.Image, *data.Image) {
	if aug == nil {
		return x, y
	}
	if x == y {
		xa, _ := data.Augment(rng, *aug, x, nil)
		return xa, xa
	}
	return data.Augment(rng, *aug, x, y)
}

// AugEnabled reports whether any transform of a is on.
func AugEnabled(a data.AugmentOptions) bool {
	return a.Rot90 || a.RandomRot || a.Shear || a.Zoom || a.Shift || a.VFlip || a.HFlip || a.ZFlip ||
		a.Elastic || a.GaussianBlur || a.MedianBlur || a.GammaContrast || a.Brightness || a.Contrast ||
		a.GaussianNoise || a.PoissonNoise || a.SaltAndPepper || a.Cutout || a.MissingSections || a.Misalignment
}

// ToBatch stacks channel-last images of one shape ([(D,) H, W, C]) into a CPU tensor
// [N, C, (D,) H, W].
func ToBatch(imgs []*data.Image) *tensor.Tensor {
	shape := imgs[0].Shape
	sp := shape[:len(shape)-1]
	c := shape[len(shape)-1]
	vox := 1
	for _, v := range sp {
		vox *= v
	}
	out := make([]float32, len(imgs)*c*vox)
	for n, img := range imgs {
		if !slices.Equal(img.Shape, shape) {
			panic(fmt.Sprintf("workflows: ToBatch: image %v, want %v", img.Shape, shape))
		}
		dst := out[n*c*vox : (n+1)*c*vox]
		src := img.Data
		for v := range vox {
			for ch := range c {
				dst[ch*vox+v] = src[v*c+ch]
			}
		}
	}
	return tensor.FromSlice(out, append([]int{len(imgs), c}, sp...)...)
}

// FromBatch returns sample n of vals: [N, C, (D,) H, W] (shape) as channel-last
// values ([(D,) H, W, C] row-major).
func FromBatch(vals []float32, shape []int, n int) []float32 {
	c := shape[1]
	vox := 1
	for _, v := range shape[2:] {
		vox *= v
	}
	src := vals[n*c*vox : (n+1)*c*vox]
	out := make([]float32, c*vox)
	for v := range vox {
		for ch := range c {
			out[v*c+ch] = src[ch*vox+v]
		}
	}
	return out
}
