package nn

import (
	"math"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

func TestDropout(t *testing.T) {
	const n = 4000
	x := opAway(161, 40, 100)
	xv := x.Values()
	t.Run("train", func(t *testing.T) {
		leaf := NewLeaf(x)
		tp := NewTape()
		y := tp.Dropout(leaf, 0.25, tensor.NewRNG(1), true)
		tp.Backward(tp.Sum(y))
		yv, g := y.Value.Values(), leaf.Grad.Values()
		kept := 0
		for i := range yv {
			switch {
			case yv[i] == 0 && g[i] == 0:
			case math.Abs(float64(yv[i]-xv[i]/0.75)) < 1e-6 && math.Abs(float64(g[i]-1/0.75)) < 1e-6:
				kept++
			default:
				t.Fatalf("element %d: x %v → y %v, grad %v", i, xv[i], yv[i], g[i])
			}
		}
		// 3000 expected kept; 5 standard deviations is about ±137.
		if kept < 2860 || kept > 3140 {
			t.Fatalf("kept %d of %d, want about 3000", kept, n)
		}
		// Same seed, same mask.
		y2 := (*Tape)(nil).Dropout(NewVar(x), 0.25, tensor.NewRNG(1), true)
		opClose(t, "reproducible", y2.Value.Values(), yv, 0)
	})
	t.Run("eval", func(t *testing.T) {
		v := NewVar(x)
		if y := (*Tape)(nil).Dropout(v, 0.5, tensor.NewRNG(1), false); y != v {
			t.Fatal("eval mode is not the identity")
		}
		if y := (*Tape)(nil).Dropout(v, 0, tensor.NewRNG(1), true); y != v {
			t.Fatal("p = 0 is not the identity")
		}
	})
	t.Run("p=1", func(t *testing.T) {
		y := (*Tape)(nil).Dropout(NewVar(x), 1, tensor.NewRNG(1), true)
		opClose(t, "zeros", y.Value.Values(), make([]float32, n), 0)
	})
	t.Run("grad", func(t *testing.T) {
		// A fresh RNG per call gives the same mask, so the op is deterministic.
		gradCheck(t, func(tp *Tape, in []*Var) *Var { return tp.Dropout(in[0], 0.5, tensor.NewRNG(3), true) },
			[]*tensor.Tensor{opRand(162, 3, 5)}, gradCheckOpts{})
	})
}
