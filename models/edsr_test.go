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
	// Absent constructor arguments take the Python class defaults, so the side-car of
	// BiaPy 3.5.13's positional-dict call (constructor_args {}) builds 64/16/×2/3.
	fixtureBuilders["edsr"] = func(c *fixture.Case) (nn.Module, error) {
		d := EDSRClassDefaults()
		return NewEDSR(EDSROptions{
			Dims:      srArgInt(c, "ndim", d.Dims),
			Filters:   srArgInt(c, "num_filters", d.Filters),
			ResBlocks: srArgInt(c, "num_of_residual_blocks", d.ResBlocks),
			Scale:     srArgScale(c, "upsampling_factor", d.Scale),
			Channels:  srArgInt(c, "num_channels", d.Channels),
		}, tensor.NewRNG(1))
	}
	trainStepCases["edsr_2d"] = func() (nn.Module, func(tp *nn.Tape) *nn.Var) {
		m, err := NewEDSR(EDSROptions{Filters: 32, ResBlocks: 4}, tensor.NewRNG(1))
		return srTrainStep(m, err, 2, 1, 64, 64)
	}
}

func TestEDSR(t *testing.T) {
	cases := []struct {
		name      string
		o         EDSROptions
		in, out   []int
		numParams int
	}{
		{"zero value", EDSROptions{}, []int{1, 1, 8, 8}, []int{1, 1, 8, 8}, 1256769},
		{"x2", EDSROptions{Filters: 4, ResBlocks: 1, Scale: 2, Channels: 2}, []int{2, 2, 5, 6}, []int{2, 2, 10, 12}, 0},
		{"x3", EDSROptions{Filters: 4, ResBlocks: 1, Scale: 3}, []int{1, 1, 4, 4}, []int{1, 1, 12, 12}, 0},
		{"x4", EDSROptions{Filters: 4, ResBlocks: 2, Scale: 4}, []int{1, 1, 4, 5}, []int{1, 1, 16, 20}, 0},
		{"3d", EDSROptions{Dims: 3, Filters: 4, ResBlocks: 1}, []int{1, 1, 3, 4, 5}, []int{1, 1, 3, 4, 5}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewEDSR(tc.o, tensor.NewRNG(3))
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

func TestEDSRErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    EDSROptions
		want string
	}{
		{"3d upscaling", EDSROptions{Dims: 3, Scale: 2}, "2-D only"},
		{"dims", EDSROptions{Dims: 4}, "spatial dimensions"},
		{"negative blocks", EDSROptions{ResBlocks: -1}, "residual blocks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewEDSR(tc.o, tensor.NewRNG(1))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
