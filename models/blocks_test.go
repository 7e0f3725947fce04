package models

import (
	"math"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// TestActivation checks each BiaPy activation name on a few values.
func TestActivation(t *testing.T) {
	xs := []float32{-30, -1, -0.5, 0.5, 2, 30}
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	cases := []struct {
		name string
		f    func(x float64) float64
	}{
		{"relu", func(x float64) float64 { return math.Max(x, 0) }},
		{"ReLU", func(x float64) float64 { return math.Max(x, 0) }},
		{"elu", func(x float64) float64 {
			if x > 0 {
				return x
			}
			return math.Expm1(x)
		}},
		{"leaky_relu", func(x float64) float64 {
			if x > 0 {
				return x
			}
			return 0.2 * x
		}},
		{"tanh", math.Tanh},
		{"sigmoid", sig},
		{"silu", func(x float64) float64 { return x * sig(x) }},
		{"gelu", func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }},
		{"softplus", func(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }},
		{"linear", func(x float64) float64 { return x }},
		{"none", func(x float64) float64 { return x }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Activation(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			x := tensor.FromSlice(append([]float32(nil), xs...), 1, len(xs))
			y := a.Forward(nil, nn.NewVar(x)).Value.Values()
			for i, v := range xs {
				if want := tc.f(float64(v)); math.Abs(float64(y[i])-want) > 1e-5*(1+math.Abs(want)) {
					t.Errorf("%s(%g) = %g, want %g", tc.name, v, y[i], want)
				}
			}
		})
	}
	if _, err := Activation("swoosh"); err == nil || !strings.Contains(err.Error(), `"swoosh"`) {
		t.Errorf("error %v for an unknown activation", err)
	}
}

// TestNorm checks the layer type and state_dict entries of each BiaPy normalisation.
func TestNorm(t *testing.T) {
	cases := []struct {
		name   string
		c, nd  int
		keys   int // state_dict entries
		groups int // GroupNorm groups, 0 otherwise
	}{
		{"bn", 16, 2, 5, 0},
		{"sync_bn", 16, 3, 5, 0},
		{"in", 16, 2, 0, 0},
		{"gn", 32, 2, 2, 16},
		{"gn", 16, 3, 2, 8},
		{"none", 16, 2, -1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Norm(tc.name, tc.c, tc.nd)
			if err != nil {
				t.Fatal(err)
			}
			if tc.keys < 0 {
				if m != nil {
					t.Fatalf("%s gave %T, want nil", tc.name, m)
				}
				return
			}
			if n := len(m.Params()); n != tc.keys {
				t.Errorf("%d state_dict entries, want %d", n, tc.keys)
			}
			if g, ok := m.(*nn.GroupNorm); ok != (tc.groups > 0) || (ok && g.Groups != tc.groups) {
				t.Errorf("%T, want %d groups", m, tc.groups)
			}
		})
	}
	if _, err := Norm("gn", 8, 2); err == nil {
		t.Error("no error for 8 channels in 16 groups")
	}
}

// TestSqExBlock checks the squeeze-and-excitation output against a direct
// computation.
func TestSqExBlock(t *testing.T) {
	rng := tensor.NewRNG(4)
	b, err := NewSqExBlock(32, 16, InitXavier, rng)
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.RandUniform(tensor.CPU{}, rng, -1, 1, 2, 32, 3, 4)
	yv := b.Forward(nil, nn.NewVar(x)).Value.Values()
	xv, w1, w2 := x.Values(), b.Fc1.W.Value.Values(), b.Fc2.W.Value.Values()
	at := func(v []float32, n, c, i, j int) float32 { return v[((n*32+c)*3+i)*4+j] }
	for n := range 2 {
		mean := make([]float64, 32)
		for c := range 32 {
			for i := range 3 {
				for j := range 4 {
					mean[c] += float64(at(xv, n, c, i, j)) / 12
				}
			}
		}
		h := make([]float64, 2)
		for k := range 2 {
			for c := range 32 {
				h[k] += float64(w1[k*32+c]) * mean[c]
			}
			h[k] = math.Max(h[k], 0)
		}
		for c := range 32 {
			s := float64(w2[c*2])*h[0] + float64(w2[c*2+1])*h[1]
			s = 1 / (1 + math.Exp(-s))
			if got, want := float64(at(yv, n, c, 1, 2)), float64(at(xv, n, c, 1, 2))*s; math.Abs(got-want) > 1e-5 {
				t.Fatalf("y[%d,%d,1,2] = %g, want %g", n, c, got, want)
			}
		}
	}
	if _, err := NewSqExBlock(8, 16, InitDefault, rng); err == nil {
		t.Error("no error for a zero-width excitation")
	}
}
