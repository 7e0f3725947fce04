//go:build !purego

package tensor

import "golang.org/x/sys/cpu"

// useAVX512Math selects the AVX-512 kernels of cpu_unary_amd64.s.
var useAVX512Math = cpu.X86.HasAVX512F

// expAffineAVX512 sets d[i] = float32(e^(a·s[i]+b) − sub) for i < n (a multiple of 8);
// c is &fastMathConsts[0].
//
//go:noescape
func expAffineAVX512(d, s *float32, n int, a, b, sub float64, c *float64)

// geluAVX512 sets out[i] = x·Φ(x) (grad nil) or grad[i]·(Φ(x) + x·φ(x)), x = x[i], for i < n
// (a multiple of 8); c is &fastMathConsts[0].
//
//go:noescape
func geluAVX512(out, x, grad *float32, n int, c *float64)

// eluBackwardAVX512 sets d[i] = dy[i] where x[i] > 0, else float32(dy[i]·alpha·e^x[i]),
// for i < n (a multiple of 8); c is &fastMathConsts[0].
//
//go:noescape
func eluBackwardAVX512(d, dy, x *float32, n int, alpha float64, c *float64)

// eluForwardAVX512 sets d[i] = x[i] where x[i] > 0, else float32(alpha·(e^x[i] − 1)),
// for i < n (a multiple of 8); c is &fastMathConsts[0].
//
//go:noescape
func eluForwardAVX512(d, x *float32, n int, alpha float64, c *float64)

// siluAVX512 sets out[i] = x·σ(x) (grad nil) or grad[i]·σ(x)·(1 + x·(1 − σ(x))),
// x = x[i], for i < n (a multiple of 8); c is &fastMathConsts[0].
//
//go:noescape
func siluAVX512(out, x, grad *float32, n int, c *float64)
