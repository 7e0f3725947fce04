//go:build !amd64 || purego

package tensor

// useAVX512Math is false: this build has no assembly kernels.
const useAVX512Math = false

// expAffineAVX512 is never called in this build.
func expAffineAVX512(d, s *float32, n int, a, b, sub float64, c *float64) {
	panic("tensor: expAffineAVX512 without assembly")
}

// geluAVX512 is never called in this build.
func geluAVX512(out, x, grad *float32, n int, c *float64) {
	panic("tensor: geluAVX512 without assembly")
}

// eluBackwardAVX512 is never called in this build.
func eluBackwardAVX512(d, dy, x *float32, n int, alpha float64, c *float64) {
	panic("tensor: eluBackwardAVX512 without assembly")
}

// eluForwardAVX512 is never called in this build.
func eluForwardAVX512(d, x *float32, n int, alpha float64, c *float64) {
	panic("tensor: eluForwardAVX512 without assembly")
}

// siluAVX512 is never called in this build.
func siluAVX512(out, x, grad *float32, n int, c *float64) {
	panic("tensor: siluAVX512 without assembly")
}
