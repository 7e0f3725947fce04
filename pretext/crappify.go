package pretext

import (
	"fmt"
	"math"
	"slices"

	"github.com/selfsup/selfsup/internal/parallel"
	"github.com/selfsup/selfsup/tensor"
)

// DType is the sample type an image is stored in. [Crappify] casts its noisy and its
// resized results back to it, as BiaPy does with numpy's astype.
type DType uint8

// The sample types an image can be stored in.
const (
	Float32 DType = iota
	Uint8
	Uint16
	Int16
)

// String returns the numpy name of d ("uint8", …).
func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Uint8:
		return "uint8"
	case Uint16:
		return "uint16"
	case Int16:
		return "int16"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// cast converts v as numpy's astype(d) does for in-range values: integers truncate
// toward zero, float32 rounds to nearest.
func (d DType) cast(v float64) float64 {
	if d == Float32 {
		return float64(float32(v))
	}
	return math.Trunc(v)
}

// CrappifySize returns the spatial sizes an image is down-sampled to for resizing
// factor f: int(size/√f) per spatial axis (z included in 3D).
func CrappifySize(spatial []int, factor float64) []int {
	out := make([]int, len(spatial))
	s := math.Sqrt(factor)
	for i, n := range spatial {
		out[i] = int(float64(n) / s)
	}
	return out
}

// Crappify returns the degraded copy of an image that BiaPy's crappify pretext task
// makes (SPEC §3): samples are row-major channel-last, shape (y, x, c) or
// (z, y, x, c), holding values of type dtype. The result has the same shape and dtype.
//
//  1. If noise > 0: add N(0, (noise·m)²) per sample, m the global max; clip to
//     [0, m]; cast to dtype (integers truncate). The draws come from rng, split into
//     fixed blocks so the result does not depend on the number of threads; rng may be
//     nil when noise is 0.
//  2. Resize every spatial axis to int(size/√factor) and back, each time as skimage
//     resize(order=1, mode='reflect', clip=True, preserve_range=True,
//     anti_aliasing=False) does: scipy ndimage.zoom with half-pixel centres
//     (in = (out + 0.5)·in_size/out_size − 0.5), mirror borders, the (bi/tri)linear
//     weights summed in scipy's order, then clipped to the input's min and max. Integer
//     types compute in float64; float32 rounds each resize output to float32.
//  3. Cast to dtype (integers truncate toward zero).
func Crappify(samples []float32, shape []int, dtype DType, factor, noise float64, rng *tensor.RNG) []float32 {
	up := crappify(samples, shape, dtype, factor, noise, rng)
	out := make([]float32, len(up))
	for i, v := range up {
		out[i] = float32(dtype.cast(v))
	}
	return out
}

// crappify is [Crappify] before the final cast: the resized float64 samples.
func crappify(samples []float32, shape []int, dtype DType, factor, noise float64, rng *tensor.RNG) []float64 {
	if len(shape) != 3 && len(shape) != 4 {
		panic(fmt.Sprintf("pretext: Crappify: shape %v, want (y, x, c) or (z, y, x, c)", shape))
	}
	n := 1
	for _, s := range shape {
		if s < 1 {
			panic(fmt.Sprintf("pretext: Crappify: shape %v has an empty axis", shape))
		}
		n *= s
	}
	if len(samples) != n {
		panic(fmt.Sprintf("pretext: Crappify: shape %v has %d samples, got %d", shape, n, len(samples)))
	}
	if dtype > Int16 {
		panic(fmt.Sprintf("pretext: Crappify: unknown %v", dtype))
	}
	if !(factor > 0) {
		panic(fmt.Sprintf("pretext: Crappify: resizing factor %v, want > 0", factor))
	}
	if noise < 0 || math.IsNaN(noise) {
		panic(fmt.Sprintf("pretext: Crappify: noise %v, want ≥ 0", noise))
	}
	spatial := shape[:len(shape)-1]
	small := CrappifySize(spatial, factor)
	if slices.Min(small) < 1 {
		panic(fmt.Sprintf("pretext: Crappify: shape %v with factor %v gives spatial sizes %v", shape, factor, small))
	}

	img := make([]float64, n)
	for i, v := range samples {
		img[i] = float64(v)
	}
	if noise > 0 {
		if rng == nil {
			panic("pretext: Crappify: noise > 0 needs an RNG")
		}
		addNoise(img, noise, dtype, rng)
	}

	c := shape[len(shape)-1]
	down := resizeLinear(img, spatial, small, c, dtype == Float32)
	return resizeLinear(down, small, spatial, c, dtype == Float32)
}

// noiseBlock is the number of samples drawn from one derived generator; fixed so
// that the noise does not depend on the thread count.
const noiseBlock = 1 << 15

// addNoise adds BiaPy's Gaussian noise in place: σ = level·max(img), clip to
// [0, max], cast to dtype. One value from rng seeds every block's own generator.
func addNoise(img []float64, level float64, dtype DType, rng *tensor.RNG) {
	m := math.Inf(-1)
	for _, v := range img {
		m = max(m, v)
	}
	sigma := level * m
	base := rng.Uint64()
	blocks := (len(img) + noiseBlock - 1) / noiseBlock
	parallel.For(blocks, 1, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			g := tensor.NewRNG(splitmix64(base + uint64(b)*0x9e3779b97f4a7c15))
			end := min((b+1)*noiseBlock, len(img))
			for i := b * noiseBlock; i < end; i++ {
				// np.clip(a, 0, m) is minimum(maximum(a, 0), m).
				v := min(max(img[i]+g.Normal(0, sigma), 0), m)
				img[i] = dtype.cast(v)
			}
		}
	})
}

// splitmix64 scrambles x (SplitMix64's finaliser), to derive independent seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
