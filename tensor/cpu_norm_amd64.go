//go:build !purego

package tensor

// bnSumsAVX512 sets out[0:8] to lane sums of s[i]−k and out[8:16] to lane sums of
// (s[i]−k)² over i < n (a multiple of 8), in float64.
//
//go:noescape
func bnSumsAVX512(s *float32, n int, k float64, out *[16]float64)

// bnGradSumsAVX512 sets out[0:8] to lane sums of dy[i] and out[8:16] to lane sums of
// dy[i]·(x[i]−m) over i < n (a multiple of 8), in float64.
//
//go:noescape
func bnGradSumsAVX512(dy, x *float32, n int, m float64, out *[16]float64)

// bnNormAVX512 sets d[i] = float32((s[i]−m)·a + o) for i < n (a multiple of 8).
//
//go:noescape
func bnNormAVX512(d, s *float32, n int, m, a, o float64)

// bnBackwardAVX512 sets d[i] = float32(k·(dy[i] − a − (x[i]−m)·rb)) for i < n (a
// multiple of 8).
//
//go:noescape
func bnBackwardAVX512(d, dy, x *float32, n int, m, k, a, rb float64)
