package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

func TestSoftmaxForward(t *testing.T) {
	x := tensor.FromSlice([]float32{0, 1, 2, 1000, 1000, 1000}, 2, 3)
	y := (*Tape)(nil).Softmax(NewVar(x), 1)
	e := []float64{1, math.E, math.E * math.E}
	s := e[0] + e[1] + e[2]
	want := []float32{float32(e[0] / s), float32(e[1] / s), float32(e[2] / s), 1.0 / 3, 1.0 / 3, 1.0 / 3}
	opClose(t, "value", y.Value.Values(), want, 1e-6)
	y0 := (*Tape)(nil).Softmax(NewVar(x), 0)
	opClose(t, "axis 0 column 0", []float32{y0.Value.Values()[0], y0.Value.Values()[3]}, []float32{0, 1}, 1e-6)
}

func TestSoftmaxGrad(t *testing.T) {
	for _, axis := range []int{0, 1, 2, -1} {
		t.Run(fmt.Sprint(axis), func(t *testing.T) {
			gradCheck(t, func(tp *Tape, in []*Var) *Var { return tp.Softmax(in[0], axis) },
				[]*tensor.Tensor{opRand(71, 2, 3, 4)}, gradCheckOpts{step: 1e-3})
		})
	}
	t.Run("view", func(t *testing.T) {
		gradCheck(t, func(tp *Tape, in []*Var) *Var { return tp.Softmax(tp.Transpose(in[0], 0, 2), 1) },
			[]*tensor.Tensor{opRand(72, 2, 3, 4)}, gradCheckOpts{step: 1e-3})
	})
	opPanics(t, "nn: Softmax: axis 3 for shape [2 3 4]", func() {
		(*Tape)(nil).Softmax(NewVar(tensor.Zeros(tensor.CPU{}, 2, 3, 4)), 3)
	})
}
