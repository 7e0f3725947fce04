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
	// Absent constructor arguments take the Python class defaults of wdsr(...).
	fixtureBuilders["wdsr"] = func(c *fixture.Case) (nn.Module, error) {
		exp := 6.0
		if v, ok := c.Float("res_block_expansion"); ok {
			exp = v
		}
		return NewWDSR(WDSROptions{
			Scale:     srArgScale(c, "scale", 1),
			Filters:   srArgInt(c, "num_filters", 32),
			ResBlocks: srArgInt(c, "num_res_blocks", 16),
			Expansion: exp,
			Channels:  srArgInt(c, "num_channels", 1),
		}, tensor.NewRNG(1))
	}
	trainStepCases["wdsr_2d"] = func() (nn.Module, func(tp *nn.Tape) *nn.Var) {
		m, err := NewWDSR(WDSROptions{Filters: 16, ResBlocks: 4}, tensor.NewRNG(1))
		return srTrainStep(m, err, 2, 1, 64, 64)
	}
}

func TestWDSR(t *testing.T) {
	cases := []struct {
		name      string
		o         WDSROptions
		in, out   []int
		numParams int
	}{
		{"zero value", WDSROptions{}, []int{1, 1, 6, 6}, []int{1, 1, 6, 6}, 888962},
		{"x2 skip conv", WDSROptions{Filters: 4, ResBlocks: 1, Expansion: 1.5, Scale: 2, Channels: 2}, []int{2, 2, 5, 6}, []int{2, 2, 10, 12}, 0},
		{"x3", WDSROptions{Filters: 4, ResBlocks: 2, Scale: 3}, []int{1, 1, 4, 4}, []int{1, 1, 12, 12}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewWDSR(tc.o, tensor.NewRNG(3))
			if err != nil {
				t.Fatal(err)
			}
			if tc.numParams != 0 {
				if n := nn.CountParams(m.Params()); n != tc.numParams {
					t.Errorf("%d parameters, want %d", n, tc.numParams)
				}
			}
			if (m.Skip != nil) != (tc.o.Scale > 1) {
				t.Errorf("skip conv %v with scale %d", m.Skip != nil, tc.o.Scale)
			}
			x := nn.NewLeaf(tensor.RandUniform(tensor.CPU{}, tensor.NewRNG(4), 0, 1, tc.in...))
			tp := nn.NewTape()
			y := m.Forward(tp, x)
			if !slices.Equal(y.Shape(), tc.out) {
				t.Fatalf("output %v, want %v", y.Shape(), tc.out)
			}
			tp.Backward(tp.Mean(y))
			if x.Grad == nil || m.Head.G.Grad == nil || m.Head.V.Grad == nil {
				t.Errorf("missing gradients")
			}
		})
	}
}

// TestWNConvWeight checks the effective weight g·v/‖v‖ and that its norm per output
// channel equals g.
func TestWNConvWeight(t *testing.T) {
	c := newWNConv(3, 2, 3, 1, tensor.NewRNG(5))
	c.G.Value.CopyFrom(tensor.FromSlice([]float32{0.5, 2}, 2, 1, 1, 1))
	w := c.Weight(nil).Value.Values()
	v := c.V.Value.Values()
	for o := range 2 {
		var nv, nw float64
		for i := range 27 {
			nv += float64(v[o*27+i]) * float64(v[o*27+i])
			nw += float64(w[o*27+i]) * float64(w[o*27+i])
		}
		g := []float64{0.5, 2}[o]
		if math.Abs(math.Sqrt(nw)-g) > 1e-5 {
			t.Errorf("channel %d: ‖w‖ = %g, want %g", o, math.Sqrt(nw), g)
		}
		for i := range 27 {
			want := g * float64(v[o*27+i]) / math.Sqrt(nv)
			if math.Abs(float64(w[o*27+i])-want) > 1e-6 {
				t.Fatalf("w[%d,%d] = %g, want %g", o, i, w[o*27+i], want)
			}
		}
	}
}

func TestWDSRErrors(t *testing.T) {
	_, err := NewWDSR(WDSROptions{Channels: -1}, tensor.NewRNG(1))
	if err == nil || !strings.Contains(err.Error(), "WDSR") {
		t.Fatalf("error %v, want a WDSR error", err)
	}
}
