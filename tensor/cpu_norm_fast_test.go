package tensor

import (
	"math"
	"testing"
)

// TestNormShiftedMoments checks the one-pass shifted moments of BatchNorm and
// LayerNorm against a float64 two-pass reference where the mean dwarfs the spread
// (the case a plain E[x²]−E[x]² gets wrong) and where the first value is an outlier.
func TestNormShiftedMoments(t *testing.T) {
	cases := []struct {
		name       string
		mean, std  float64
		firstValue float64 // replaces the first element when non-zero
	}{
		{"centred", 0, 1, 0},
		{"large mean", 3000, 0.01, 0},
		{"outlier first", 5, 0.1, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := NewRNG(7)
			const n, ch, s = 3, 4, 257
			xs := make([]float32, n*ch*s)
			for i := range xs {
				xs[i] = float32(rng.Normal(c.mean, c.std))
			}
			if c.firstValue != 0 {
				xs[0] = float32(c.firstValue)
			}
			// BatchNorm over [N, C, S].
			x := FromSlice(xs, n, ch, s)
			dst, mean, vr := New(CPU{}, n, ch, s), New(CPU{}, ch), New(CPU{}, ch)
			CPU{}.BatchNorm(dst, mean, vr, x, nil, nil, 1e-5, true)
			for k := range ch {
				var vals []float64
				for b := range n {
					for i := range s {
						vals = append(vals, float64(xs[(b*ch+k)*s+i]))
					}
				}
				m, v := twoPass(vals)
				checkMoment(t, "BatchNorm mean", k, float64(mean.Data()[k]), m, v)
				checkMoment(t, "BatchNorm variance", k, float64(vr.Data()[k]), v, 0)
			}
			// LayerNorm over rows of length S.
			xr := FromSlice(xs, n*ch, s)
			lm, lr := New(CPU{}, n*ch), New(CPU{}, n*ch)
			CPU{}.LayerNorm(New(CPU{}, n*ch, s), lm, lr, xr, nil, nil, 1e-5)
			for r := range n * ch {
				vals := make([]float64, s)
				for i := range s {
					vals[i] = float64(xs[r*s+i])
				}
				m, v := twoPass(vals)
				checkMoment(t, "LayerNorm mean", r, float64(lm.Data()[r]), m, v)
				checkMoment(t, "LayerNorm rstd", r, float64(lr.Data()[r]), 1/math.Sqrt(v+1e-5), 0)
			}
		})
	}
}

// twoPass returns the mean and biased variance of v, two passes in float64.
func twoPass(v []float64) (mean, variance float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(v))
}

// checkMoment fails unless got is within 2e-7 relative of want (plus 1e-6·spread for
// a mean, whose float32 rounding is relative to itself anyway).
func checkMoment(t *testing.T, what string, i int, got, want, spread float64) {
	t.Helper()
	if math.Abs(got-want) > 2e-7*math.Abs(want)+1e-6*math.Sqrt(spread) {
		t.Errorf("%s[%d] = %.9g, want %.9g", what, i, got, want)
	}
}
