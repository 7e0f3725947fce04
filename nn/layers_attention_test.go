package nn

import (
	"math"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// composedAttention is the attention core built from general tape ops (the layout
// of timm's reshape/permute code): qkv: [B, L, 3·D] → [B, L, D].
func composedAttention(tp *Tape, qkv *Var, heads int) *Var {
	b, l, d := qkv.Value.Dim(0), qkv.Value.Dim(1), qkv.Value.Dim(2)/3
	hd := d / heads
	t := tp.Reshape(qkv, b, l, 3*heads, hd)
	part := func(i int) *Var { return tp.Permute(tp.Slice(t, 2, i*heads, (i+1)*heads), 0, 2, 1, 3) }
	q := tp.Scale(part(0), float32(1/math.Sqrt(float64(hd))))
	att := tp.Softmax(tp.MatMul(q, part(1), false, true), 3)
	o := tp.MatMul(att, part(2), false, false)
	return tp.Reshape(tp.Permute(o, 0, 2, 1, 3), b, l, d)
}

// TestSelfAttention checks the fused attention core against the same computation
// composed of general tape ops: values and the gradient of qkv.
func TestSelfAttention(t *testing.T) {
	cases := []struct {
		name       string
		b, l, d, h int
	}{
		{"one head", 1, 4, 6, 1},
		{"three heads", 2, 5, 12, 3},
		{"one token", 3, 1, 8, 2},
		{"long", 2, 33, 16, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := tensor.NewRNG(11)
			x := tensor.RandNormal(tensor.CPU{}, rng, 0, 2, c.b, c.l, 3*c.d)
			r := tensor.RandNormal(tensor.CPU{}, rng, 0, 1, c.b, c.l, c.d)
			run := func(f func(*Tape, *Var, int) *Var) (y, g []float32) {
				tp := NewTape()
				in := NewLeaf(x)
				out := f(tp, in, c.h)
				tp.BackwardWith(out, r)
				y, g = out.Value.Values(), in.Grad.Values()
				tp.Reset()
				return y, g
			}
			y, g := run((*Tape).selfAttention)
			wy, wg := run(composedAttention)
			closeSlices(t, "output", y, wy, 1e-5)
			closeSlices(t, "qkv gradient", g, wg, 1e-5)
			if inf := (*Tape)(nil).selfAttention(NewVar(x), c.h).Value.Values(); len(inf) != len(wy) {
				t.Fatalf("inference output has %d values, want %d", len(inf), len(wy))
			} else {
				closeSlices(t, "inference output", inf, wy, 1e-5)
			}
		})
	}
}

// closeSlices fails unless got and want agree within tol·(1+|want|) elementwise.
func closeSlices(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); !(d <= tol*(1+math.Abs(float64(want[i])))) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestSelfAttentionGradients checks the fused core's backward against finite
// differences.
func TestSelfAttentionGradients(t *testing.T) {
	rng := tensor.NewRNG(12)
	x := tensor.RandNormal(tensor.CPU{}, rng, 0, 1, 2, 3, 3*8)
	gradCheck(t, func(tp *Tape, in []*Var) *Var { return tp.selfAttention(in[0], 2) },
		[]*tensor.Tensor{x}, gradCheckOpts{})
}

// TestSelfAttentionPanics checks the shape checks of the fused core.
func TestSelfAttentionPanics(t *testing.T) {
	cases := []struct {
		name  string
		shape []int
		heads int
	}{
		{"rank 2", []int{4, 12}, 2},
		{"not 3·heads", []int{1, 4, 10}, 2},
		{"zero heads", []int{1, 4, 12}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			(*Tape)(nil).selfAttention(NewVar(tensor.Zeros(tensor.CPU{}, c.shape...)), c.heads)
		})
	}
}
