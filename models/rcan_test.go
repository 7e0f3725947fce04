package models

import (
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/internal/fixture"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

func init() {
	// Absent constructor arguments take the Python class defaults of rcan(...).
	fixtureBuilders["rcan"] = func(c *fixture.Case) (nn.Module, error) {
		up, ok := c.Bool("upscaling_layer")
		return NewRCAN(RCANOptions{
			Dims:             srArgInt(c, "ndim", 2),
			Channels:         srArgInt(c, "num_channels", 3),
			Filters:          srArgInt(c, "filters", 64),
			Scale:            srArgScale(c, "scale", 2),
			Groups:           srArgInt(c, "num_rg", 10),
			RCABs:            srArgInt(c, "num_rcab", 20),
			Reduction:        srArgInt(c, "reduction", 16),
			NoUpscalingLayer: ok && !up,
		}, tensor.NewRNG(1))
	}
	trainStepCases["rcan_2d"] = func() (nn.Module, func(tp *nn.Tape) *nn.Var) {
		m, err := NewRCAN(RCANOptions{Groups: 2, RCABs: 4}, tensor.NewRNG(1))
		return srTrainStep(m, err, 2, 1, 64, 64)
	}
	trainStepCases["rcan_3d"] = func() (nn.Module, func(tp *nn.Tape) *nn.Var) {
		m, err := NewRCAN(RCANOptions{Dims: 3, Groups: 2, RCABs: 2}, tensor.NewRNG(1))
		return srTrainStep(m, err, 2, 1, 16, 32, 32)
	}
}

func TestRCAN(t *testing.T) {
	cases := []struct {
		name      string
		o         RCANOptions
		in, out   []int
		numParams int
	}{
		{"zero value", RCANOptions{}, []int{1, 1, 4, 4}, []int{1, 1, 4, 4}, 965945},
		{"x2", RCANOptions{Filters: 8, Groups: 1, RCABs: 1, Reduction: 4, Scale: 2, Channels: 2}, []int{2, 2, 5, 6}, []int{2, 2, 10, 12}, 0},
		{"no upscaling layer", RCANOptions{Filters: 8, Groups: 1, RCABs: 1, Reduction: 4, Scale: 2, NoUpscalingLayer: true}, []int{1, 1, 4, 4}, []int{1, 1, 4, 4}, 0},
		{"3d", RCANOptions{Dims: 3, Filters: 8, Groups: 2, RCABs: 1, Reduction: 8}, []int{1, 1, 3, 4, 5}, []int{1, 1, 3, 4, 5}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewRCAN(tc.o, tensor.NewRNG(3))
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
			tp.Backward(tp.Mean(y))
			if x.Grad == nil {
				t.Errorf("no input gradient")
			}
		})
	}
}

func TestRCANErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    RCANOptions
		want string
	}{
		{"3d upscaling", RCANOptions{Dims: 3, Scale: 2}, "2-D only"},
		{"dims", RCANOptions{Dims: 1}, "spatial dimensions"},
		{"reduction", RCANOptions{Filters: 8, Reduction: 16}, "no attention channel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewRCAN(tc.o, tensor.NewRNG(1))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
