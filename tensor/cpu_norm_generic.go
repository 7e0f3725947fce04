//go:build !amd64 || purego

package tensor

// bnSumsAVX512 is never called in this build.
func bnSumsAVX512(s *float32, n int, k float64, out *[16]float64) {
	panic("tensor: bnSumsAVX512 without assembly")
}

// bnGradSumsAVX512 is never called in this build.
func bnGradSumsAVX512(dy, x *float32, n int, m float64, out *[16]float64) {
	panic("tensor: bnGradSumsAVX512 without assembly")
}

// bnNormAVX512 is never called in this build.
func bnNormAVX512(d, s *float32, n int, m, a, o float64) {
	panic("tensor: bnNormAVX512 without assembly")
}

// bnBackwardAVX512 is never called in this build.
func bnBackwardAVX512(d, dy, x *float32, n int, m, k, a, rb float64) {
	panic("tensor: bnBackwardAVX512 without assembly")
}
