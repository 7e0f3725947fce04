package models

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/internal/fixture"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

func init() {
	// Absent constructor arguments take the Python class defaults of DFCAN(...).
	fixtureBuilders["dfcan"] = func(c *fixture.Case) (nn.Module, error) {
		in, ok := c.Ints("input_shape", -1)
		if !ok || len(in) == 0 {
			return nil, srErrorf("dfcan side-car without input_shape")
		}
		return NewDFCAN(DFCANOptions{
			Dims:      srArgInt(c, "ndim", 2),
			Channels:  in[len(in)-1],
			Scale:     srArgScale(c, "scale", 2),
			ResGroups: srArgInt(c, "n_ResGroup", 4),
			RCABs:     srArgInt(c, "n_RCAB", 4),
		}, tensor.NewRNG(1))
	}
	trainStepCases["dfcan_2d"] = func() (nn.Module, func(tp *nn.Tape) *nn.Var) {
		m, err := NewDFCAN(DFCANOptions{ResGroups: 1, RCABs: 2}, tensor.NewRNG(1))
		return srTrainStep(m, err, 2, 1, 64, 64)
	}
	trainStepCases["dfcan_3d"] = func() (nn.Module, func(tp *nn.Tape) *nn.Var) {
		m, err := NewDFCAN(DFCANOptions{Dims: 3, ResGroups: 1, RCABs: 1}, tensor.NewRNG(1))
		return srTrainStep(m, err, 2, 1, 16, 32, 32)
	}
}

// srNaivePower is fourierPower in float64 straight from the definition: the DFT over
// axes 2 and 3, (|X| + 1e-8)^γ, then cat(x[n/2:], x[:n/2]) on every spatial axis.
func srNaivePower(x *tensor.Tensor, gamma float64) []float64 {
	s := x.Shape()
	v := x.Values()
	sp := s[2:]
	if len(sp) == 2 {
		sp = append(sp, 1)
	}
	d, h, w := sp[0], sp[1], sp[2]
	out := make([]float64, len(v))
	for nc := 0; nc < s[0]*s[1]; nc++ {
		base := nc * d * h * w
		for k1 := range d {
			for k2 := range h {
				for l := range w {
					var re, im float64
					for a := range d {
						for b := range h {
							ang := -2 * math.Pi * (float64(k1*a)/float64(d) + float64(k2*b)/float64(h))
							xv := float64(v[base+(a*h+b)*w+l])
							re += xv * math.Cos(ang)
							im += xv * math.Sin(ang)
						}
					}
					p := math.Pow(math.Hypot(re, im)+1e-8, gamma)
					// Output index i holds input index (i + n/2) mod n: i = (k − n/2) mod n.
					i1 := (k1 - d/2 + d) % d
					i2 := (k2 - h/2 + h) % h
					i3 := (l - w/2 + w) % w
					if len(s) == 4 {
						i3 = 0
					}
					out[base+(i1*h+i2)*w+i3] = p
				}
			}
		}
	}
	return out
}

func TestFourierPower(t *testing.T) {
	for _, shape := range [][]int{{2, 3, 8, 8}, {1, 2, 5, 6}, {1, 1, 7, 3}, {2, 2, 4, 6, 5}, {1, 1, 3, 5, 4}} {
		t.Run(srShapeName(shape), func(t *testing.T) {
			rng := tensor.NewRNG(11)
			x := nn.NewLeaf(tensor.RandUniform(tensor.CPU{}, rng, -1, 1, shape...))
			tp := nn.NewTape()
			y := fourierPower(tp, x, 0.8)
			want := srNaivePower(x.Value, 0.8)
			got := y.Value.Values()
			for i := range want {
				if math.Abs(float64(got[i])-want[i]) > 1e-4*(1+math.Abs(want[i])) {
					t.Fatalf("element %d = %g, want %g", i, got[i], want[i])
				}
			}
			// Gradient of Σ w·y against central differences of the float64 reference.
			wt := tensor.RandUniform(tensor.CPU{}, rng, -1, 1, shape...)
			tp.Backward(tp.Sum(tp.Mul(y, nn.NewVar(wt))))
			g := x.Grad.Values()
			wv := wt.Values()
			xv := x.Value.Values()
			for _, i := range []int{0, 1, len(xv) / 2, len(xv) - 1} {
				const eps = 1e-3
				old := xv[i]
				f := func(d float32) float64 {
					xv[i] = old + d
					p := srNaivePower(tensor.FromSlice(xv, shape...), 0.8)
					s := 0.0
					for j := range p {
						s += p[j] * float64(wv[j])
					}
					return s
				}
				num := (f(eps) - f(-eps)) / (2 * eps)
				xv[i] = old
				if math.Abs(float64(g[i])-num) > 2e-3*(1+math.Abs(num)) {
					t.Errorf("grad[%d] = %g, finite difference %g", i, g[i], num)
				}
			}
		})
	}
}

func TestDFCAN(t *testing.T) {
	cases := []struct {
		name      string
		o         DFCANOptions
		in, out   []int
		numParams int
	}{
		{"zero value", DFCANOptions{}, []int{1, 1, 4, 4}, []int{1, 1, 4, 4}, 1819969},
		{"x2", DFCANOptions{ResGroups: 1, RCABs: 1, Scale: 2, Channels: 2}, []int{2, 2, 4, 6}, []int{2, 2, 8, 12}, 0},
		{"3d", DFCANOptions{Dims: 3, ResGroups: 1, RCABs: 1}, []int{1, 1, 2, 4, 3}, []int{1, 1, 2, 4, 3}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewDFCAN(tc.o, tensor.NewRNG(3))
			if err != nil {
				t.Fatal(err)
			}
			if tc.numParams != 0 {
				if n := nn.CountParams(m.Params()); n != tc.numParams {
					t.Errorf("%d parameters, want %d", n, tc.numParams)
				}
			}
			x := nn.NewLeaf(tensor.RandUniform(tensor.CPU{}, tensor.NewRNG(4), 0, 1, tc.in...))
			tp := nn.NewTape()
			y := m.Forward(tp, x)
			if !slices.Equal(y.Shape(), tc.out) {
				t.Fatalf("output %v, want %v", y.Shape(), tc.out)
			}
			for _, v := range y.Value.Values() {
				if !(v > 0 && v < 1) {
					t.Fatalf("output %g outside the sigmoid's range", v)
				}
			}
			tp.Backward(tp.Mean(y))
			if x.Grad == nil {
				t.Errorf("no input gradient")
			}
		})
	}
}

func TestDFCANErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    DFCANOptions
		want string
	}{
		{"3d upscaling", DFCANOptions{Dims: 3, Scale: 2}, "2-D only"},
		{"channels", DFCANOptions{Channels: -2}, "channels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewDFCAN(tc.o, tensor.NewRNG(1))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
