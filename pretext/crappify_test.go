package pretext

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/internal/parallel"
	"github.com/selfsup/selfsup/tensor"
)

// ramp returns n samples i*step mod m.
func ramp(n int, step, m float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(math.Mod(float64(float32(i)*step), float64(m)))
	}
	return out
}

func TestLinearAxis(t *testing.T) {
	tests := []struct {
		in, out int
		i0, i1  []int
		w0      []float64
	}{
		// Down by 2: centres at 0.5 and 2.5.
		{4, 2, []int{0, 2}, []int{1, 3}, []float64{0.5, 0.5}},
		// Up by 2: −0.25 mirrors to 0.25; 1.25 lies past the end and mirrors back.
		{2, 4, []int{0, 0, 0, 1}, []int{1, 1, 1, 0}, []float64{0.75, 0.75, 0.25, 0.75}},
		// Same size: identity.
		{3, 3, []int{0, 1, 2}, []int{1, 2, 1}, []float64{1, 1, 1}},
		// One input sample: everything reads it.
		{1, 3, []int{0, 0, 0}, []int{0, 0, 0}, []float64{1, 1, 1}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d_to_%d", tc.in, tc.out), func(t *testing.T) {
			m := linearAxis(tc.in, tc.out)
			if !slices.Equal(m.i0, tc.i0) || !slices.Equal(m.i1, tc.i1) || !slices.Equal(m.w0, tc.w0) {
				t.Errorf("got i0 %v i1 %v w0 %v, want %v %v %v", m.i0, m.i1, m.w0, tc.i0, tc.i1, tc.w0)
			}
			for o := range tc.out {
				if m.w0[o]+m.w1[o] != 1 {
					t.Errorf("weights %v+%v ≠ 1", m.w0[o], m.w1[o])
				}
			}
		})
	}
}

func TestCrappifyDeterministic(t *testing.T) {
	tests := []struct {
		name   string
		shape  []int
		dtype  DType
		factor float64
	}{
		{"2d_rgb_f4", []int{20, 30, 3}, Uint8, 4},
		{"3d_two_channels_f2", []int{6, 10, 12, 2}, Uint16, 2},
		{"2d_float_f6", []int{17, 9, 1}, Float32, 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := 1
			for _, s := range tc.shape {
				n *= s
			}
			// A constant image stays constant (the clip keeps it exact).
			flat := make([]float32, n)
			for i := range flat {
				flat[i] = 77
			}
			for i, v := range Crappify(flat, tc.shape, tc.dtype, tc.factor, 0, nil) {
				if v != 77 {
					t.Fatalf("constant image: sample %d = %v", i, v)
				}
			}
			// Factor 1 without noise is the identity.
			src := ramp(n, 7, 250)
			if got := Crappify(src, tc.shape, tc.dtype, 1, 0, nil); !slices.Equal(got, src) {
				t.Errorf("factor 1 changed the image")
			}
			// Outputs stay in the input range and are of the dtype.
			got := Crappify(src, tc.shape, tc.dtype, tc.factor, 0, nil)
			lo, hi := slices.Min(src), slices.Max(src)
			for i, v := range got {
				if v < lo || v > hi || (tc.dtype != Float32 && v != float32(math.Trunc(float64(v)))) {
					t.Fatalf("sample %d = %v outside [%v, %v] or not a %v", i, v, lo, hi, tc.dtype)
				}
			}
			// Channels are resized independently: crappifying channel 0 alone gives the
			// same values.
			c := tc.shape[len(tc.shape)-1]
			one := slices.Clone(tc.shape)
			one[len(one)-1] = 1
			ch0 := make([]float32, n/c)
			for i := range ch0 {
				ch0[i] = src[i*c]
			}
			for i, v := range Crappify(ch0, one, tc.dtype, tc.factor, 0, nil) {
				if v != got[i*c] {
					t.Fatalf("channel 0 sample %d: alone %v, with others %v", i, v, got[i*c])
				}
			}
		})
	}
}

func TestCrappifyNoiseStatistics(t *testing.T) {
	// Every sample 50 except one 100 (the max): σ = 0.1·100 = 10, so 50 ± N(0, 10)
	// is almost never clipped. Factor 1 leaves the noisy image as it is.
	const n = 300 * 300
	shape := []int{300, 300, 1}
	src := make([]float32, n)
	for i := range src {
		src[i] = 50
	}
	src[0] = 100
	tests := []struct {
		dtype    DType
		wantMean float64 // integer types truncate: E[floor(50 + e)] − 50 ≈ −0.5
	}{
		{Float32, 0},
		{Uint8, -0.5},
		{Uint16, -0.5},
	}
	for _, tc := range tests {
		t.Run(tc.dtype.String(), func(t *testing.T) {
			got := Crappify(src, shape, tc.dtype, 1, 0.1, tensor.NewRNG(7))
			var s, s2 float64
			for i, v := range got[1:] {
				if v < 0 || v > 100 {
					t.Fatalf("sample %d = %v outside [0, 100]", i+1, v)
				}
				d := float64(v) - 50
				s += d
				s2 += d * d
			}
			m := s / (n - 1)
			sd := math.Sqrt(s2/(n-1) - m*m)
			// Standard error of the mean is 10/300; allow 5 of them.
			if math.Abs(m-tc.wantMean) > 5*10.0/300 {
				t.Errorf("mean offset %.4f, want %.1f", m, tc.wantMean)
			}
			// Truncation adds variance 1/12; the sd is within 2% of 10.
			if math.Abs(sd-10) > 0.2 {
				t.Errorf("sd %.4f, want ≈ 10", sd)
			}
		})
	}
}

func TestCrappifyNoiseReproducible(t *testing.T) {
	shape := []int{3, 150, 150, 1} // more than one noise block
	src := ramp(3*150*150, 3, 200)
	a := Crappify(src, shape, Uint8, 2, 0.2, tensor.NewRNG(1))
	b := Crappify(src, shape, Uint8, 2, 0.2, tensor.NewRNG(1))
	if !slices.Equal(a, b) {
		t.Error("same seed, different output")
	}
	if c := Crappify(src, shape, Uint8, 2, 0.2, tensor.NewRNG(2)); slices.Equal(a, c) {
		t.Error("different seeds, same output")
	}
	prev := parallel.SetThreads(1)
	c := Crappify(src, shape, Uint8, 2, 0.2, tensor.NewRNG(1))
	parallel.SetThreads(prev)
	if !slices.Equal(a, c) {
		t.Error("output depends on the thread count")
	}
	// The noise changes the result, and the caller's generator advanced.
	if d := Crappify(src, shape, Uint8, 2, 0, nil); slices.Equal(a, d) {
		t.Error("noise 0.2 had no effect")
	}
}

func TestCrappifyPanics(t *testing.T) {
	tests := []struct {
		name, want string
		f          func()
	}{
		{"rank", "shape [4 4]", func() { Crappify(make([]float32, 16), []int{4, 4}, Uint8, 2, 0, nil) }},
		{"length", "has 16 samples, got 15", func() { Crappify(make([]float32, 15), []int{4, 4, 1}, Uint8, 2, 0, nil) }},
		{"factor", "resizing factor 0", func() { Crappify(make([]float32, 16), []int{4, 4, 1}, Uint8, 0, 0, nil) }},
		{"too small", "gives spatial sizes [0 2]", func() { Crappify(make([]float32, 4), []int{1, 4, 1}, Uint8, 4, 0, nil) }},
		{"no rng", "needs an RNG", func() { Crappify(make([]float32, 16), []int{4, 4, 1}, Uint8, 2, 0.1, nil) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, tc.want) || !strings.HasPrefix(s, "pretext: Crappify") {
					t.Errorf("panic %v, want one containing %q", r, tc.want)
				}
			}()
			tc.f()
		})
	}
}

func BenchmarkCrappify2D(b *testing.B) {
	shape := []int{1024, 1024, 1}
	src := ramp(1024*1024, 13, 256)
	for _, noise := range []float64{0, 0.1} {
		b.Run(fmt.Sprintf("noise=%g", noise), func(b *testing.B) {
			rng := tensor.NewRNG(0)
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				Crappify(src, shape, Uint8, 4, noise, rng)
			}
		})
	}
}
