package tensor

import (
	"fmt"
	"math"

	"github.com/selfsup/selfsup/internal/parallel"
)

// Grains (elements per chunk handed to another core) for elementwise kernels: cheap
// arithmetic needs large chunks to amortise the hand-off; transcendental ops less so.
const (
	grainCheap = 1 << 15
	grainTrans = 1 << 12
)

// unaryGrain returns the parallel grain for op.
func unaryGrain(op UnaryOp) int {
	switch op {
	case Neg, Abs, Square, ReLU, LeakyReLU, Sign, Recip, Sqrt:
		return grainCheap
	}
	return grainTrans
}

// Unary computes dst = f(x) elementwise; x, dst: any shape (equal), contiguous; dst
// may be x. See [Device.Unary].
func (CPU) Unary(op UnaryOp, dst, x *Tensor, alpha float32) {
	mustSameShape("Unary", dst, x)
	d, s := data("Unary", dst), data("Unary", x)
	if op < 0 || op >= numUnaryOps {
		panic(fmt.Sprintf("tensor: Unary: bad op %d", int(op)))
	}
	parallel.For(len(d), unaryGrain(op), func(lo, hi int) {
		unaryForward(op, d[lo:hi], s[lo:hi], alpha)
	})
}

// unaryForward computes d[i] = f(s[i]); len(d) == len(s).
func unaryForward(op UnaryOp, d, s []float32, alpha float32) {
	s = s[:len(d)]
	switch op {
	case Neg:
		for i, v := range s {
			d[i] = -v
		}
	case Exp:
		for i, v := range s {
			d[i] = float32(math.Exp(float64(v)))
		}
	case Log:
		for i, v := range s {
			d[i] = float32(math.Log(float64(v)))
		}
	case Sqrt:
		for i, v := range s {
			d[i] = float32(math.Sqrt(float64(v)))
		}
	case Rsqrt:
		for i, v := range s {
			d[i] = float32(1 / math.Sqrt(float64(v)))
		}
	case Recip:
		for i, v := range s {
			d[i] = 1 / v
		}
	case Abs:
		for i, v := range s {
			d[i] = float32(math.Abs(float64(v)))
		}
	case Square:
		for i, v := range s {
			d[i] = v * v
		}
	case ReLU:
		// Branchless: clear every value whose sign bit is set.
		for i, v := range s {
			b := math.Float32bits(v)
			d[i] = math.Float32frombits(b &^ signMask(b))
		}
	case LeakyReLU:
		for i, v := range s {
			b := math.Float32bits(v)
			m := signMask(b)
			d[i] = math.Float32frombits(b&^m) + alpha*math.Float32frombits(b&m)
		}
	case ELU:
		a := float64(alpha)
		for i, v := range s {
			if v <= 0 {
				v = float32(a * expm1(float64(v)))
			}
			d[i] = v
		}
	case GELU:
		for i, v := range s {
			x := float64(v)
			d[i] = float32(x * 0.5 * (1 + math.Erf(x/math.Sqrt2)))
		}
	case Sigmoid:
		for i, v := range s {
			d[i] = float32(1 / (1 + math.Exp(-float64(v))))
		}
	case Tanh:
		for i, v := range s {
			d[i] = float32(tanh(float64(v)))
		}
	case SiLU:
		for i, v := range s {
			x := float64(v)
			d[i] = float32(x / (1 + math.Exp(-x)))
		}
	case Sign:
		for i, v := range s {
			switch {
			case v > 0:
				v = 1
			case v < 0:
				v = -1
			}
			d[i] = v // 0 (of either sign) and NaN pass through
		}
	}
}

// UnaryBackward computes dx = dy·f'(x) from the forward input x and output y; all
// four tensors have the same shape and are contiguous. See [Device.UnaryBackward].
func (CPU) UnaryBackward(op UnaryOp, dx, dy, x, y *Tensor, alpha float32) {
	mustSameShape("UnaryBackward", dx, dy, x, y)
	d := data("UnaryBackward", dx)
	g := data("UnaryBackward", dy)
	xs := data("UnaryBackward", x)
	ys := data("UnaryBackward", y)
	if op < 0 || op >= numUnaryOps {
		panic(fmt.Sprintf("tensor: UnaryBackward: bad op %d", int(op)))
	}
	parallel.For(len(d), unaryGrain(op), func(lo, hi int) {
		unaryBackward(op, d[lo:hi], g[lo:hi], xs[lo:hi], ys[lo:hi], alpha)
	})
}

// unaryBackward computes d[i] = g[i]·f'(x[i]) (using y = f(x) where PyTorch does).
func unaryBackward(op UnaryOp, d, g, x, y []float32, alpha float32) {
	n := len(d)
	g, x, y = g[:n], x[:n], y[:n]
	switch op {
	case Neg:
		for i := range d {
			d[i] = -g[i]
		}
	case Exp:
		for i := range d {
			d[i] = g[i] * y[i]
		}
	case Log:
		for i := range d {
			d[i] = g[i] / x[i]
		}
	case Sqrt:
		for i := range d {
			d[i] = g[i] / (2 * y[i])
		}
	case Rsqrt:
		for i := range d {
			r := y[i]
			d[i] = -0.5 * g[i] * (r * r * r)
		}
	case Recip:
		for i := range d {
			d[i] = -g[i] * (y[i] * y[i])
		}
	case Abs:
		for i := range d {
			v := x[i]
			switch {
			case v > 0:
				d[i] = g[i]
			case v < 0:
				d[i] = -g[i]
			default:
				d[i] = 0
			}
		}
	case Square:
		for i := range d {
			d[i] = g[i] * 2 * x[i]
		}
	case ReLU:
		// Branchless: keep dy where y > 0 (PyTorch's threshold_backward on the result).
		for i := range d {
			d[i] = math.Float32frombits(math.Float32bits(g[i]) & positiveMask(y[i]))
		}
	case LeakyReLU:
		ab := math.Float32bits(alpha)
		for i := range d {
			m := positiveMask(x[i])
			d[i] = g[i] * math.Float32frombits(one32&m|ab&^m)
		}
	case ELU:
		a := float64(alpha)
		for i := range d {
			if x[i] > 0 {
				d[i] = g[i]
			} else {
				d[i] = float32(float64(g[i]) * a * math.Exp(float64(x[i])))
			}
		}
	case GELU:
		const invSqrt2Pi = 0.3989422804014327 // 1/√(2π)
		for i := range d {
			v := float64(x[i])
			cdf := 0.5 * (1 + math.Erf(v/math.Sqrt2))
			pdf := invSqrt2Pi * math.Exp(-0.5*v*v)
			d[i] = float32(float64(g[i]) * (cdf + v*pdf))
		}
	case Sigmoid:
		for i := range d {
			s := y[i]
			d[i] = g[i] * (1 - s) * s
		}
	case Tanh:
		for i := range d {
			t := y[i]
			d[i] = g[i] * (1 - t*t)
		}
	case SiLU:
		for i := range d {
			v := float64(x[i])
			s := 1 / (1 + math.Exp(-v))
			d[i] = float32(float64(g[i]) * s * (1 + v*(1-s)))
		}
	case Sign:
		clear(d)
	}
}

// Affine computes dst = x·scale + bias elementwise; dst, x: same shape, contiguous;
// dst may be x.
func (CPU) Affine(dst, x *Tensor, scale, bias float32) {
	mustSameShape("Affine", dst, x)
	d, s := data("Affine", dst), data("Affine", x)
	parallel.For(len(d), grainCheap, func(lo, hi int) {
		dd, ss := d[lo:hi], s[lo:hi]
		for i, v := range ss {
			dd[i] = v*scale + bias
		}
	})
}

// Where computes dst = a where cond ≠ 0, else b; all four: same shape, contiguous.
func (CPU) Where(dst, cond, a, b *Tensor) {
	mustSameShape("Where", dst, cond, a, b)
	d, c := data("Where", dst), data("Where", cond)
	av, bv := data("Where", a), data("Where", b)
	parallel.For(len(d), grainCheap, func(lo, hi int) {
		dd, cc, aa, bb := d[lo:hi], c[lo:hi], av[lo:hi], bv[lo:hi]
		for i, v := range cc {
			if v != 0 {
				dd[i] = aa[i]
			} else {
				dd[i] = bb[i]
			}
		}
	})
}

// one32 is the bit pattern of float32(1).
const one32 = 0x3f800000

// signMask returns all ones if the float32 with bits b has its sign bit set, else 0.
func signMask(b uint32) uint32 { return uint32(int32(b) >> 31) }

// positiveMask returns all ones if v > 0 (positive, non-zero, not NaN), else 0.
func positiveMask(v float32) uint32 {
	if v > 0 { // compiled to a flag-setting compare and SETcc, no branch
		return ^uint32(0)
	}
	return 0
}

// expm1 returns eˣ−1 for x ≤ 0 to float32 accuracy: math.Exp is accurate to an ulp
// of float64, so the cancellation in eˣ−1 costs at most 2⁻⁵³/|x| relative, far below
// float32 precision for |x| ≥ 1e-8; below that eˣ−1 = x to float32 precision.
func expm1(x float64) float64 {
	if x > -1e-8 {
		return x
	}
	return math.Exp(x) - 1
}

// tanh returns tanh x to float32 accuracy via one math.Exp (much faster than
// math.Tanh): (e²ˣ−1)/(e²ˣ+1), exact enough for |x| ≥ 1e-8 (see expm1) and x itself
// below; |x| ≥ 20 rounds to ±1 in float32.
func tanh(x float64) float64 {
	switch {
	case x > 20:
		return 1
	case x < -20:
		return -1
	case x > -1e-8 && x < 1e-8:
		return x
	}
	e := math.Exp(2 * x)
	return (e - 1) / (e + 1)
}
