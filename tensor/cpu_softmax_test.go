package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refSoftmax returns softmax(x) and y·(g − Σ g·y) along axis 1 of x, g: [outer, n, inner],
// in float64 with package math.
func refSoftmax(x, g []float32, outer, n, inner int) (y, dx []float64) {
	y, dx = make([]float64, len(x)), make([]float64, len(x))
	for o := range outer {
		for i := range inner {
			at := func(j int) int { return (o*n+j)*inner + i }
			m := math.Inf(-1)
			for j := range n {
				m = max(m, float64(x[at(j)]))
			}
			z, dot := 0.0, 0.0
			for j := range n {
				y[at(j)] = math.Exp(float64(x[at(j)]) - m)
				z += y[at(j)]
			}
			for j := range n {
				y[at(j)] /= z
				dot += float64(g[at(j)]) * y[at(j)]
			}
			for j := range n {
				dx[at(j)] = y[at(j)] * (float64(g[at(j)]) - dot)
			}
		}
	}
	return y, dx
}

// checkClose reports the worst element of got outside atol + rtol·|want|.
func checkClose(t *testing.T, name string, got []float32, want []float64, rtol, atol float64) {
	t.Helper()
	worst, at := 0.0, -1
	for i, w := range want {
		d := math.Abs(float64(got[i]) - w)
		if math.IsNaN(float64(got[i])) != math.IsNaN(w) {
			d = math.Inf(1)
		} else if math.IsNaN(w) {
			continue
		}
		if d > atol+rtol*math.Abs(w) && (at < 0 || d > worst) {
			worst, at = d, i
		}
	}
	if at >= 0 {
		t.Errorf("%s: element %d = %g, want %g (|diff| %.3g)", name, at, got[at], want[at], worst)
	}
}

// TestSoftmaxLongRows compares Softmax and SoftmaxBackward with a float64 reference on
// long rows and large logits (spread over ±scale around an offset), along the last axis
// and along a strided one, with the tolerances of tensortest (rtol 1e-5, atol 1e-6).
func TestSoftmaxLongRows(t *testing.T) {
	cases := []struct {
		outer, n, inner int
		scale, offset   float32
	}{
		{3, 4096, 1, 30, 0},
		{2, 4096, 1, 100, 5000},
		{4, 4099, 1, 8, -300},
		{5, 257, 1, 60, 0},
		{7, 65, 1, 1, 0},
		{9, 7, 1, 20, 0},
		{4, 1, 1, 5, 0},
		{2, 4096, 3, 30, 0},
		{2, 700, 37, 80, 1000},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%dx%dx%d/scale=%g/offset=%g", c.outer, c.n, c.inner, c.scale, c.offset), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(c.n), uint64(c.inner)))
			size := c.outer * c.n * c.inner
			x, g := New(CPU{}, c.outer, c.n, c.inner), New(CPU{}, c.outer, c.n, c.inner)
			xs, gs := x.Data(), g.Data()
			for i := range xs {
				xs[i] = c.offset + c.scale*(2*r.Float32()-1)
				gs[i] = 2*r.Float32() - 1
			}
			// A few near-ties at the maximum and a very negative outlier.
			xs[size/2] = c.offset + c.scale
			xs[size/3] = c.offset + c.scale*(1-1e-6)
			xs[size/5] = c.offset - 1e4
			wantY, wantDX := refSoftmax(xs, gs, c.outer, c.n, c.inner)
			y := New(CPU{}, c.outer, c.n, c.inner)
			CPU{}.Softmax(y, x, 1)
			checkClose(t, "Softmax", y.Data(), wantY, 1e-5, 1e-6)
			dx := New(CPU{}, c.outer, c.n, c.inner)
			CPU{}.SoftmaxBackward(dx, g, y, 1)
			checkClose(t, "SoftmaxBackward", dx.Data(), wantDX, 1e-5, 1e-6)
			// In place: dx may be dy; dst may be x.
			CPU{}.SoftmaxBackward(g, g, y, 1)
			checkClose(t, "SoftmaxBackward in place", gs, wantDX, 1e-5, 1e-6)
			CPU{}.Softmax(x, x, 1)
			checkClose(t, "Softmax in place", xs, wantY, 1e-5, 1e-6)
		})
	}
}

// TestSoftmaxSpecialValues checks that −Inf logits get probability 0, a NaN makes its
// row NaN (and only its row), and +Inf makes its row NaN as in PyTorch.
func TestSoftmaxSpecialValues(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	for _, n := range []int{3, 9, 300} {
		for _, axis := range []int{0, 1} {
			t.Run(fmt.Sprintf("n=%d/axis=%d", n, axis), func(t *testing.T) {
				rows := [][]float32{make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)}
				for j := range n {
					rows[0][j], rows[1][j], rows[2][j], rows[3][j] = float32(j%5), float32(j%3), float32(j), 1
				}
				rows[0][n-1] = -inf // probability 0
				rows[1][n/2] = nan  // NaN row
				rows[2][0] = inf    // NaN row
				x := New(CPU{}, 4, n)
				for r, row := range rows {
					copy(x.Data()[r*n:], row)
				}
				if axis == 0 {
					x = x.Transpose(0, 1).Contiguous()
				}
				y := New(CPU{}, x.Shape()...)
				CPU{}.Softmax(y, x, axis)
				if axis == 0 {
					y = y.Transpose(0, 1).Contiguous()
				}
				v := y.Data()
				sum := 0.0
				for j := range n {
					sum += float64(v[j])
				}
				if v[n-1] != 0 || math.Abs(sum-1) > 1e-6 {
					t.Errorf("row with −Inf: last %g, sum %g; want 0 and 1", v[n-1], sum)
				}
				for r := 1; r <= 2; r++ {
					for j := range n {
						if !math.IsNaN(float64(v[r*n+j])) {
							t.Fatalf("row %d: element %d = %g, want NaN", r, j, v[r*n+j])
						}
					}
				}
				for j := range n {
					if math.Abs(float64(v[3*n+j])-1/float64(n)) > 1e-7 {
						t.Fatalf("uniform row: element %d = %g, want %g", j, v[3*n+j], 1/float64(n))
					}
				}
			})
		}
	}
}

// BenchmarkSoftmaxAttention measures Softmax and SoftmaxBackward on attention-shaped
// rows (MAE's decoder: 257 tokens; encoder: 65).
func BenchmarkSoftmaxAttention(b *testing.B) {
	for _, n := range []int{65, 257} {
		rows := (1 << 21) / n
		r := rand.New(rand.NewPCG(1, 2))
		x, g := New(CPU{}, rows, n), New(CPU{}, rows, n)
		for i, xs, gs := 0, x.Data(), g.Data(); i < len(xs); i++ {
			xs[i], gs[i] = 8*r.Float32()-4, r.Float32()-0.5
		}
		y, dx := New(CPU{}, rows, n), New(CPU{}, rows, n)
		b.Run(fmt.Sprintf("Softmax/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				CPU{}.Softmax(y, x, 1)
			}
			b.ReportMetric(float64(rows*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
		b.Run(fmt.Sprintf("SoftmaxBackward/n=%d", n), func(b *testing.B) {
			for b.Loop() {
				CPU{}.SoftmaxBackward(dx, g, y, 1)
			}
			b.ReportMetric(float64(rows*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
		})
	}
}
