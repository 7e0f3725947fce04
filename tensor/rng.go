package tensor

import (
	"math"
	"math/rand/v2"
)

// RNG is the seeded host random generator behind every random draw in selfsup (initial
// weights, masks, noise, dropout, augmentation). It wraps math/rand/v2's PCG, so the same
// seed gives the same numbers on every machine and for every device: tensors are drawn
// on the host and then uploaded. An RNG is not safe for concurrent use.
type RNG struct {
	pcg *rand.PCG
	r   *rand.Rand
}

// NewRNG returns a generator seeded with seed.
func NewRNG(seed uint64) *RNG {
	pcg := rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)
	return &RNG{pcg: pcg, r: rand.New(pcg)}
}

// State returns the generator state, for checkpoints; [RNG.SetState] restores it.
func (g *RNG) State() []byte {
	b, _ := g.pcg.MarshalBinary()
	return b
}

// SetState restores a state returned by [RNG.State].
func (g *RNG) SetState(state []byte) error { return g.pcg.UnmarshalBinary(state) }

// Uint64 returns a uniformly distributed 64-bit value.
func (g *RNG) Uint64() uint64 { return g.r.Uint64() }

// IntN returns a uniform integer in [0, n).
func (g *RNG) IntN(n int) int { return g.r.IntN(n) }

// Float64 returns a uniform value in [0, 1).
func (g *RNG) Float64() float64 { return g.r.Float64() }

// Uniform returns a uniform value in [lo, hi).
func (g *RNG) Uniform(lo, hi float64) float64 { return lo + (hi-lo)*g.r.Float64() }

// Normal returns a normally distributed value with the given mean and standard deviation.
func (g *RNG) Normal(mean, std float64) float64 { return mean + std*g.r.NormFloat64() }

// TruncNormal returns a value from the normal distribution (mean, std) truncated to
// [lo, hi], by inverse-CDF sampling as torch.nn.init.trunc_normal_ does.
func (g *RNG) TruncNormal(mean, std, lo, hi float64) float64 {
	cdf := func(x float64) float64 { return 0.5 * (1 + math.Erf(x/math.Sqrt2)) }
	l, u := cdf((lo-mean)/std), cdf((hi-mean)/std)
	p := 2*(l+(u-l)*g.r.Float64()) - 1
	p = math.Max(-1+1e-16, math.Min(1-1e-16, p))
	v := mean + std*math.Sqrt2*math.Erfinv(p)
	return math.Max(lo, math.Min(hi, v))
}

// Perm returns a random permutation of [0, n).
func (g *RNG) Perm(n int) []int { return g.r.Perm(n) }

// Shuffle randomly permutes n elements with swap, as rand.Shuffle.
func (g *RNG) Shuffle(n int, swap func(i, j int)) { g.r.Shuffle(n, swap) }

// fill returns a host slice of n values drawn by f.
func fill(n int, f func() float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(f())
	}
	return v
}

// RandUniform returns a tensor on dev with values uniform in [lo, hi).
func RandUniform(dev Device, g *RNG, lo, hi float64, shape ...int) *Tensor {
	return FromSlice(fill(numel("RandUniform", shape), func() float64 { return g.Uniform(lo, hi) }), shape...).To(dev)
}

// RandNormal returns a tensor on dev with normal values (mean, std).
func RandNormal(dev Device, g *RNG, mean, std float64, shape ...int) *Tensor {
	return FromSlice(fill(numel("RandNormal", shape), func() float64 { return g.Normal(mean, std) }), shape...).To(dev)
}

// RandTruncNormal returns a tensor on dev with values from the normal (mean, std)
// truncated to [lo, hi] (torch.nn.init.trunc_normal_).
func RandTruncNormal(dev Device, g *RNG, mean, std, lo, hi float64, shape ...int) *Tensor {
	return FromSlice(fill(numel("RandTruncNormal", shape), func() float64 { return g.TruncNormal(mean, std, lo, hi) }), shape...).To(dev)
}
