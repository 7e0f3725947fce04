package data

import (
	"math"
	"slices"

	"github.com/selfsup/selfsup/internal/parallel"
	"github.com/selfsup/selfsup/tensor"
)

// gaussianKernel returns the normalised 1-D Gaussian weights w[0..2r] for sigma, with
// radius r = int(4σ + 0.5) (scipy.ndimage.gaussian_filter's truncate=4).
func gaussianKernel(sigma float64) []float32 {
	r := int(4*sigma + 0.5)
	k := make([]float64, 2*r+1)
	sum := 0.0
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += k[i]
	}
	out := make([]float32, len(k))
	for i := range k {
		out[i] = float32(k[i] / sum)
	}
	return out
}

// gaussianBlur returns m blurred in the yx plane of every z-slice and channel by a
// separable Gaussian of standard deviation sigma (pixels), mirror ("reflect") border as
// imgaug's GaussianBlur. sigma ≤ 0 returns a copy.
func gaussianBlur(m *Image, sigma float64) *Image {
	if sigma <= 0 {
		return m.Clone()
	}
	k := gaussianKernel(sigma)
	r := len(k) / 2
	d, h, w, c := m.Depth(), m.Height(), m.Width(), m.Channels()
	tmp := make([]float32, len(m.Data))
	out := &Image{Data: make([]float32, len(m.Data)), Shape: slices.Clone(m.Shape), DType: m.DType}
	grain := max(1, 4096/(w*c))
	// Along x.
	parallel.For(d*h, grain, func(lo, hi int) {
		for row := lo; row < hi; row++ {
			src := m.Data[row*w*c:][:w*c]
			dst := tmp[row*w*c:][:w*c]
			for x := range w {
				o := dst[x*c:][:c]
				for i := range o {
					o[i] = 0
				}
				for j, kw := range k {
					sx := borderIndex(x+j-r, w, borderReflect)
					s := src[sx*c:][:c]
					for i := range o {
						o[i] += kw * s[i]
					}
				}
			}
		}
	})
	// Along y.
	parallel.For(d*h, grain, func(lo, hi int) {
		for row := lo; row < hi; row++ {
			z, y := row/h, row%h
			dst := out.Data[row*w*c:][:w*c]
			for j, kw := range k {
				sy := borderIndex(y+j-r, h, borderReflect)
				src := tmp[(z*h+sy)*w*c:][:w*c]
				for i := range dst {
					dst[i] += kw * src[i]
				}
			}
		}
	})
	return out
}

// medianBlur returns m with every sample replaced by the median of its k×k
// neighbourhood in the yx plane (per z-slice and channel), edge-replicated border as
// OpenCV's medianBlur behind imgaug's MedianBlur. k must be odd.
func medianBlur(m *Image, k int) *Image {
	r := k / 2
	d, h, w, c := m.Depth(), m.Height(), m.Width(), m.Channels()
	out := &Image{Data: make([]float32, len(m.Data)), Shape: slices.Clone(m.Shape), DType: m.DType}
	parallel.For(d*h, max(1, 1024/(w*c)), func(lo, hi int) {
		buf := make([]float32, k*k)
		for row := lo; row < hi; row++ {
			z, y := row/h, row%h
			for x := range w {
				for ch := range c {
					n := 0
					for dy := -r; dy <= r; dy++ {
						sy := borderIndex(y+dy, h, borderEdge)
						base := (z*h + sy) * w
						for dx := -r; dx <= r; dx++ {
							sx := borderIndex(x+dx, w, borderEdge)
							buf[n] = m.Data[(base+sx)*c+ch]
							n++
						}
					}
					out.Data[(row*w+x)*c+ch] = selectKth(buf, len(buf)/2)
				}
			}
		}
	})
	return out
}

// selectKth returns the k-th smallest value of v (reordering v), by quickselect.
func selectKth(v []float32, k int) float32 {
	lo, hi := 0, len(v)-1
	for lo < hi {
		p := v[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for v[i] < p {
				i++
			}
			for v[j] > p {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return v[k]
		}
	}
	return v[k]
}

// gammaContrast applies v → v^γ in place (imgaug's GammaContrast on [0, 1] data);
// negative samples map to −|v|^γ so the transform stays monotonic.
func gammaContrast(m *Image, gamma float64) {
	for i, v := range m.Data {
		if v >= 0 {
			m.Data[i] = float32(math.Pow(float64(v), gamma))
		} else {
			m.Data[i] = -float32(math.Pow(float64(-v), gamma))
		}
	}
}

// addPerSlice adds add[z] to every sample of z-slice z of m, in place.
func addPerSlice(m *Image, add []float64) {
	n := m.Height() * m.Width() * m.Channels()
	for z, a := range add {
		s := m.Data[z*n:][:n]
		for i := range s {
			s[i] += float32(a)
		}
	}
}

// scalePerSlice multiplies every sample of z-slice z of m by mul[z], in place.
func scalePerSlice(m *Image, mul []float64) {
	n := m.Height() * m.Width() * m.Channels()
	for z, f := range mul {
		s := m.Data[z*n:][:n]
		for i := range s {
			s[i] *= float32(f)
		}
	}
}

// sliceFactors draws one factor uniform in r for the whole image (mode "3D", and every
// 2-D image) or one per z-slice (mode "2D" on a 3-D image), as BiaPy's brightness and
// contrast do.
func sliceFactors(rng *tensor.RNG, r [2]float64, mode string, m *Image) []float64 {
	f := make([]float64, m.Depth())
	if mode == "2D" && m.Is3D() {
		for z := range f {
			f[z] = rng.Uniform(r[0], r[1])
		}
		return f
	}
	v := rng.Uniform(r[0], r[1])
	for z := range f {
		f[z] = v
	}
	return f
}

// meanVar returns the mean and (population) variance of v.
func meanVar(v []float32) (mean, variance float64) {
	for _, x := range v {
		mean += float64(x)
	}
	mean /= float64(len(v))
	for _, x := range v {
		d := float64(x) - mean
		variance += d * d
	}
	return mean, variance / float64(len(v))
}

// gaussianNoise adds i.i.d. N(mean, var) noise to every sample in place
// (skimage.util.random_noise mode "gaussian", without its clipping).
func gaussianNoise(rng *tensor.RNG, m *Image, mean, variance float64) {
	std := math.Sqrt(variance)
	for i := range m.Data {
		m.Data[i] += float32(rng.Normal(mean, std))
	}
}

// poissonNoise replaces every sample by Poisson(v·vals)/vals in place, where vals is
// the number of distinct sample values rounded up to a power of two
// (skimage.util.random_noise mode "poisson"). Data with negative samples is first
// shifted and scaled to [0, 1] and mapped back afterwards. No clipping.
func poissonNoise(rng *tensor.RNG, m *Image) {
	lo, hi := slices.Min(m.Data), slices.Max(m.Data)
	shift, scale := 0.0, 1.0
	if lo < 0 {
		shift = -float64(lo)
		scale = float64(hi) + shift
		if scale == 0 {
			scale = 1
		}
	}
	u := slices.Clone(m.Data)
	slices.Sort(u)
	u = slices.Compact(u)
	vals := math.Exp2(math.Ceil(math.Log2(float64(len(u)))))
	for i, v := range m.Data {
		x := (float64(v) + shift) / scale
		p := float64(poisson(rng, x*vals)) / vals
		m.Data[i] = float32(p*scale - shift)
	}
}

// poisson draws a Poisson(lam) variate: multiplication (Knuth) below 10, Hörmann's
// PTRS transformed rejection above, as numpy does.
func poisson(rng *tensor.RNG, lam float64) int64 {
	if lam <= 0 {
		return 0
	}
	if lam < 10 {
		enlam := math.Exp(-lam)
		var x int64
		prod := 1.0
		for {
			prod *= rng.Float64()
			if prod <= enlam {
				return x
			}
			x++
		}
	}
	slam, loglam := math.Sqrt(lam), math.Log(lam)
	b := 0.931 + 2.53*slam
	a := -0.059 + 0.02483*b
	invalpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	for {
		u := rng.Float64() - 0.5
		v := rng.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + lam + 0.43)
		if us >= 0.07 && v <= vr {
			return int64(k)
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invalpha)-math.Log(a/(us*us)+b) <= -lam+k*loglam-lg {
			return int64(k)
		}
	}
}

// saltAndPepper sets each sample, with probability amount, to the image maximum (salt,
// with probability prop) or minimum (pepper), in place (skimage's mode "s&p" uses 1 and
// 0 / −1, which equal max and min for data spanning [0, 1] / [−1, 1]).
func saltAndPepper(rng *tensor.RNG, m *Image, amount, prop float64) {
	salt, pepper := slices.Max(m.Data), slices.Min(m.Data)
	for i := range m.Data {
		flip := rng.Float64() < amount
		isSalt := rng.Float64() < prop
		if flip {
			if isSalt {
				m.Data[i] = salt
			} else {
				m.Data[i] = pepper
			}
		}
	}
}
