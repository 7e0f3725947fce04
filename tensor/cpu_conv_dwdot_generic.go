//go:build !amd64 || purego

package tensor

// dwDotAvailable is false: this build has no dot-product kernels.
const dwDotAvailable = false

func dwDot2x9AVX512(dw *float32, ldw int, dy *float32, lddy int, x *float32, rowOff *[3]int, rowBase *int, rows, w int) {
	panic("tensor: dwDot2x9AVX512 without assembly")
}

func dwDot3x9AVX512(dw *float32, ldw int, dy *float32, lddy int, x *float32, rowOff *[3]int, rowBase *int, rows, w int) {
	panic("tensor: dwDot3x9AVX512 without assembly")
}

func winoGradOutAVX512(m *float32, mxi, mco int, dy *float32, ldy, yco, ncout, ngroups int) {
	panic("tensor: winoGradOutAVX512 without assembly")
}

func transpose16AVX512(dst *float32, ldd int, src *float32, lds int) {
	panic("tensor: transpose16AVX512 without assembly")
}
