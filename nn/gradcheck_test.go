package nn

import (
	"math"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// gradCheckOpts tunes gradCheck; the zero value uses step 1e-2, atol 2e-2, rtol 2e-2 and
// checks up to 48 positions per input.
type gradCheckOpts struct {
	step, atol, rtol float64
	maxPositions     int
	// skip lists inputs (by index) whose gradient is not checked (index tensors).
	skip map[int]bool
}

// gradCheck compares the gradients that f's recorded backward computes for every input
// with central finite differences of L = Σ f(inputs)·R, R a fixed random tensor, with L
// accumulated in float64. inputs are CPU tensors; f must be deterministic.
func gradCheck(t *testing.T, f func(tp *Tape, in []*Var) *Var, inputs []*tensor.Tensor, o gradCheckOpts) {
	t.Helper()
	if o.step == 0 {
		o.step = 1e-2
	}
	if o.atol == 0 {
		o.atol = 2e-2
	}
	if o.rtol == 0 {
		o.rtol = 2e-2
	}
	if o.maxPositions == 0 {
		o.maxPositions = 48
	}
	rng := tensor.NewRNG(7)
	tp := NewTape()
	leaves := make([]*Var, len(inputs))
	for i, x := range inputs {
		if o.skip[i] {
			leaves[i] = NewVar(x)
		} else {
			leaves[i] = NewLeaf(x)
		}
	}
	out := f(tp, leaves)
	r := tensor.RandNormal(tensor.CPU{}, rng, 0, 1, out.Shape()...)
	tp.BackwardWith(out, r)
	rv := r.Values()
	loss := func() float64 {
		consts := make([]*Var, len(inputs))
		for i, x := range inputs {
			consts[i] = NewVar(x)
		}
		y := f(nil, consts).Value.Values()
		s := 0.0
		for k, v := range y {
			s += float64(v) * float64(rv[k])
		}
		return s
	}
	for i, x := range inputs {
		if o.skip[i] {
			continue
		}
		if leaves[i].Grad == nil {
			t.Fatalf("input %d %v: no gradient reached it", i, x.Shape())
		}
		ana := leaves[i].Grad.Values()
		d := x.Data()
		positions := make([]int, 0, o.maxPositions)
		if len(d) <= o.maxPositions {
			for j := range d {
				positions = append(positions, j)
			}
		} else {
			for range o.maxPositions {
				positions = append(positions, rng.IntN(len(d)))
			}
		}
		for _, j := range positions {
			orig := d[j]
			d[j] = orig + float32(o.step)
			lp := loss()
			d[j] = orig - float32(o.step)
			lm := loss()
			d[j] = orig
			num := (lp - lm) / (2 * o.step)
			a := float64(ana[j])
			if math.Abs(num-a) > o.atol+o.rtol*math.Max(math.Abs(num), math.Abs(a)) {
				t.Errorf("input %d %v position %d: analytic %.6g, numeric %.6g", i, x.Shape(), j, a, num)
			}
		}
	}
}
