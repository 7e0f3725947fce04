package nn

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// cvRand returns a CPU tensor of normal values drawn from a generator seeded by seed.
func cvRand(seed uint64, shape ...int) *tensor.Tensor {
	return tensor.RandNormal(tensor.CPU{}, tensor.NewRNG(seed), 0, 1, shape...)
}

// cvTaps calls f(o, i, k) for every output position o (flat in ∏out), kernel tap k
// (flat in ∏kernel) and the input position i (flat in ∏in) it reads in a sliding
// window with low padding lo: i = o·stride − lo + k·dil per axis; i < 0 when the tap
// falls into the padding.
func cvTaps(in, kernel, stride, lo, dil, out []int, f func(o, i, k int)) {
	nd := len(in)
	oi := make([]int, nd)
	ki := make([]int, nd)
	for o := range cvProd(out) {
		cvUnravel(o, out, oi)
		for k := range cvProd(kernel) {
			cvUnravel(k, kernel, ki)
			i := 0
			for a := range nd {
				p := oi[a]*stride[a] - lo[a] + ki[a]*dil[a]
				if p < 0 || p >= in[a] {
					i = -1
					break
				}
				i = i*in[a] + p
			}
			f(o, i, k)
		}
	}
}

func cvProd(v []int) int {
	p := 1
	for _, d := range v {
		p *= d
	}
	return p
}

func cvUnravel(pos int, shape, idx []int) {
	for k := len(shape) - 1; k >= 0; k-- {
		idx[k] = pos % shape[k]
		pos /= shape[k]
	}
}

// naiveConv is the direct convolution: x: [N, Cin, *in], w: [Cout, Cin/G, *k],
// b: [Cout] or nil, low padding lo, output size out → [N, Cout, *out].
func naiveConv(x, w, b *tensor.Tensor, stride, lo, dil, out []int, groups int) *tensor.Tensor {
	xs, ws := x.Shape(), w.Shape()
	n, cin, cout := xs[0], xs[1], ws[0]
	in, kernel := xs[2:], ws[2:]
	cig, cog := cin/groups, cout/groups
	inSize, kSize, outSize := cvProd(in), cvProd(kernel), cvProd(out)
	xd, wd := x.Data(), w.Data()
	y := make([]float64, n*cout*outSize)
	for s := range n {
		for co := range cout {
			gi := co / cog
			cvTaps(in, kernel, stride, lo, dil, out, func(o, i, k int) {
				if i < 0 {
					return
				}
				for c := range cig {
					ci := gi*cig + c
					y[(s*cout+co)*outSize+o] += float64(xd[(s*cin+ci)*inSize+i]) * float64(wd[(co*cig+c)*kSize+k])
				}
			})
			if b != nil {
				for o := range outSize {
					y[(s*cout+co)*outSize+o] += float64(b.Data()[co])
				}
			}
		}
	}
	return cvTensor(y, append([]int{n, cout}, out...))
}

func cvTensor(v []float64, shape []int) *tensor.Tensor {
	f := make([]float32, len(v))
	for i, x := range v {
		f[i] = float32(x)
	}
	return tensor.FromSlice(f, shape...)
}

// cvClose fails t unless got and want have equal shapes and values within tol
// (relative to the largest magnitude of want).
func cvClose(t *testing.T, what string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	if !slices.Equal(got.Shape(), want.Shape()) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape(), want.Shape())
	}
	g, w := got.Values(), want.Values()
	scale := 1.0
	for _, v := range w {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i := range g {
		if math.Abs(float64(g[i]-w[i])) > tol*scale || math.IsNaN(float64(g[i])) {
			t.Fatalf("%s: element %d: got %v, want %v", what, i, g[i], w[i])
		}
	}
}

type convCase struct {
	name    string
	x, w    []int
	bias    bool
	o       ConvOptions
	lo, out []int // expected low padding and output size for the naive reference
}

var convCases = []convCase{
	{"1d", []int{2, 3, 7}, []int{4, 3, 3}, true, ConvOptions{Padding: []int{1}}, []int{1}, []int{7}},
	{"2d stride2 pad1", []int{2, 3, 7, 6}, []int{4, 3, 3, 3}, true, ConvOptions{Stride: []int{2}, Padding: []int{1}}, []int{1, 1}, []int{4, 3}},
	{"2d dilation2", []int{1, 2, 8, 7}, []int{3, 2, 3, 3}, true, ConvOptions{Padding: []int{2}, Dilation: []int{2}}, []int{2, 2}, []int{8, 7}},
	{"2d groups2", []int{2, 4, 6, 5}, []int{6, 2, 3, 3}, true, ConvOptions{Padding: []int{1}, Groups: 2}, []int{1, 1}, []int{6, 5}},
	{"2d no bias", []int{2, 3, 5, 5}, []int{2, 3, 3, 2}, false, ConvOptions{Stride: []int{1, 2}}, []int{0, 0}, []int{3, 2}},
	{"2d same k3", []int{1, 2, 5, 6}, []int{3, 2, 3, 3}, true, ConvOptions{Same: true}, []int{1, 1}, []int{5, 6}},
	{"2d same even k2,k4", []int{2, 2, 5, 6}, []int{3, 2, 2, 4}, true, ConvOptions{Same: true}, []int{0, 1}, []int{5, 6}},
	{"2d same k2 dilation2", []int{1, 2, 5, 6}, []int{2, 2, 2, 2}, true, ConvOptions{Same: true, Dilation: []int{2}}, []int{1, 1}, []int{5, 6}},
	{"2d same k3 dilation (1,2) groups2", []int{1, 4, 5, 6}, []int{2, 2, 3, 3}, false, ConvOptions{Same: true, Dilation: []int{1, 2}, Groups: 2}, []int{1, 2}, []int{5, 6}},
	{"2d 1x1", []int{2, 4, 5, 5}, []int{3, 4, 1, 1}, true, ConvOptions{}, []int{0, 0}, []int{5, 5}},
	{"2d 1x1 groups2", []int{2, 4, 3, 5}, []int{6, 2, 1, 1}, false, ConvOptions{Groups: 2}, []int{0, 0}, []int{3, 5}},
	{"2d 1x1 stride2", []int{1, 3, 5, 5}, []int{2, 3, 1, 1}, true, ConvOptions{Stride: []int{2}}, []int{0, 0}, []int{3, 3}},
	{"3d", []int{1, 2, 4, 5, 4}, []int{3, 2, 3, 3, 3}, true, ConvOptions{Stride: []int{1, 2, 1}, Padding: []int{1}}, []int{1, 1, 1}, []int{4, 3, 4}},
	{"3d anisotropic 1x3x3", []int{2, 2, 3, 6, 5}, []int{2, 2, 1, 3, 3}, true, ConvOptions{Padding: []int{0, 1, 1}}, []int{0, 1, 1}, []int{3, 6, 5}},
	{"3d same even", []int{1, 2, 3, 4, 5}, []int{2, 2, 2, 2, 2}, true, ConvOptions{Same: true}, []int{0, 0, 0}, []int{3, 4, 5}},
}

func (c convCase) inputs() []*tensor.Tensor {
	in := []*tensor.Tensor{cvRand(1, c.x...), cvRand(2, c.w...)}
	if c.bias {
		in = append(in, cvRand(3, c.w[0]))
	}
	return in
}

func (c convCase) apply(tp *Tape, in []*Var) *Var {
	var b *Var
	if len(in) > 2 {
		b = in[2]
	}
	return tp.Conv(in[0], in[1], b, c.o)
}

func TestConvForward(t *testing.T) {
	for _, c := range convCases {
		t.Run(c.name, func(t *testing.T) {
			in := c.inputs()
			var b *tensor.Tensor
			if c.bias {
				b = in[2]
			}
			nd := len(c.x) - 2
			want := naiveConv(in[0], in[1], b,
				expandInts("test", "stride", c.o.Stride, nd, 1), c.lo,
				expandInts("test", "dilation", c.o.Dilation, nd, 1), c.out, max(c.o.Groups, 1))
			vars := make([]*Var, len(in))
			for i, v := range in {
				vars[i] = NewVar(v)
			}
			cvClose(t, "Conv", c.apply(nil, vars).Value, want, 1e-5)
		})
	}
}

func TestConvGrad(t *testing.T) {
	for _, c := range convCases {
		t.Run(c.name, func(t *testing.T) {
			gradCheck(t, c.apply, c.inputs(), gradCheckOpts{})
		})
	}
}

// TestConvResidualGrad checks x + conv(x) (and a 3-D one whose width takes the
// packing-free path): the convolution's input gradient is added into the gradient x
// already holds from the sum.
func TestConvResidualGrad(t *testing.T) {
	for _, c := range []struct {
		name  string
		x, w  []int
		same  bool
		other ConvOptions
	}{
		{"2d same", []int{2, 3, 5, 6}, []int{3, 3, 3, 3}, true, ConvOptions{}},
		{"2d same groups", []int{1, 4, 5, 6}, []int{4, 2, 3, 3}, true, ConvOptions{Groups: 2}},
		{"3d same width 32", []int{1, 2, 2, 3, 32}, []int{2, 2, 3, 3, 3}, true, ConvOptions{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := c.other
			o.Same = c.same
			gradCheck(t, func(tp *Tape, in []*Var) *Var {
				return tp.Add(tp.Conv(in[0], in[1], nil, o), in[0])
			}, []*tensor.Tensor{cvRand(3, c.x...), cvRand(4, c.w...)}, gradCheckOpts{})
		})
	}
}

// TestConvChunked runs the im2col paths of Conv and ConvTranspose one sample at a time
// and checks values and gradients against the unchunked result.
func TestConvChunked(t *testing.T) {
	type op struct {
		name string
		in   []*tensor.Tensor
		f    func(tp *Tape, in []*Var) *Var
	}
	ops := []op{
		{"conv", convCases[1].inputs(), convCases[1].apply},
		{"conv groups", convCases[3].inputs(), convCases[3].apply},
		{"conv transpose", convTCases[3].inputs(), convTCases[3].apply},
	}
	for _, o := range ops {
		t.Run(o.name, func(t *testing.T) {
			run := func() []*Var {
				tp := NewTape()
				vars := make([]*Var, len(o.in))
				for i, x := range o.in {
					vars[i] = NewLeaf(x)
				}
				y := o.f(tp, vars)
				tp.BackwardWith(y, cvRand(9, y.Shape()...))
				return append(vars, y)
			}
			ref := run()
			saved := colBudget
			colBudget = 1 // one sample per chunk
			defer func() { colBudget = saved }()
			got := run()
			n := len(o.in)
			cvClose(t, "value", got[n].Value, ref[n].Value, 1e-6)
			for i := range n {
				cvClose(t, fmt.Sprintf("grad %d", i), got[i].Grad, ref[i].Grad, 1e-5)
			}
		})
	}
}

// TestConvNonContiguous feeds a transposed view of x and of w.
func TestConvNonContiguous(t *testing.T) {
	x, w := cvRand(1, 2, 3, 6, 5), cvRand(2, 4, 3, 3, 2)
	xt, wt := x.Transpose(2, 3), w.Transpose(2, 3)
	got := (*Tape)(nil).Conv(NewVar(xt), NewVar(wt), nil, ConvOptions{Padding: []int{1}})
	want := (*Tape)(nil).Conv(NewVar(xt.Contiguous()), NewVar(wt.Contiguous()), nil, ConvOptions{Padding: []int{1}})
	cvClose(t, "Conv", got.Value, want.Value, 0)
}

func TestConvRecording(t *testing.T) {
	x, w := cvRand(1, 1, 2, 4, 4), cvRand(2, 3, 2, 3, 3)
	tp := NewTape()
	y := tp.Conv(NewVar(x), NewVar(w), nil, ConvOptions{})
	if tp.Len() != 0 || y.RequiresGrad() {
		t.Errorf("constants only: recorded %d ops, requiresGrad %v", tp.Len(), y.RequiresGrad())
	}
	// Only w requires a gradient: x's gradient is not computed.
	xv, wv := NewVar(x), NewLeaf(w)
	y = tp.Conv(xv, wv, nil, ConvOptions{})
	tp.BackwardWith(y, cvRand(3, y.Shape()...))
	if wv.Grad == nil || xv.Grad != nil {
		t.Errorf("w grad %v, x grad %v", wv.Grad, xv.Grad)
	}
}

func TestConvPanics(t *testing.T) {
	cases := []struct {
		name string
		x, w []int
		o    ConvOptions
	}{
		{"rank", []int{2, 3}, []int{4, 3}, ConvOptions{}},
		{"channels", []int{1, 3, 5, 5}, []int{4, 2, 3, 3}, ConvOptions{}},
		{"groups", []int{1, 4, 5, 5}, []int{3, 2, 3, 3}, ConvOptions{Groups: 2}},
		{"same stride", []int{1, 3, 5, 5}, []int{4, 3, 3, 3}, ConvOptions{Same: true, Stride: []int{2}}},
		{"stride entries", []int{1, 3, 5, 5}, []int{4, 3, 3, 3}, ConvOptions{Stride: []int{1, 1, 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			(*Tape)(nil).Conv(NewVar(tensor.Zeros(tensor.CPU{}, c.x...)), NewVar(tensor.Zeros(tensor.CPU{}, c.w...)), nil, c.o)
		})
	}
}

func benchConv(b *testing.B, x, w []int, o ConvOptions) {
	xv, wv, bv := NewLeaf(cvRand(1, x...)), NewLeaf(cvRand(2, w...)), NewLeaf(cvRand(3, w[0]))
	var dy *tensor.Tensor
	for b.Loop() {
		tp := NewTape()
		y := tp.Conv(xv, wv, bv, o)
		if dy == nil {
			dy = cvRand(4, y.Shape()...)
		}
		tp.BackwardWith(y, dy)
		xv.ZeroGrad()
		wv.ZeroGrad()
		bv.ZeroGrad()
	}
}

func BenchmarkConv2D3x3(b *testing.B) {
	benchConv(b, []int{4, 32, 64, 64}, []int{32, 32, 3, 3}, ConvOptions{Padding: []int{1}})
}

func BenchmarkConv3D3x3(b *testing.B) {
	benchConv(b, []int{2, 16, 16, 32, 32}, []int{16, 16, 3, 3, 3}, ConvOptions{Padding: []int{1}})
}
