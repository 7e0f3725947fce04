//go:build cuda

package cuda

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// TestImplicitConv compares ConvForward, ConvInputGrad and ConvFilterGrad on the GPU
// with the CPU's, in exact fp32 (tight tolerance) and with TF32 tensor cores (10-bit
// mantissas: a tolerance relative to the largest output), over small geometries
// (strides, padding, dilation, groups, 1–3 axes) and larger ones that span several
// block tiles and filter-gradient chunks.
func TestImplicitConv(t *testing.T) {
	d := testDevice()
	defer d.SetTF32(d.TF32())
	cases := append([]igemmCase{
		{4, 16, 40, 1, []int{33, 35}, []int{3, 3}, nil, []int{1, 1}, nil},
		{2, 32, 130, 1, []int{19, 21}, []int{3, 3}, nil, []int{1, 1}, nil},
		{2, 8, 20, 1, []int{12, 12, 12}, []int{3, 3, 3}, nil, []int{1, 1, 1}, nil},
		{3, 12, 24, 3, []int{17, 15}, []int{3, 3}, nil, []int{2, 2}, []int{2, 2}},
		{16, 1, 16, 1, []int{64, 64}, []int{3, 3}, nil, []int{1, 1}, nil},
		{2, 64, 64, 1, []int{6, 6, 6}, []int{3, 3, 3}, nil, []int{1, 1, 1}, nil}, // forward split over k
	}, igemmCases...)
	rng := rand.New(rand.NewPCG(3, 4))
	cpu := tensor.CPU{}
	for _, tf32 := range []bool{false, true} {
		d.SetTF32(tf32)
		for _, c := range cases {
			t.Run(fmt.Sprintf("tf32=%v/%v", tf32, c), func(t *testing.T) {
				g := c.geom()
				x := randTensor(rng, append([]int{c.n, c.cin}, c.in...)...)
				w := randTensor(rng, append([]int{c.cout, c.cin / c.groups}, c.k...)...)
				dy := randTensor(rng, append([]int{c.n, c.cout}, g.Out...)...)
				xg, wg, dyg := x.To(d), w.To(d), dy.To(d)

				want := tensor.New(cpu, append([]int{c.n, c.cout}, g.Out...)...)
				cpu.ConvForward(want, x, w, g, c.groups)
				got := tensor.New(d, want.Shape()...)
				d.ConvForward(got, xg, wg, g, c.groups)
				compareConv(t, "ConvForward", got.Values(), want.Data(), tf32)

				b := randTensor(rng, c.cout)
				wd, bd := want.Data(), b.Data()
				per := g.OutSize()
				for i := range wd {
					wd[i] += bd[(i/per)%c.cout]
				}
				d.ConvForwardBias(got, xg, wg, b.To(d), g, c.groups)
				compareConv(t, "ConvForwardBias", got.Values(), wd, tf32)

				if tensor.ConvInputGradOK(g) {
					want := tensor.New(cpu, x.Shape()...)
					cpu.ConvInputGrad(want, dy, w, g, c.groups)
					got := tensor.New(d, x.Shape()...)
					d.ConvInputGrad(got, dyg, wg, g, c.groups)
					compareConv(t, "ConvInputGrad", got.Values(), want.Data(), tf32)
				}

				for _, beta := range []float32{0, 0.5} {
					init := randTensor(rng, w.Shape()...)
					want := init.Clone()
					cpu.ConvFilterGrad(want, x, dy, g, c.groups, beta)
					got := init.To(d)
					d.ConvFilterGrad(got, xg, dyg, g, c.groups, beta)
					compareConv(t, fmt.Sprintf("ConvFilterGrad(beta %v)", beta), got.Values(), want.Data(), tf32)
				}
			})
		}
	}
}

// compareConv fails t when got and want differ by more than the tolerance of the
// precision: exact fp32 1e-4·(1 + |want|), TF32 1e-2 of the largest |want|.
func compareConv(t *testing.T, op string, got, want []float32, tf32 bool) {
	t.Helper()
	scale := 0.0
	for _, v := range want {
		scale = max(scale, math.Abs(float64(v)))
	}
	for i := range want {
		diff := math.Abs(float64(got[i] - want[i]))
		tol := 1e-4 * (1 + math.Abs(float64(want[i])))
		if tf32 {
			tol = 1e-2 * max(scale, 1)
		}
		if !(diff <= tol) {
			t.Fatalf("%s: element %d of %d: got %v, want %v (tolerance %.3g)", op, i, len(want), got[i], want[i], tol)
		}
	}
}
