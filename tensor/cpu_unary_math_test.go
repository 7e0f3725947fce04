package tensor

import (
	"math"
	"testing"
)

// sweepFloat32 calls f on a dense sweep of float32 inputs: every 2053rd bit pattern of
// the finite range (about 2 M values, both signs, subnormals included) and a uniform
// grid of step 1e-4 over [−20, 20], where the activations live.
func sweepFloat32(f func(x float32)) {
	for b := uint64(0); b < 0x7f800000; b += 2053 {
		v := math.Float32frombits(uint32(b))
		f(v)
		f(-v)
	}
	for i := -200000; i <= 200000; i++ {
		f(float32(float64(i) * 1e-4))
	}
}

// checkRel reports whether got (a float32 result) is within rel of want relative to
// scale (|want| when scale is 0), allowing one subnormal step below float32's normal
// range and requiring ±Inf where want overflows float32.
func checkRel(got float32, want, scale, rel float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(float64(got))
	}
	if math.Abs(want) > math.MaxFloat32*(1+0x1p-25) {
		return math.IsInf(float64(got), int(math.Copysign(1, want)))
	}
	if scale == 0 {
		scale = math.Abs(want)
	}
	return math.Abs(float64(got)-want) <= rel*scale+0x1p-149
}

// TestFastMath sweeps each fast function, rounded to float32, against package math in
// float64: the relative error must stay at or below 2e-7 (about 1.7 float32 ulps).
func TestFastMath(t *testing.T) {
	const rel = 2e-7
	phi := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	pdf := func(x float64) float64 { return math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi) }
	cases := []struct {
		name string
		got  func(x float64) float64
		want func(x float64) (v, scale float64)
	}{
		{"exp", expF, func(x float64) (float64, float64) { return math.Exp(x), 0 }},
		{"expm1", func(x float64) float64 { return expm1Neg(min(x, 0)) },
			func(x float64) (float64, float64) { return math.Expm1(min(x, 0)), 0 }},
		{"tanh", tanhF, func(x float64) (float64, float64) { return math.Tanh(x), 0 }},
		{"sigmoid", sigmoidF, func(x float64) (float64, float64) { return 1 / (1 + math.Exp(-x)), 0 }},
		{"silu", func(x float64) float64 { return x * sigmoidF(x) },
			func(x float64) (float64, float64) { return x / (1 + math.Exp(-x)), 0 }},
		{"gelu", func(x float64) float64 { y, _ := geluF(x); return y },
			func(x float64) (float64, float64) { return x * phi(x), 0 }},
		// The derivative Φ(x) + x·φ(x) crosses zero near x = −0.75: measure its error
		// against the size of its terms.
		{"gelu'", func(x float64) float64 { _, d := geluF(x); return d },
			func(x float64) (float64, float64) {
				return phi(x) + x*pdf(x), phi(x) + math.Abs(x)*pdf(x)
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad, worst, worstX := 0, 0.0, float32(0)
			sweepFloat32(func(x float32) {
				got := float32(c.got(float64(x)))
				want, scale := c.want(float64(x))
				if !checkRel(got, want, scale, rel) {
					if bad < 5 {
						t.Errorf("%s(%g) = %g, want %g", c.name, x, got, want)
					}
					bad++
				}
				if s := max(scale, math.Abs(want)); s > 0x1p-126 && s < math.MaxFloat32 {
					if e := math.Abs(float64(got)-want) / s; e > worst {
						worst, worstX = e, x
					}
				}
			})
			if bad > 0 {
				t.Errorf("%s: %d inputs off by more than %g", c.name, bad, rel)
			}
			t.Logf("%s: worst relative error %.3g at x = %g", c.name, worst, worstX)
		})
	}
}

// TestFastMathSpecial checks NaN propagation and the limits.
func TestFastMathSpecial(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name      string
		got, want float64
	}{
		{"exp(+Inf)", expF(inf), inf},
		{"exp(-Inf)", expF(-inf), 0},
		{"exp(NaN)", expF(nan), nan},
		{"tanh(+Inf)", tanhF(inf), 1},
		{"tanh(-Inf)", tanhF(-inf), -1},
		{"tanh(NaN)", tanhF(nan), nan},
		{"sigmoid(-Inf)", sigmoidF(-inf), 0},
		{"sigmoid(NaN)", sigmoidF(nan), nan},
		{"gelu(+Inf)", func() float64 { y, _ := geluF(inf); return y }(), inf},
		{"gelu(-Inf)", func() float64 { y, _ := geluF(-inf); return y }(), nan}, // −∞·0, as PyTorch
		{"gelu(NaN)", func() float64 { y, _ := geluF(nan); return y }(), nan},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := float32(c.got)
			if math.IsNaN(c.want) != math.IsNaN(float64(g)) || (!math.IsNaN(c.want) && float64(g) != float64(float32(c.want))) {
				t.Errorf("%s = %g, want %g", c.name, g, c.want)
			}
		})
	}
}

// BenchmarkFastMath compares the fast functions with package math, per element.
func BenchmarkFastMath(b *testing.B) {
	xs := make([]float64, 4096)
	for i := range xs {
		xs[i] = float64(i)/512 - 4
	}
	var sink float64
	fns := []struct {
		name string
		f    func(float64) float64
	}{
		{"math.Exp", math.Exp}, {"expF", expF},
		{"math.Erf", math.Erf}, {"gelu", func(x float64) float64 { y, _ := geluF(x); return y }},
		{"math.Tanh", math.Tanh}, {"tanhF", tanhF},
	}
	for _, fn := range fns {
		b.Run(fn.name, func(b *testing.B) {
			for b.Loop() {
				for _, x := range xs {
					sink += fn.f(x)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(xs)), "ns/elem")
		})
	}
	_ = sink
}

// TestFastMathSlices checks the slice kernels (AVX-512 where the CPU has it, with a
// scalar tail) on the same sweep and tolerance as TestFastMath, at lengths that leave
// a tail.
func TestFastMathSlices(t *testing.T) {
	const rel = 2e-7
	var xs []float32
	sweepFloat32(func(x float32) { xs = append(xs, x) })
	xs = xs[:len(xs)-len(xs)%8+5] // a tail of 5
	out := make([]float32, len(xs))
	grad := make([]float32, len(xs))
	for i := range grad {
		grad[i] = float32(i%7) - 3.5
	}
	phi := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	pdf := func(x float64) float64 { return math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi) }
	cases := []struct {
		name string
		run  func()
		want func(i int, x float64) (v, scale float64)
	}{
		{"exp", func() { expSlice(out, xs, 1, 0, 0) },
			func(_ int, x float64) (float64, float64) { return math.Exp(x), 0 }},
		{"exp(-2x+0.5)-1", func() { expSlice(out, xs, -2, 0.5, 1) },
			func(_ int, x float64) (float64, float64) { return math.Expm1(-2*x + 0.5), 0 }},
		{"expm1", func() { expSlice(out, xs, 1, 0, 1) },
			func(_ int, x float64) (float64, float64) {
				// Cancellation: e^x − 1 is exact to 1e-14 absolute.
				return math.Expm1(x), max(math.Abs(math.Expm1(x)), 1e-14/rel)
			}},
		{"gelu", func() { geluSlice(out, xs, nil) },
			func(_ int, x float64) (float64, float64) { return x * phi(x), 0 }},
		{"gelu'", func() { geluSlice(out, xs, grad) },
			func(i int, x float64) (float64, float64) {
				g := float64(grad[i])
				return g * (phi(x) + x*pdf(x)), math.Abs(g) * (phi(x) + math.Abs(x)*pdf(x))
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run()
			bad := 0
			for i, x := range xs {
				want, scale := c.want(i, float64(x))
				if !checkRel(out[i], want, scale, rel) {
					if bad < 5 {
						t.Errorf("%s(%g) = %g, want %g", c.name, x, out[i], want)
					}
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("%s: %d of %d inputs off by more than %g", c.name, bad, len(xs), rel)
			}
		})
	}
}

// TestUnaryKernelAccuracy sweeps the exp-based kernels of CPU.Unary and
// CPU.UnaryBackward against float64 references: relative error at most 2e-7 (for
// derivatives, relative to the size of their terms).
func TestUnaryKernelAccuracy(t *testing.T) {
	const rel = 2e-7
	var xs []float32
	sweepFloat32(func(x float32) { xs = append(xs, x) })
	n := len(xs)
	x := FromSlice(xs, n)
	g := New(CPU{}, n)
	gd := g.Data()
	for i := range gd {
		gd[i] = float32(i%5) - 2.25
	}
	sig := func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
	phi := func(v float64) float64 { return 0.5 * math.Erfc(-v/math.Sqrt2) }
	pdf := func(v float64) float64 { return math.Exp(-0.5*v*v) / math.Sqrt(2*math.Pi) }
	elu := func(a float64) func(v float64) (float64, float64) {
		return func(v float64) (float64, float64) {
			if v > 0 {
				return v, 0
			}
			return a * math.Expm1(v), 0
		}
	}
	cases := []struct {
		op    UnaryOp
		alpha float32
		fwd   func(v float64) (want, scale float64)
		bwd   func(v float64) (want, scale float64) // f'(v) and the size of its terms; nil: not checked
	}{
		{Exp, 0, func(v float64) (float64, float64) { return math.Exp(v), 0 }, nil},
		{ELU, 1, elu(1), func(v float64) (float64, float64) {
			if v > 0 {
				return 1, 1
			}
			return math.Exp(v), math.Exp(v)
		}},
		{ELU, 0.5, elu(0.5), nil},
		{GELU, 0, func(v float64) (float64, float64) { return v * phi(v), 0 },
			func(v float64) (float64, float64) { return phi(v) + v*pdf(v), phi(v) + math.Abs(v)*pdf(v) }},
		{Sigmoid, 0, func(v float64) (float64, float64) { return sig(v), 0 }, nil},
		{SiLU, 0, func(v float64) (float64, float64) { return v * sig(v), 0 },
			func(v float64) (float64, float64) {
				s := sig(v)
				return s * (1 + v*(1-s)), s * (1 + math.Abs(v)*(1-s))
			}},
		{Tanh, 0, func(v float64) (float64, float64) { return math.Tanh(v), 0 }, nil},
	}
	for _, c := range cases {
		t.Run(c.op.String(), func(t *testing.T) {
			y, dx := New(CPU{}, n), New(CPU{}, n)
			CPU{}.Unary(c.op, y, x, c.alpha)
			CPU{}.UnaryBackward(c.op, dx, g, x, y, c.alpha)
			bad := 0
			report := func(what string, v float64, got float32, want float64) {
				if bad < 5 {
					t.Errorf("%s %v(%g) = %g, want %g", what, c.op, v, got, want)
				}
				bad++
			}
			for i, v := range xs {
				fv := float64(v)
				if want, scale := c.fwd(fv); !checkRel(y.Data()[i], want, scale, rel) {
					report("forward", fv, y.Data()[i], want)
				}
				if c.bwd != nil {
					d, scale := c.bwd(fv)
					gi := float64(gd[i])
					if !checkRel(dx.Data()[i], gi*d, math.Abs(gi)*scale, rel) {
						report("backward", fv, dx.Data()[i], gi*d)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%v: %d values off by more than %g", c.op, bad, rel)
			}
		})
	}
}
