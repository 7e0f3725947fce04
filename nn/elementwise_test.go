package nn

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// opRand returns a CPU tensor of standard normal values.
func opRand(seed uint64, shape ...int) *tensor.Tensor {
	return tensor.RandNormal(tensor.CPU{}, tensor.NewRNG(seed), 0, 1, shape...)
}

// opAway returns a CPU tensor with values of random sign and magnitude in [0.3, 1.5]:
// away from the kinks of ReLU, Abs and L1 and from 0 for divisions.
func opAway(seed uint64, shape ...int) *tensor.Tensor {
	rng := tensor.NewRNG(seed)
	t := tensor.New(tensor.CPU{}, shape...)
	d := t.Data()
	for i := range d {
		v := float32(rng.Uniform(0.3, 1.5))
		if rng.IntN(2) == 0 {
			v = -v
		}
		d[i] = v
	}
	return t
}

// opPos returns a CPU tensor with values uniform in [0.5, 2].
func opPos(seed uint64, shape ...int) *tensor.Tensor {
	return tensor.RandUniform(tensor.CPU{}, tensor.NewRNG(seed), 0.5, 2, shape...)
}

// opClose fails unless got and want have equal lengths and agree within tol (absolute
// plus relative).
func opClose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) || math.Abs(g-w) > tol*(1+math.Abs(w)) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, g, w)
		}
	}
}

// opPanics fails unless f panics with a message containing want.
func opPanics(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		r := recover()
		if r == nil {
			t.Fatalf("no panic, want %q", want)
		}
		if msg := fmt.Sprint(r); !strings.Contains(msg, want) {
			t.Fatalf("panic %q, want it to contain %q", msg, want)
		}
	}()
	f()
}

func TestBinaryForward(t *testing.T) {
	a := tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	b := tensor.FromSlice([]float32{10, 20, 40}, 3)
	c := tensor.FromSlice([]float32{2, 4}, 2, 1)
	for _, tc := range []struct {
		name string
		f    func(tp *Tape, a, b *Var) *Var
		x, y *tensor.Tensor
		want []float32
	}{
		{"add", (*Tape).Add, a, b, []float32{11, 22, 43, 14, 25, 46}},
		{"sub", (*Tape).Sub, a, b, []float32{-9, -18, -37, -6, -15, -34}},
		{"mul", (*Tape).Mul, a, c, []float32{2, 4, 6, 16, 20, 24}},
		{"div", (*Tape).Div, a, c, []float32{0.5, 1, 1.5, 1, 1.25, 1.5}},
		{"div-rev", (*Tape).Div, b, a, []float32{10, 10, 40.0 / 3, 2.5, 4, 40.0 / 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := tc.f(nil, NewVar(tc.x), NewVar(tc.y))
			if got := y.Shape(); len(got) != 2 || got[0] != 2 || got[1] != 3 {
				t.Fatalf("shape %v, want [2 3]", got)
			}
			opClose(t, "value", y.Value.Values(), tc.want, 1e-6)
		})
	}
}

func TestBinaryGrad(t *testing.T) {
	ops := []struct {
		name string
		f    func(tp *Tape, a, b *Var) *Var
	}{
		{"add", (*Tape).Add}, {"sub", (*Tape).Sub}, {"mul", (*Tape).Mul}, {"div", (*Tape).Div},
	}
	shapes := [][2][]int{
		{{2, 3, 4}, {3, 1}},
		{{4}, {2, 3, 4}},
		{{2, 3}, {2, 3}},
		{{1, 3}, {2, 1}},
		{{}, {2, 3}},
		{{2, 1, 4}, {3, 1}},
	}
	for _, op := range ops {
		for _, s := range shapes {
			t.Run(fmt.Sprintf("%s/%v+%v", op.name, s[0], s[1]), func(t *testing.T) {
				a, b := opRand(1, s[0]...), opAway(2, s[1]...)
				gradCheck(t, func(tp *Tape, in []*Var) *Var { return op.f(tp, in[0], in[1]) },
					[]*tensor.Tensor{a, b}, gradCheckOpts{})
			})
		}
	}
}

func TestBinaryNonContiguous(t *testing.T) {
	// A transposed view as an operand.
	a := opRand(3, 4, 3)
	b := opAway(4, 3, 4)
	gradCheck(t, func(tp *Tape, in []*Var) *Var {
		return tp.Mul(tp.Transpose(in[0], 0, 1), in[1])
	}, []*tensor.Tensor{a, b}, gradCheckOpts{})
}

func TestBinarySameVar(t *testing.T) {
	x := NewLeaf(tensor.FromSlice([]float32{1, -2, 3}, 3))
	tp := NewTape()
	y := tp.Sum(tp.Add(tp.Mul(x, x), x))
	tp.Backward(y)
	opClose(t, "grad", x.Grad.Values(), []float32{3, -3, 7}, 1e-6)
}

// TestAddAdoptsGrad covers Add handing its output gradient to an input instead of a
// copy: a residual sum (both inputs get dy, one of them adopts it), x + x, a retained
// output (which keeps its gradient, so nothing is adopted), and RetainGrads.
func TestAddAdoptsGrad(t *testing.T) {
	for _, c := range []struct {
		name   string
		retain bool
		keep   bool
	}{{"plain", false, false}, {"retained output", true, false}, {"RetainGrads", false, true}} {
		t.Run(c.name, func(t *testing.T) {
			x := NewLeaf(tensor.FromSlice([]float32{1, -2, 3}, 3))
			w := NewLeaf(tensor.FromSlice([]float32{0.5, 2, -1}, 3))
			tp := NewTape()
			tp.RetainGrads(c.keep)
			h := tp.Mul(x, w)
			s := tp.Add(h, x) // residual: dy to h (then to x and w) and to x
			if c.retain {
				tp.Retain(s)
			}
			d := tp.Add(s, s) // the same Var twice
			tp.Backward(tp.Sum(tp.Mul(d, d)))
			// loss = Σ (2(x·w + x))², dloss/ds = 8·s, dx = 8·s·(w + 1), dw = 8·s·x.
			var wantX, wantW, wantS []float32
			for i, xv := range []float32{1, -2, 3} {
				wv := []float32{0.5, 2, -1}[i]
				sv := xv*wv + xv
				wantS = append(wantS, 8*sv)
				wantX = append(wantX, 8*sv*(wv+1))
				wantW = append(wantW, 8*sv*xv)
			}
			opClose(t, "dx", x.Grad.Values(), wantX, 1e-5)
			opClose(t, "dw", w.Grad.Values(), wantW, 1e-5)
			if c.retain || c.keep {
				opClose(t, "ds (kept)", s.Grad.Values(), wantS, 1e-5)
			}
		})
	}
}

func TestBinaryPanics(t *testing.T) {
	a, b := NewVar(tensor.Zeros(tensor.CPU{}, 2, 3)), NewVar(tensor.Zeros(tensor.CPU{}, 4))
	opPanics(t, "nn: Add: shapes [2 3] and [4] do not broadcast", func() { NewTape().Add(a, b) })
	opPanics(t, "nn: Div: shapes [2 3] and [4] do not broadcast", func() { NewTape().Div(a, b) })
}

func TestScalarOps(t *testing.T) {
	x := tensor.FromSlice([]float32{1, -2, 3}, 3)
	opClose(t, "scale", (*Tape)(nil).Scale(NewVar(x), 2.5).Value.Values(), []float32{2.5, -5, 7.5}, 1e-6)
	opClose(t, "add", (*Tape)(nil).AddScalar(NewVar(x), -1).Value.Values(), []float32{0, -3, 2}, 1e-6)
	gradCheck(t, func(tp *Tape, in []*Var) *Var { return tp.Scale(in[0], -1.5) },
		[]*tensor.Tensor{opRand(5, 2, 3)}, gradCheckOpts{})
	gradCheck(t, func(tp *Tape, in []*Var) *Var { return tp.AddScalar(in[0], 3) },
		[]*tensor.Tensor{opRand(6, 2, 3)}, gradCheckOpts{})
}

func TestNilTape(t *testing.T) {
	x, w := opRand(8, 2, 5, 7), opRand(9, 4, 7)
	f := func(tp *Tape, x, w *Var) *Var {
		h := tp.GELU(tp.Linear(x, w, nil))
		return tp.Mean(tp.Softmax(tp.Mul(h, h), -1))
	}
	var nilTape *Tape
	got := f(nilTape, NewVar(x), NewVar(w))
	if got.RequiresGrad() {
		t.Fatal("nil tape: output requires a gradient")
	}
	tp := NewTape()
	want := f(tp, NewLeaf(x), NewLeaf(w))
	if tp.Len() == 0 || !want.RequiresGrad() {
		t.Fatalf("tape recorded %d ops, output requires grad %v", tp.Len(), want.RequiresGrad())
	}
	opClose(t, "value", got.Value.Values(), want.Value.Values(), 0)
	// Constants only: nothing is recorded even on a real tape.
	tc := NewTape()
	f(tc, NewVar(x), NewVar(w))
	if tc.Len() != 0 {
		t.Fatalf("constants: tape recorded %d ops", tc.Len())
	}
}
