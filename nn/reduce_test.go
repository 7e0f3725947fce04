package nn

import (
	"fmt"
	"slices"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

func TestReduceForward(t *testing.T) {
	x := NewVar(tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	var tp *Tape
	for _, tc := range []struct {
		name  string
		y     *Var
		shape []int
		want  []float32
	}{
		{"sum", tp.Sum(x), []int{}, []float32{21}},
		{"mean", tp.Mean(x), []int{}, []float32{3.5}},
		{"sumto-rows", tp.SumTo(x, 3), []int{3}, []float32{5, 7, 9}},
		{"sumto-cols", tp.SumTo(x, 2, 1), []int{2, 1}, []float32{6, 15}},
		{"sumto-same", tp.SumTo(x, 2, 3), []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}},
		{"sumto-all", tp.SumTo(x), []int{}, []float32{21}},
		{"meanaxes-0", tp.MeanAxes(x, 0), []int{1, 3}, []float32{2.5, 3.5, 4.5}},
		{"meanaxes--1", tp.MeanAxes(x, -1), []int{2, 1}, []float32{2, 5}},
		{"meanaxes-both", tp.MeanAxes(x, 0, 1), []int{1, 1}, []float32{3.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !slices.Equal(tc.y.Shape(), tc.shape) {
				t.Fatalf("shape %v, want %v", tc.y.Shape(), tc.shape)
			}
			opClose(t, "value", tc.y.Value.Values(), tc.want, 1e-6)
		})
	}
}

func TestReduceGrad(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(tp *Tape, x *Var) *Var
	}{
		{"sum", (*Tape).Sum},
		{"mean", (*Tape).Mean},
		{"sumto-[3 1]", func(tp *Tape, x *Var) *Var { return tp.SumTo(x, 3, 1) }},
		{"sumto-[4]", func(tp *Tape, x *Var) *Var { return tp.SumTo(x, 4) }},
		{"sumto-[2 1 4]", func(tp *Tape, x *Var) *Var { return tp.SumTo(x, 2, 1, 4) }},
		{"meanaxes-[0 2]", func(tp *Tape, x *Var) *Var { return tp.MeanAxes(x, 0, 2) }},
		{"meanaxes-[1]", func(tp *Tape, x *Var) *Var { return tp.MeanAxes(x, 1) }},
		{"permuted-sum", func(tp *Tape, x *Var) *Var { return tp.SumTo(tp.Permute(x, 2, 0, 1), 4, 1, 3) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gradCheck(t, func(tp *Tape, in []*Var) *Var { return tc.f(tp, in[0]) },
				[]*tensor.Tensor{opRand(21, 2, 3, 4)}, gradCheckOpts{})
		})
	}
}

func TestReducePanics(t *testing.T) {
	x := NewVar(tensor.Zeros(tensor.CPU{}, 2, 3))
	for i, tc := range []struct {
		want string
		f    func()
	}{
		{"nn: SumTo: shape [2 3] to [2]: not a broadcast", func() { (*Tape)(nil).SumTo(x, 2) }},
		{"nn: SumTo: shape [2 3] to [1 2 3]: rank grows", func() { (*Tape)(nil).SumTo(x, 1, 2, 3) }},
		{"nn: MeanAxes: axes [2] for shape [2 3]", func() { (*Tape)(nil).MeanAxes(x, 2) }},
		{"nn: MeanAxes: axes [0 0] for shape [2 3]", func() { (*Tape)(nil).MeanAxes(x, 0, 0) }},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) { opPanics(t, tc.want, tc.f) })
	}
}
