package nn

import (
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

func TestLossForward(t *testing.T) {
	p := NewVar(tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2))
	q := NewVar(tensor.FromSlice([]float32{0, 2, 5, 1}, 2, 2))
	mse := (*Tape)(nil).MSELoss(p, q)
	l1 := (*Tape)(nil).L1Loss(p, q)
	if mse.Value.Rank() != 0 || l1.Value.Rank() != 0 {
		t.Fatalf("shapes %v and %v, want 0-d", mse.Shape(), l1.Shape())
	}
	opClose(t, "mse", mse.Value.Values(), []float32{(1 + 0 + 4 + 9) / 4.0}, 1e-6)
	opClose(t, "l1", l1.Value.Values(), []float32{(1 + 0 + 2 + 3) / 4.0}, 1e-6)

	// L1 gradient is 0 where pred equals target.
	pl := NewLeaf(p.Value)
	tp := NewTape()
	tp.Backward(tp.L1Loss(pl, q))
	opClose(t, "l1 grad", pl.Grad.Values(), []float32{0.25, 0, -0.25, 0.25}, 0)
}

func TestLossGrad(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(tp *Tape, a, b *Var) *Var
	}{
		{"mse", (*Tape).MSELoss},
		{"l1", (*Tape).L1Loss},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// pred − target stays away from 0: target in [−0.5, 0.5], pred ±[0.8, 2].
			pred := opAway(171, 2, 3, 4)
			pd := pred.Data()
			for i := range pd {
				pd[i] *= 1.4
				if pd[i] > 0 {
					pd[i] += 0.4
				} else {
					pd[i] -= 0.4
				}
			}
			target := tensor.RandUniform(tensor.CPU{}, tensor.NewRNG(172), -0.5, 0.5, 2, 3, 4)
			f := func(tp *Tape, in []*Var) *Var { return tc.f(tp, in[0], in[1]) }
			gradCheck(t, f, []*tensor.Tensor{pred, target}, gradCheckOpts{step: 1e-3})
			gradCheck(t, f, []*tensor.Tensor{pred, target}, gradCheckOpts{step: 1e-3, skip: map[int]bool{1: true}})
			gradCheck(t, f, []*tensor.Tensor{pred, target}, gradCheckOpts{step: 1e-3, skip: map[int]bool{0: true}})
		})
	}
	opPanics(t, "nn: MSELoss: prediction [2 3] and target [3 2]: shapes differ", func() {
		(*Tape)(nil).MSELoss(NewVar(tensor.Zeros(tensor.CPU{}, 2, 3)), NewVar(tensor.Zeros(tensor.CPU{}, 3, 2)))
	})
}
