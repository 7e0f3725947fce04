package nn

import (
	"math"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// segRef holds float64 reference implementations of the segmentation losses.

func refSigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func refBCE(x, y []float32, pw float64) float64 {
	s := 0.0
	for i := range x {
		p := refSigmoid(float64(x[i]))
		yi := float64(y[i])
		s += -(pw*yi*math.Log(p) + (1-yi)*math.Log(1-p))
	}
	return s / float64(len(x))
}

// refSoftmax returns the softmax over axis 1 of x: [N, C, S] (flattened spatial).
func refSoftmax(x []float32, n, c, s int) []float64 {
	out := make([]float64, len(x))
	for b := range n {
		for p := range s {
			m := math.Inf(-1)
			for k := range c {
				m = math.Max(m, float64(x[(b*c+k)*s+p]))
			}
			z := 0.0
			for k := range c {
				z += math.Exp(float64(x[(b*c+k)*s+p]) - m)
			}
			for k := range c {
				out[(b*c+k)*s+p] = math.Exp(float64(x[(b*c+k)*s+p])-m) / z
			}
		}
	}
	return out
}

func refCE(x, y []float32, n, c, s, ignore int) float64 {
	sm := refSoftmax(x, n, c, s)
	sum, cnt := 0.0, 0
	for b := range n {
		for p := range s {
			k := int(y[b*s+p])
			if k == ignore {
				continue
			}
			sum -= math.Log(sm[(b*c+k)*s+p])
			cnt++
		}
	}
	return sum / float64(cnt)
}

func refDice(x, y []float32, n, c, s int, smooth float64) float64 {
	var p, t []float64
	if c == 1 {
		for i, v := range x {
			p = append(p, refSigmoid(float64(v)))
			t = append(t, float64(y[i]))
		}
	} else {
		p = refSoftmax(x, n, c, s)
		t = make([]float64, len(x))
		for b := range n {
			for q := range s {
				t[(b*c+int(y[b*s+q]))*s+q] = 1
			}
		}
	}
	loss := 0.0
	for k := range c {
		var in, ps, ts float64
		for b := range n {
			for q := range s {
				i := (b*c+k)*s + q
				in += p[i] * t[i]
				ps += p[i]
				ts += t[i]
			}
		}
		loss += (1 - (2*in+smooth)/(ps+ts+smooth)) / float64(c)
	}
	return loss
}

// segInputs returns logits [n, c, h, w] in about [−3, 3], a binary mask target
// [n, 1, h, w] and a class-id target [n, h, w].
func segInputs(seed uint64, n, c, h, w int) (logits, mask, classes *tensor.Tensor) {
	rng := tensor.NewRNG(seed)
	logits = tensor.RandNormal(tensor.CPU{}, rng, 0, 1.5, n, c, h, w)
	m := make([]float32, n*h*w)
	k := make([]float32, n*h*w)
	for i := range m {
		if rng.Float64() < 0.4 {
			m[i] = 1
		}
		k[i] = float32(rng.IntN(c))
	}
	return logits, tensor.FromSlice(m, n, 1, h, w), tensor.FromSlice(k, n, h, w)
}

func TestSegLossValues(t *testing.T) {
	x1, m, _ := segInputs(3, 2, 1, 5, 4)
	x3, _, k := segInputs(4, 2, 3, 5, 4)
	kv := k.Values()
	kIgn := tensor.FromSlice(append([]float32(nil), kv...), k.Shape()...)
	kIgn.Data()[0], kIgn.Data()[7] = 255, 255
	var tp *Tape
	for _, tc := range []struct {
		name string
		got  *Var
		want float64
	}{
		{"bce", tp.BCEWithLogits(NewVar(x1), m, 0), refBCE(x1.Values(), m.Values(), 1)},
		{"bce pos_weight 3", tp.BCEWithLogits(NewVar(x1), m, 3), refBCE(x1.Values(), m.Values(), 3)},
		{"ce", tp.CrossEntropy(NewVar(x3), k, -1), refCE(x3.Values(), kv, 2, 3, 20, -1)},
		{"ce ignore 255", tp.CrossEntropy(NewVar(x3), kIgn, 255), refCE(x3.Values(), kIgn.Values(), 2, 3, 20, 255)},
		{"dice binary", tp.DiceLoss(NewVar(x1), m, 1), refDice(x1.Values(), m.Values(), 2, 1, 20, 1)},
		{"dice 3 classes", tp.DiceLoss(NewVar(x3), k, 1), refDice(x3.Values(), kv, 2, 3, 20, 1)},
		{"bce+dice", tp.BCEDiceLoss(NewVar(x1), m, 0.5, 0.5, 1),
			0.5*refBCE(x1.Values(), m.Values(), 1) + 0.5*refDice(x1.Values(), m.Values(), 2, 1, 20, 1)},
		{"ce+dice", tp.BCEDiceLoss(NewVar(x3), k, 0.5, 0.5, 1),
			0.5*refCE(x3.Values(), kv, 2, 3, 20, -1) + 0.5*refDice(x3.Values(), kv, 2, 3, 20, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got.Value.Rank() != 0 {
				t.Fatalf("shape %v, want 0-d", tc.got.Shape())
			}
			if g := float64(tc.got.Value.Item()); math.Abs(g-tc.want) > 1e-5*math.Max(1, math.Abs(tc.want)) {
				t.Errorf("got %.7g, want %.7g", g, tc.want)
			}
		})
	}
}

// TestBCEWithLogitsStable checks large logits give finite, exact values.
func TestBCEWithLogitsStable(t *testing.T) {
	x := tensor.FromSlice([]float32{200, -200, 200, -200}, 4)
	y := tensor.FromSlice([]float32{1, 0, 0, 1}, 4)
	tp := NewTape()
	lv := NewLeaf(x)
	l := tp.BCEWithLogits(lv, y, 0)
	if got := l.Value.Item(); got != 100 { // (0 + 0 + 200 + 200)/4
		t.Errorf("loss %v, want 100", got)
	}
	tp.Backward(l)
	opClose(t, "grad", lv.Grad.Values(), []float32{0, 0, 0.25, -0.25}, 1e-6)
}

func TestSegLossGrad(t *testing.T) {
	x1, m, _ := segInputs(5, 2, 1, 3, 4)
	x3, _, k := segInputs(6, 2, 3, 3, 4)
	kIgn := tensor.FromSlice(append([]float32(nil), k.Values()...), k.Shape()...)
	kIgn.Data()[1] = 255
	for _, tc := range []struct {
		name string
		x    *tensor.Tensor
		f    func(tp *Tape, x *Var) *Var
	}{
		{"bce", x1, func(tp *Tape, x *Var) *Var { return tp.BCEWithLogits(x, m, 0) }},
		{"bce pos_weight", x1, func(tp *Tape, x *Var) *Var { return tp.BCEWithLogits(x, m, 2.5) }},
		{"ce", x3, func(tp *Tape, x *Var) *Var { return tp.CrossEntropy(x, k, -1) }},
		{"ce ignore", x3, func(tp *Tape, x *Var) *Var { return tp.CrossEntropy(x, kIgn, 255) }},
		{"dice binary", x1, func(tp *Tape, x *Var) *Var { return tp.DiceLoss(x, m, 1) }},
		{"dice multi", x3, func(tp *Tape, x *Var) *Var { return tp.DiceLoss(x, k, 1) }},
		{"bce+dice", x1, func(tp *Tape, x *Var) *Var { return tp.BCEDiceLoss(x, m, 0.5, 0.5, 1) }},
		{"ce+dice", x3, func(tp *Tape, x *Var) *Var { return tp.BCEDiceLoss(x, k, 0.5, 0.5, 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gradCheck(t, func(tp *Tape, in []*Var) *Var { return tc.f(tp, in[0]) },
				[]*tensor.Tensor{tc.x}, gradCheckOpts{step: 1e-2, atol: 2e-3, rtol: 2e-2})
		})
	}
}

func TestSegLossPanics(t *testing.T) {
	x3, m, k := segInputs(7, 1, 3, 2, 2)
	bad := tensor.FromSlice([]float32{0, 1, 3, 0}, 1, 2, 2)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"bce shape", func() { (*Tape)(nil).BCEWithLogits(NewVar(x3), m, 0) }},
		{"ce target shape", func() { (*Tape)(nil).CrossEntropy(NewVar(x3), m, -1) }},
		{"ce class out of range", func() { (*Tape)(nil).CrossEntropy(NewVar(x3), bad, -1) }},
		{"dice binary shape", func() { (*Tape)(nil).DiceLoss(NewVar(m), k, 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tc.f()
		})
	}
}
