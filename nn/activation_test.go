package nn

import (
	"math"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

func TestActivations(t *testing.T) {
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	for _, tc := range []struct {
		name string
		f    func(tp *Tape, x *Var) *Var
		ref  func(x float64) float64
		pos  bool // input must be positive
	}{
		{"relu", (*Tape).ReLU, func(x float64) float64 { return math.Max(x, 0) }, false},
		{"leakyrelu", func(tp *Tape, x *Var) *Var { return tp.LeakyReLU(x, 0.1) }, func(x float64) float64 {
			if x > 0 {
				return x
			}
			return 0.1 * x
		}, false},
		{"elu", func(tp *Tape, x *Var) *Var { return tp.ELU(x, 1.5) }, func(x float64) float64 {
			if x > 0 {
				return x
			}
			return 1.5 * (math.Exp(x) - 1)
		}, false},
		{"gelu", (*Tape).GELU, func(x float64) float64 { return x * 0.5 * (1 + math.Erf(x/math.Sqrt2)) }, false},
		{"sigmoid", (*Tape).Sigmoid, sig, false},
		{"tanh", (*Tape).Tanh, math.Tanh, false},
		{"silu", (*Tape).SiLU, func(x float64) float64 { return x * sig(x) }, false},
		{"exp", (*Tape).Exp, math.Exp, false},
		{"log", (*Tape).Log, math.Log, true},
		{"sqrt", (*Tape).Sqrt, math.Sqrt, true},
		{"square", (*Tape).Square, func(x float64) float64 { return x * x }, false},
		{"abs", (*Tape).Abs, math.Abs, false},
		{"neg", func(tp *Tape, x *Var) *Var { return tp.Unary(tensor.Neg, x, 0) }, func(x float64) float64 { return -x }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := opAway(11, 3, 4)
			if tc.pos {
				x = opPos(11, 3, 4)
			}
			y := tc.f(nil, NewVar(x))
			xs := x.Values()
			want := make([]float32, len(xs))
			for i, v := range xs {
				want[i] = float32(tc.ref(float64(v)))
			}
			opClose(t, "value", y.Value.Values(), want, 1e-5)
			gradCheck(t, func(tp *Tape, in []*Var) *Var { return tc.f(tp, in[0]) },
				[]*tensor.Tensor{x}, gradCheckOpts{step: 1e-3})
		})
	}
}

func TestActivationView(t *testing.T) {
	// A sliced (non-contiguous) input.
	gradCheck(t, func(tp *Tape, in []*Var) *Var { return tp.Tanh(tp.Slice(in[0], 1, 1, 3)) },
		[]*tensor.Tensor{opRand(12, 3, 4)}, gradCheckOpts{})
}
