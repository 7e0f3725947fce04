package tensor

import "math"

// Fast scalar transcendental functions for the float32 kernels. They compute in
// float64 with branch-light polynomials (no table, no call into package math), so a
// float32 result rounded from them is within 2e-7 relative of the exact value (the
// unit test sweeps the float32 range against package math in float64). They are 2–5×
// faster than math.Exp / math.Erf, which carry full float64 accuracy we do not need.

const (
	expLog2e   = 1.4426950408889634         // 1/ln 2
	expLn2Hi   = 6.93147180369123816490e-01 // ln 2, high part (exact multiples)
	expLn2Lo   = 1.90821492927058770002e-10 // ln 2 − expLn2Hi
	expShifter = 0x1.8p52                   // adding it rounds to an integer in the low mantissa bits
	// Inputs are clamped to [expMin, expMax]: e^−200 and e^200 are far outside float32's
	// range (sigmoid(−200) still rounds to 0), and 2^k stays a normal float64.
	expMin = -200.0
	expMax = 200.0
)

// expF returns eˣ with a relative error below 1e-14 for x in [expMin, expMax]; x is
// clamped to that range (so the result is meant for rounding to float32) and NaN
// propagates. e^x = 2^k·e^r with k = round(x/ln 2), |r| ≤ ln2/2, e^r by its Taylor
// polynomial of degree 11 in Estrin form (truncation error < 1e-14).
func expF(x float64) float64 {
	if x < expMin { // comparisons with NaN are false: NaN propagates
		x = expMin
	} else if x > expMax {
		x = expMax
	}
	t := x*expLog2e + expShifter
	k := int64(int32(uint32(math.Float64bits(t))))
	kf := t - expShifter
	r := x - kf*expLn2Hi - kf*expLn2Lo
	r2 := r * r
	r4 := r2 * r2
	p01 := 1 + r
	p23 := 1.0/2 + r*(1.0/6)
	p45 := 1.0/24 + r*(1.0/120)
	p67 := 1.0/720 + r*(1.0/5040)
	p89 := 1.0/40320 + r*(1.0/362880)
	p1011 := 1.0/3628800 + r*(1.0/39916800)
	q0 := p01 + r2*p23
	q1 := p45 + r2*p67
	q2 := p89 + r2*p1011
	p := q0 + r4*(q1+r4*q2)
	return p * math.Float64frombits(uint64(k+1023)<<52)
}

// expm1Neg returns eˣ−1 for x ≤ 0 to float32 accuracy: expF's 1e-14 relative error
// costs at most 1e-14/|x| after the cancellation, below 1e-7 for |x| ≥ 1e-7; below
// that eˣ−1 = x·(1 + x/2) to float32 precision.
func expm1Neg(x float64) float64 {
	if x > -1e-7 {
		return x + 0.5*x*x
	}
	return expF(x) - 1
}

// tanhF returns tanh x to float32 accuracy: sign(x)·(1−e)/(1+e) with e = e^(−2|x|)
// (see expm1Neg for the cancellation), x itself for |x| < 1e-7 (tanh x = x(1 − x²/3)).
func tanhF(x float64) float64 {
	a := math.Abs(x)
	if a < 1e-7 {
		return x
	}
	e := expF(-2 * a)
	return math.Copysign((1-e)/(1+e), x)
}

// sigmoidF returns 1/(1+e⁻ˣ) to float32 accuracy (no cancellation: e⁻ˣ > 0).
func sigmoidF(x float64) float64 { return 1 / (1 + expF(-x)) }

// erfcxTauLo is the smallest τ = 2/(2+a) of [erfcPos]: a ≤ 11, where x·Φ(x) and
// x·φ(x) (x = −a√2 ≈ −15.6) are far below float32's smallest subnormal.
const erfcxTauLo = 2.0 / 13

// erfcxPoly holds the monomial coefficients, in u = (τ−2/13)·26/11 − 1 ∈ [−1, 1], of a
// degree-12 Chebyshev least-squares fit of erfc(a)·e^(a²)/τ, τ = 2/(2+a), a ∈ [0, 11]
// (relative error 3.3e-10; fitted in float64 against Python's math.erfc).
var erfcxPoly = [13]float64{
	0.567017294764686, 0.3280580411789003, 0.1049006026607309, 0.006636759201069848,
	-0.006488965241481772, -0.0007257387732998514, 0.0006530269504044118, 8.455450419178974e-06,
	-7.680275057716527e-05, 1.2884311604377559e-05, 7.030899556525434e-06, -2.3344317602985627e-06,
	-2.543088676470586e-07,
}

// erfcPos returns erfc(a) for a ≥ 0 given e = e^(−a²) (callers reuse it for the
// normal density), with a relative error below 1e-9; 0 for a > 11.
func erfcPos(a, e float64) float64 {
	if a > 11 {
		return 0
	}
	tau := 2 / (2 + a)
	u := (tau-erfcxTauLo)*(26.0/11) - 1
	c := &erfcxPoly
	u2 := u * u
	u4 := u2 * u2
	u8 := u4 * u4
	p01 := c[0] + u*c[1]
	p23 := c[2] + u*c[3]
	p45 := c[4] + u*c[5]
	p67 := c[6] + u*c[7]
	p89 := c[8] + u*c[9]
	p1011 := c[10] + u*c[11]
	lo := (p01 + u2*p23) + u4*(p45+u2*p67)
	hi := (p89 + u2*p1011) + u4*c[12]
	return tau * e * (lo + u8*hi)
}

// geluF returns x·Φ(x) (Φ the standard normal CDF: GELU's erf form) and, when
// derivative is wanted, Φ(x) + x·φ(x). Φ(x) = erfc(−x/√2)/2, computed from erfc of
// |x|/√2 so that the negative tail keeps its relative accuracy.
func geluF(x float64) (y, dydx float64) {
	const invSqrt2 = 0.7071067811865476
	const invSqrt2Pi = 0.3989422804014327 // 1/√(2π)
	a := math.Abs(x) * invSqrt2
	a2 := a * a
	e := expF(-a2) // e^(−x²/2)
	half := 0.5 * erfcPos(a, e)
	cdf := half
	if x > 0 {
		cdf = 1 - half
	}
	return x * cdf, cdf + x*invSqrt2Pi*e
}

// fastMathConsts is the constant table of the assembly kernels (cpu_unary_amd64.s),
// indexed as they read it: 0 expMin, 1 1/ln 2, 2 ln2Hi, 3 ln2Lo, 4–13 the Taylor
// coefficients 1/k! of e^r for k = 2…11, 14 one, 15 zero, 16 the float64 abs mask,
// 17 1/√2, 18 two, 19 the erfc cut-off 11, 20–21 the scale and offset of u, 22–34 the
// erfcxPoly coefficients halved, 35 1/√(2π), 36 expMax.
var fastMathConsts = func() [37]float64 {
	var c [37]float64
	c[0], c[1], c[2], c[3] = expMin, expLog2e, expLn2Hi, expLn2Lo
	f := 1.0
	for k := 2; k <= 11; k++ {
		f *= float64(k)
		c[k+2] = 1 / f
	}
	c[14], c[15], c[16] = 1, 0, math.Float64frombits(1<<63-1)
	c[17], c[18], c[19] = 0.7071067811865476, 2, 11
	c[20], c[21] = 26.0/11, -erfcxTauLo*(26.0/11)-1
	for i, v := range erfcxPoly {
		c[22+i] = v / 2
	}
	c[35], c[36] = 0.3989422804014327, expMax
	return c
}()

// expSlice sets d[i] = float32(e^(a·s[i]+b) − sub), with a relative error of
// e^(a·s[i]+b) below 1e-14 before the subtraction and the rounding (AVX-512 when the
// CPU has it, 8 values at a time; expF otherwise). len(s) ≥ len(d).
func expSlice(d, s []float32, a, b, sub float64) {
	n := len(d)
	s = s[:n]
	i := 0
	if useAVX512Math && n >= 8 {
		i = n &^ 7
		expAffineAVX512(&d[0], &s[0], i, a, b, sub, &fastMathConsts[0])
	}
	for ; i < n; i++ {
		d[i] = float32(expF(a*float64(s[i])+b) - sub)
	}
}

// geluSlice sets out[i] = x[i]·Φ(x[i]) when g is nil, else out[i] =
// g[i]·(Φ(x[i]) + x[i]·φ(x[i])) (GELU's derivative times the incoming gradient), as
// geluF computes them (AVX-512 when the CPU has it).
func geluSlice(out, x, g []float32) {
	n := len(out)
	x = x[:n]
	if g != nil {
		g = g[:n]
	}
	i := 0
	if useAVX512Math && n >= 8 {
		i = n &^ 7
		var gp *float32
		if g != nil {
			gp = &g[0]
		}
		geluAVX512(&out[0], &x[0], gp, i, &fastMathConsts[0])
	}
	for ; i < n; i++ {
		y, dydx := geluF(float64(x[i]))
		if g == nil {
			out[i] = float32(y)
		} else {
			out[i] = float32(float64(g[i]) * dydx)
		}
	}
}
