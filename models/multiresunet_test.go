package models

import (
	"fmt"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/internal/fixture"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

func init() {
	fixtureBuilders["multiresunet"] = func(c *fixture.Case) (nn.Module, error) {
		o, err := multiResUNetOptionsFromCase(c)
		if err != nil {
			return nil, err
		}
		return NewMultiResUNet(o, tensor.NewRNG(1))
	}
	trainStepCases["multiresunet_2d"] = func() (nn.Module, func(tp *nn.Tape) *nn.Var) {
		return multiResUNetTrainStep(2, []int{2, 1, 64, 64})
	}
	trainStepCases["multiresunet_3d"] = func() (nn.Module, func(tp *nn.Tape) *nn.Var) {
		return multiResUNetTrainStep(3, []int{2, 1, 16, 32, 32})
	}
}

// multiResUNetTrainStep builds a 16-filter MultiResUNet and an MSE loss on a fixed
// random batch of the given shape.
func multiResUNetTrainStep(ndim int, shape []int) (nn.Module, func(tp *nn.Tape) *nn.Var) {
	rng := tensor.NewRNG(7)
	m, err := NewMultiResUNet(MultiResUNetOptions{NDim: ndim, BaseFilters: 16}, rng)
	if err != nil {
		panic(err)
	}
	x := nn.NewVar(tensor.RandUniform(tensor.CPU{}, rng, 0, 1, shape...).To(testDevice))
	y := nn.NewVar(tensor.RandUniform(tensor.CPU{}, rng, 0, 1, shape...).To(testDevice))
	return m, func(tp *nn.Tape) *nn.Var { return tp.MSELoss(m.Forward(tp, x), y) }
}

// multiResUNetOptionsFromCase translates a side-car's constructor_args (input_channels,
// ndim, alpha, z_down, output_channels and the fixture's "_base" filter count).
func multiResUNetOptionsFromCase(c *fixture.Case) (MultiResUNetOptions, error) {
	var o MultiResUNetOptions
	var ok bool
	if o.NDim, ok = c.Int("ndim"); !ok {
		return o, fmt.Errorf("side-car has no ndim")
	}
	if o.InChannels, ok = c.Int("input_channels"); !ok {
		return o, fmt.Errorf("side-car has no input_channels")
	}
	if oc, ok := c.Ints("output_channels", 0); ok {
		if len(oc) != 1 {
			return o, fmt.Errorf("output_channels %v: only one head is supported", oc)
		}
		o.OutChannels = oc[0]
	}
	if a, ok := c.Float("alpha"); ok {
		o.Alpha = a
	}
	if z, ok := c.Ints("z_down", 0); ok {
		o.ZDown = z
	}
	if b, ok := c.Int("_base"); ok {
		o.BaseFilters = b
	}
	return o, nil
}

func TestMultiResUNetWidths(t *testing.T) {
	tests := []struct {
		filters    int
		alpha      float64
		w3, w5, w7 int
	}{
		{32, 1.67, 8, 17, 26},
		{64, 1.67, 17, 35, 53},
		{512, 1.67, 142, 284, 427},
		{4, 1.67, 1, 2, 3},
		{10, 1, 1, 3, 5},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.filters, "_", tc.alpha), func(t *testing.T) {
			w3, w5, w7 := multiResWidths(tc.filters, tc.alpha)
			if w3 != tc.w3 || w5 != tc.w5 || w7 != tc.w7 {
				t.Errorf("widths %d %d %d, want %d %d %d", w3, w5, w7, tc.w3, tc.w5, tc.w7)
			}
		})
	}
}

func TestMultiResUNetOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		o    MultiResUNetOptions
		want string
	}{
		{"ndim", MultiResUNetOptions{NDim: 4}, "ndim 4"},
		{"zdown", MultiResUNetOptions{NDim: 3, ZDown: []int{2, 2}}, "2 z_down values"},
		{"zdown0", MultiResUNetOptions{NDim: 3, ZDown: []int{2, 0, 2, 2}}, "z_down"},
		{"alpha", MultiResUNetOptions{Alpha: -1}, "alpha"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewMultiResUNet(tc.o, tensor.NewRNG(1))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestMultiResUNetShapes runs small 2-D and anisotropic 3-D models in eval mode and
// checks the output shape (the fixtures cover 2-D values only).
func TestMultiResUNetShapes(t *testing.T) {
	tests := []struct {
		name  string
		o     MultiResUNetOptions
		shape []int
		out   int
	}{
		{"2d_rgb", MultiResUNetOptions{InChannels: 3, BaseFilters: 4}, []int{1, 3, 16, 32}, 3},
		{"3d_aniso", MultiResUNetOptions{NDim: 3, BaseFilters: 4, ZDown: []int{1, 2, 1, 1}, OutChannels: 2},
			[]int{1, 1, 2, 16, 16}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewMultiResUNet(tc.o, tensor.NewRNG(3))
			if err != nil {
				t.Fatal(err)
			}
			nn.SetTraining(m, false)
			x := nn.NewVar(tensor.RandUniform(tensor.CPU{}, tensor.NewRNG(4), 0, 1, tc.shape...))
			y := m.Forward(nil, x)
			want := append([]int{tc.shape[0], tc.out}, tc.shape[2:]...)
			if fmt.Sprint(y.Shape()) != fmt.Sprint(want) {
				t.Errorf("output %v, want %v", y.Shape(), want)
			}
		})
	}
}

// TestPoolDivisiblePanics checks the clear error for inputs whose spatial sizes do
// not survive the pooling.
func TestPoolDivisiblePanics(t *testing.T) {
	mr, err := NewMultiResUNet(MultiResUNetOptions{BaseFilters: 4}, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	rpp, err := NewResUNetPlusPlus(UNetOptions{FeatureMaps: []int{16, 32, 64}}, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		m     nn.Module
		shape []int
		want  string
	}{
		{"multiresunet", mr, []int{1, 1, 16, 24}, "axis 1 (size 24) must be divisible by 16"},
		{"resunetpp", rpp, []int{1, 1, 7, 8}, "axis 0 (size 7) must be divisible by 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, tc.want) {
					t.Errorf("panic %v, want one containing %q", r, tc.want)
				}
			}()
			tc.m.Forward(nil, nn.NewVar(tensor.Zeros(tensor.CPU{}, tc.shape...)))
		})
	}
}
