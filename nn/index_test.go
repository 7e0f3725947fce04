package nn

import (
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

func TestGather(t *testing.T) {
	x := tensor.FromSlice([]float32{0, 1, 10, 11, 20, 21, 100, 101, 110, 111, 120, 121}, 2, 3, 2)
	idx := tensor.FromSlice([]float32{2, 0, 2, 1, 1, 0, 1, 1}, 2, 4)
	y := (*Tape)(nil).Gather(NewVar(x), idx)
	want := []float32{20, 21, 0, 1, 20, 21, 10, 11, 110, 111, 100, 101, 110, 111, 110, 111}
	opClose(t, "value", y.Value.Values(), want, 0)

	// Repeated indices: gradients add up; row 2 of batch 1 is never picked.
	xv := NewLeaf(x)
	tp := NewTape()
	tp.Backward(tp.Sum(tp.Gather(xv, idx)))
	opClose(t, "grad", xv.Grad.Values(), []float32{1, 1, 1, 1, 2, 2, 1, 1, 3, 3, 0, 0}, 0)

	gradCheck(t, func(tp *Tape, in []*Var) *Var { return tp.Gather(in[0], idx) },
		[]*tensor.Tensor{opRand(151, 2, 3, 2)}, gradCheckOpts{})
	opPanics(t, "nn: Gather: input [2 3 2], indices [3 4]", func() {
		(*Tape)(nil).Gather(NewVar(x), tensor.Zeros(tensor.CPU{}, 3, 4))
	})
}
