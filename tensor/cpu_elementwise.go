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

// expChunk is the block of the exp-based kernels: eˣ of a block goes to a stack buffer
// (vectorised), then a scalar loop combines it.
const expChunk = 512

// tinyELUBits is the bit pattern of float32(1e-7): below it in magnitude, ELU uses
// eˣ−1 = x(1+x/2) instead of the float64 eˣ−1.
const tinyELUBits = 0x33d6bf95

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
		expSlice(d, s, 1, 0, 0)
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
		eluForward(d, s, alpha)
	case GELU:
		geluSlice(d, s, nil)
	case Sigmoid:
		var tmp [expChunk]float32
		for lo := 0; lo < len(d); lo += expChunk {
			dd, ss := d[lo:min(lo+expChunk, len(d))], s[lo:]
			t := tmp[:len(dd)]
			expSlice(t, ss, -1, 0, 0) // e⁻ˣ
			for i, e := range t {
				dd[i] = float32(1 / (1 + expUnder(e, -float64(ss[i]))))
			}
		}
	case Tanh:
		for i, v := range s {
			d[i] = float32(tanhF(float64(v)))
		}
	case SiLU:
		i := 0
		if useAVX512Math && len(d) >= 8 {
			i = len(d) &^ 7
			siluAVX512(&d[0], &s[0], nil, i, &fastMathConsts[0])
		}
		d, s = d[i:], s[i:]
		var tmp [expChunk]float32
		for lo := 0; lo < len(d); lo += expChunk {
			dd, ss := d[lo:min(lo+expChunk, len(d))], s[lo:]
			t := tmp[:len(dd)]
			expSlice(t, ss, -1, 0, 0) // e⁻ˣ
			for i, e := range t {
				if e > math.MaxFloat32 || e < 0x1p-126 { // e⁻ˣ out of float32's normal range
					v := float64(ss[i])
					dd[i] = float32(v / (1 + expF(-v)))
					continue
				}
				dd[i] = ss[i] / (1 + e)
			}
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
		eluBackward(d, g, x, float64(alpha))
	case GELU:
		geluSlice(d, x, g)
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
		i := 0
		if useAVX512Math && n >= 8 {
			i = n &^ 7
			siluAVX512(&d[0], &x[0], &g[0], i, &fastMathConsts[0])
		}
		d, g, x, n = d[i:], g[i:], x[i:], n-i
		var tmp [expChunk]float32
		for lo := 0; lo < n; lo += expChunk {
			hi := min(lo+expChunk, n)
			dd, gg, xx := d[lo:hi], g[lo:hi], x[lo:hi]
			t := tmp[:len(dd)]
			expSlice(t, xx, -1, 0, 0) // e⁻ˣ
			for i, e := range t {
				v := float64(xx[i])
				ef := expUnder(e, -v)
				s := 1 / (1 + ef)
				dd[i] = float32(float64(gg[i]) * s * (1 + v*ef*s)) // 1−s = e⁻ˣ·s
			}
		}
	case Sign:
		clear(d)
	}
}

// eluForward sets d[i] = s[i] where s[i] > 0, else α·(e^s[i] − 1) (NaN for a NaN s[i]):
// one fused AVX-512 pass (rounded once from float64) when the CPU has it, the two-pass
// eluForwardTwoPass for the rest. len(s) ≥ len(d).
func eluForward(d, s []float32, alpha float32) {
	n := len(d)
	s = s[:n]
	i := 0
	if useAVX512Math && n >= 8 {
		i = n &^ 7
		eluForwardAVX512(&d[0], &s[0], i, float64(alpha), &fastMathConsts[0])
	}
	eluForwardTwoPass(d[i:], s[i:], alpha)
}

// eluForwardTwoPass is eluForward without the fused kernel: eˣ−1 of a block by
// expSlice, then a scalar select. len(s) ≥ len(d).
func eluForwardTwoPass(d, s []float32, alpha float32) {
	var tmp [expChunk]float32
	for lo := 0; lo < len(d); lo += expChunk {
		dd, ss := d[lo:min(lo+expChunk, len(d))], s[lo:]
		t := tmp[:len(dd)]
		expSlice(t, ss, 1, 0, 1) // eˣ−1 (+Inf or garbage where unused)
		for i, v := range ss[:len(dd)] {
			e := alpha * t[i] // NaN for NaN
			// Rare (one compare on the bits, well predicted): −1e-7 < v ≤ −0, where
			// eˣ−1 = x(1+x/2) to float32 precision.
			if math.Float32bits(v)-0x80000000 < tinyELUBits {
				e = alpha * (v + 0.5*v*v)
			}
			m := positiveMask(v) // branch-free select: v > 0 ? v : e
			dd[i] = math.Float32frombits(math.Float32bits(v)&m | math.Float32bits(e)&^m)
		}
	}
}

// eluBackward sets d[i] = g[i] where x[i] > 0, else g[i]·α·e^x[i] (rounded once from
// float64; NaN for a NaN x[i]): one fused AVX-512 pass when the CPU has it.
func eluBackward(d, g, x []float32, a float64) {
	n := len(d)
	g, x = g[:n], x[:n]
	i := 0
	if useAVX512Math && n >= 8 {
		i = n &^ 7
		eluBackwardAVX512(&d[0], &g[0], &x[0], i, a, &fastMathConsts[0])
	}
	for ; i < n; i++ {
		if v := x[i]; v > 0 {
			d[i] = g[i]
		} else {
			d[i] = float32(float64(g[i]) * a * expF(float64(v)))
		}
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

// expUnder returns e, a float32 eˣ from expSlice, in float64, recomputing eˣ in
// float64 where float32 lost it: overflow to +Inf or a subnormal.
func expUnder(e float32, x float64) float64 {
	if e > math.MaxFloat32 || e < 0x1p-126 {
		return expF(x)
	}
	return float64(e)
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
