package nn

import (
	"slices"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// naiveConvTranspose is the direct transposed convolution: every input element
// scatters x[n, ci, i]·w[ci, co, k] to output position i·stride − pad + k·dil.
// x: [N, Cin, *in], w: [Cin, Cout/G, *k], b: [Cout] or nil → [N, Cout, *out].
func naiveConvTranspose(x, w, b *tensor.Tensor, stride, pad, dil, out []int, groups int) *tensor.Tensor {
	xs, ws := x.Shape(), w.Shape()
	n, cin := xs[0], xs[1]
	cog, cig := ws[1], cin/groups
	cout := cog * groups
	in, kernel := xs[2:], ws[2:]
	inSize, kSize, outSize := cvProd(in), cvProd(kernel), cvProd(out)
	xd, wd := x.Data(), w.Data()
	y := make([]float64, n*cout*outSize)
	// The taps of the convolution from out to in are exactly the scatter positions.
	cvTaps(out, kernel, stride, pad, dil, in, func(i, o, k int) {
		if o < 0 {
			return
		}
		for s := range n {
			for ci := range cin {
				g := ci / cig
				xv := float64(xd[(s*cin+ci)*inSize+i])
				for c := range cog {
					co := g*cog + c
					y[(s*cout+co)*outSize+o] += xv * float64(wd[(ci*cog+c)*kSize+k])
				}
			}
		}
	})
	if b != nil {
		for s := range n {
			for co := range cout {
				for o := range outSize {
					y[(s*cout+co)*outSize+o] += float64(b.Data()[co])
				}
			}
		}
	}
	return cvTensor(y, append([]int{n, cout}, out...))
}

type convTCase struct {
	name string
	x, w []int
	bias bool
	o    ConvTransposeOptions
	out  []int
}

var convTCases = []convTCase{
	{"1d dilation2", []int{2, 3, 5}, []int{3, 2, 3}, true, ConvTransposeOptions{Dilation: []int{2}, Padding: []int{1}}, []int{7}},
	{"2d k2 s2", []int{2, 4, 3, 3}, []int{4, 3, 2, 2}, true, ConvTransposeOptions{Stride: []int{2}}, []int{6, 6}},
	{"2d k3 s2 p1 op1", []int{1, 3, 4, 3}, []int{3, 2, 3, 3}, true, ConvTransposeOptions{Stride: []int{2}, Padding: []int{1}, OutputPadding: []int{1}}, []int{8, 6}},
	{"2d groups2", []int{2, 4, 3, 3}, []int{4, 3, 3, 3}, true, ConvTransposeOptions{Stride: []int{2}, Padding: []int{1}, Groups: 2}, []int{5, 5}},
	{"2d no bias", []int{1, 2, 3, 4}, []int{2, 3, 2, 3}, false, ConvTransposeOptions{Stride: []int{1, 2}}, []int{4, 9}},
	{"2d 1x1", []int{2, 4, 3, 3}, []int{4, 3, 1, 1}, true, ConvTransposeOptions{}, []int{3, 3}},
	{"3d k2 s2", []int{1, 2, 2, 3, 2}, []int{2, 3, 2, 2, 2}, true, ConvTransposeOptions{Stride: []int{2}}, []int{4, 6, 4}},
	{"3d 1x2x2", []int{2, 2, 2, 3, 3}, []int{2, 2, 1, 2, 2}, true, ConvTransposeOptions{Stride: []int{1, 2, 2}}, []int{2, 6, 6}},
	{"3d k3 s2 p1 op1", []int{1, 2, 2, 2, 3}, []int{2, 2, 3, 3, 3}, false, ConvTransposeOptions{Stride: []int{2}, Padding: []int{1}, OutputPadding: []int{1}}, []int{4, 4, 6}},
}

func (c convTCase) inputs() []*tensor.Tensor {
	in := []*tensor.Tensor{cvRand(4, c.x...), cvRand(5, c.w...)}
	if c.bias {
		in = append(in, cvRand(6, c.w[1]*max(c.o.Groups, 1)))
	}
	return in
}

func (c convTCase) apply(tp *Tape, in []*Var) *Var {
	var b *Var
	if len(in) > 2 {
		b = in[2]
	}
	return tp.ConvTranspose(in[0], in[1], b, c.o)
}

func TestConvTransposeForward(t *testing.T) {
	for _, c := range convTCases {
		t.Run(c.name, func(t *testing.T) {
			in := c.inputs()
			var b *tensor.Tensor
			if c.bias {
				b = in[2]
			}
			nd := len(c.x) - 2
			want := naiveConvTranspose(in[0], in[1], b,
				expandInts("test", "stride", c.o.Stride, nd, 1),
				expandInts("test", "padding", c.o.Padding, nd, 0),
				expandInts("test", "dilation", c.o.Dilation, nd, 1), c.out, max(c.o.Groups, 1))
			vars := make([]*Var, len(in))
			for i, v := range in {
				vars[i] = NewVar(v)
			}
			got := c.apply(nil, vars).Value
			if !slices.Equal(got.Shape()[2:], c.out) {
				t.Fatalf("output %v, want spatial %v", got.Shape(), c.out)
			}
			cvClose(t, "ConvTranspose", got, want, 1e-5)
		})
	}
}

func TestConvTransposeGrad(t *testing.T) {
	for _, c := range convTCases {
		t.Run(c.name, func(t *testing.T) {
			gradCheck(t, c.apply, c.inputs(), gradCheckOpts{})
		})
	}
}

// TestConvTransposeAdjoint checks ⟨conv(u), v⟩ = ⟨u, convT(v)⟩ for the same weight.
func TestConvTransposeAdjoint(t *testing.T) {
	w := cvRand(1, 4, 3, 3, 3) // conv: Cout 4, Cin/G 3, groups 2 → Cin 6
	u := cvRand(2, 2, 6, 7, 8)
	var tp *Tape
	cu := tp.Conv(NewVar(u), NewVar(w), nil, ConvOptions{Stride: []int{2}, Padding: []int{1}, Groups: 2})
	v := cvRand(3, cu.Shape()...)
	// Output padding (0, 1) restores the input size 7×8 from 4×4.
	tv := tp.ConvTranspose(NewVar(v), NewVar(w), nil, ConvTransposeOptions{Stride: []int{2}, Padding: []int{1}, OutputPadding: []int{0, 1}, Groups: 2})
	if !slices.Equal(tv.Shape(), u.Shape()) {
		t.Fatalf("ConvTranspose shape %v, want %v", tv.Shape(), u.Shape())
	}
	dot := func(a, b *tensor.Tensor) float64 {
		s := 0.0
		for i, x := range a.Values() {
			s += float64(x) * float64(b.Values()[i])
		}
		return s
	}
	l, r := dot(cu.Value, v), dot(u, tv.Value)
	if d := l - r; d > 1e-3 || d < -1e-3 {
		t.Errorf("⟨conv u, v⟩ = %v, ⟨u, convT v⟩ = %v", l, r)
	}
}

func TestConvTransposePanics(t *testing.T) {
	cases := []struct {
		name string
		x, w []int
		o    ConvTransposeOptions
	}{
		{"channels", []int{1, 3, 4, 4}, []int{2, 2, 3, 3}, ConvTransposeOptions{}},
		{"output padding ≥ stride", []int{1, 2, 4, 4}, []int{2, 2, 3, 3}, ConvTransposeOptions{Stride: []int{2}, OutputPadding: []int{2}}},
		{"rank", []int{1, 2, 4, 4}, []int{2, 2, 3}, ConvTransposeOptions{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			(*Tape)(nil).ConvTranspose(NewVar(tensor.Zeros(tensor.CPU{}, c.x...)), NewVar(tensor.Zeros(tensor.CPU{}, c.w...)), nil, c.o)
		})
	}
}
