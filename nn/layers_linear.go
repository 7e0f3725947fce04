package nn

import (
	"fmt"

	"github.com/selfsup/selfsup/tensor"
)

// Linear is torch.nn.Linear: y = x·Wᵀ + b, x: [..., In] → [..., Out].
// State_dict entries: "weight" [Out, In], "bias" [Out] (absent without bias).
type Linear struct {
	W *Var // [Out, In]
	B *Var // [Out], or nil without bias
}

// NewLinear returns a Linear layer in → out on the CPU with PyTorch's default init
// (weight and bias U(±1/√in), see [DefaultWeight] and [DefaultBias]) drawn from rng.
func NewLinear(in, out int, bias bool, rng *tensor.RNG) *Linear {
	if in <= 0 || out <= 0 {
		panic(fmt.Sprintf("nn: NewLinear: in %d, out %d", in, out))
	}
	dev := tensor.CPU{}
	l := &Linear{W: NewLeaf(DefaultWeight(dev, rng, out, in))}
	if bias {
		l.B = NewLeaf(DefaultBias(dev, rng, in, out))
	}
	return l
}

// In returns the number of input features.
func (l *Linear) In() int { return l.W.Value.Dim(1) }

// Out returns the number of output features.
func (l *Linear) Out() int { return l.W.Value.Dim(0) }

// Forward computes x: [..., In] → [..., Out].
func (l *Linear) Forward(tp *Tape, x *Var) *Var {
	if x.Value.Dim(-1) != l.In() {
		panic(fmt.Sprintf("nn: Linear.Forward: input %v, weight %v", x.Shape(), l.W.Shape()))
	}
	return tp.Linear(x, l.W, l.B)
}

// Params returns "weight" and, with a bias, "bias".
func (l *Linear) Params() []Param { return weightBias(l.W, l.B) }

// weightBias returns the "weight" and (when b is non-nil) "bias" entries.
func weightBias(w, b *Var) []Param {
	var ps []Param
	if w != nil {
		ps = append(ps, Param{Name: "weight", Var: w})
	}
	if b != nil {
		ps = append(ps, Param{Name: "bias", Var: b})
	}
	return ps
}
