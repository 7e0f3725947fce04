package nn

import (
	"fmt"
	"slices"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// naiveMatMul computes op(a)·op(b) for 2-D row-major a, b in float64.
func naiveMatMul(a, b []float32, as, bs []int, transA, transB bool) []float32 {
	at := func(i, k int) float64 {
		if transA {
			return float64(a[k*as[1]+i])
		}
		return float64(a[i*as[1]+k])
	}
	bt := func(k, j int) float64 {
		if transB {
			return float64(b[j*bs[1]+k])
		}
		return float64(b[k*bs[1]+j])
	}
	m, k := as[0], as[1]
	if transA {
		m, k = k, m
	}
	n := bs[1]
	if transB {
		n = bs[0]
	}
	out := make([]float32, m*n)
	for i := range m {
		for j := range n {
			s := 0.0
			for p := range k {
				s += at(i, p) * bt(p, j)
			}
			out[i*n+j] = float32(s)
		}
	}
	return out
}

// refMatMul computes the broadcast batched product by slicing out each matrix.
func refMatMul(a, b *tensor.Tensor, transA, transB bool) []float32 {
	as, bs := a.Shape(), b.Shape()
	batch := broadcastShape("ref", as[:len(as)-2], bs[:len(bs)-2])
	ae := a.Expand(append(slices.Clone(batch), as[len(as)-2:]...)...).Clone()
	be := b.Expand(append(slices.Clone(batch), bs[len(bs)-2:]...)...).Clone()
	n := 1
	for _, d := range batch {
		n *= d
	}
	a3 := ae.Reshape(n, as[len(as)-2], as[len(as)-1])
	b3 := be.Reshape(n, bs[len(bs)-2], bs[len(bs)-1])
	var out []float32
	for i := range n {
		out = append(out, naiveMatMul(a3.Slice(0, i, i+1).Values(), b3.Slice(0, i, i+1).Values(),
			as[len(as)-2:], bs[len(bs)-2:], transA, transB)...)
	}
	return out
}

func TestMatMul(t *testing.T) {
	// Shapes of op(a) and op(b); the stored shapes swap the last two axes per flag.
	cases := [][2][]int{
		{{3, 4}, {4, 5}},
		{{2, 3, 4}, {4, 5}},       // shared weight (flat path when !transA)
		{{3, 4}, {2, 4, 5}},       // shared left operand
		{{2, 3, 4}, {2, 4, 5}},    // plain batch
		{{2, 1, 3, 4}, {3, 4, 5}}, // broadcast on both sides
		{{1, 3, 4}, {2, 4, 2}},
	}
	tr := func(s []int, on bool) []int {
		s = slices.Clone(s)
		if on {
			r := len(s)
			s[r-2], s[r-1] = s[r-1], s[r-2]
		}
		return s
	}
	for ci, c := range cases {
		for _, flags := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			ta, tb := flags[0], flags[1]
			t.Run(fmt.Sprintf("%v×%v/tA=%v/tB=%v", c[0], c[1], ta, tb), func(t *testing.T) {
				a := opRand(uint64(31+ci), tr(c[0], ta)...)
				b := opRand(uint64(41+ci), tr(c[1], tb)...)
				y := (*Tape)(nil).MatMul(NewVar(a), NewVar(b), ta, tb)
				opClose(t, "value", y.Value.Values(), refMatMul(a, b, ta, tb), 1e-5)
				gradCheck(t, func(tp *Tape, in []*Var) *Var { return tp.MatMul(in[0], in[1], ta, tb) },
					[]*tensor.Tensor{a, b}, gradCheckOpts{})
			})
		}
	}
}

func TestMatMulViews(t *testing.T) {
	// Permuted operands: the last axis of a is strided (copied), b's batch axis is a view.
	gradCheck(t, func(tp *Tape, in []*Var) *Var {
		return tp.MatMul(tp.Permute(in[0], 0, 2, 1), tp.Permute(in[1], 1, 0, 2), false, false)
	}, []*tensor.Tensor{opRand(51, 2, 4, 3), opRand(52, 4, 2, 5)}, gradCheckOpts{})
	// A transposed input to Linear.
	gradCheck(t, func(tp *Tape, in []*Var) *Var {
		return tp.Linear(tp.Transpose(in[0], 0, 1), in[1], in[2])
	}, []*tensor.Tensor{opRand(53, 3, 7), opRand(54, 2, 3), opRand(55, 2)}, gradCheckOpts{})
}

func TestMatMulPanics(t *testing.T) {
	a, b := NewVar(tensor.Zeros(tensor.CPU{}, 2, 3)), NewVar(tensor.Zeros(tensor.CPU{}, 4, 5))
	opPanics(t, "nn: MatMul: shapes [2 3] and [4 5] (transA=false transB=false): inner dims 3≠4",
		func() { (*Tape)(nil).MatMul(a, b, false, false) })
	c, d := NewVar(tensor.Zeros(tensor.CPU{}, 2, 2, 3)), NewVar(tensor.Zeros(tensor.CPU{}, 3, 3, 5))
	opPanics(t, "nn: MatMul: shapes [2] and [3] do not broadcast", func() { (*Tape)(nil).MatMul(c, d, false, false) })
}

func TestLinear(t *testing.T) {
	for _, tc := range []struct {
		name    string
		x       []int
		bias    bool
		noGradX bool
	}{
		{"bias", []int{2, 5, 7}, true, false},
		{"nobias", []int{2, 5, 7}, false, false},
		{"2d", []int{3, 7}, true, false},
		{"1d", []int{7}, true, false},
		{"frozen-input", []int{2, 5, 7}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, w, b := opRand(61, tc.x...), opRand(62, 4, 7), opRand(63, 4)
			in := []*tensor.Tensor{x, w}
			if tc.bias {
				in = append(in, b)
			}
			f := func(tp *Tape, in []*Var) *Var {
				var bv *Var
				if len(in) > 2 {
					bv = in[2]
				}
				return tp.Linear(in[0], in[1], bv)
			}
			y := f(nil, []*Var{NewVar(x), NewVar(w), NewVar(b)}[:len(in)])
			wantShape := append(slices.Clone(tc.x[:len(tc.x)-1]), 4)
			if !slices.Equal(y.Shape(), wantShape) {
				t.Fatalf("shape %v, want %v", y.Shape(), wantShape)
			}
			want := naiveMatMul(x.Values(), w.Values(), []int{x.Numel() / 7, 7}, []int{4, 7}, false, true)
			if tc.bias {
				for i := range want {
					want[i] += b.Values()[i%4]
				}
			}
			opClose(t, "value", y.Value.Values(), want, 1e-5)
			o := gradCheckOpts{}
			if tc.noGradX {
				o.skip = map[int]bool{0: true}
			}
			gradCheck(t, f, in, o)
		})
	}
	opPanics(t, "nn: Linear: input [2 6], weight [4 7]", func() {
		(*Tape)(nil).Linear(NewVar(tensor.Zeros(tensor.CPU{}, 2, 6)), NewVar(tensor.Zeros(tensor.CPU{}, 4, 7)), nil)
	})
}
