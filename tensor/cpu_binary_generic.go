//go:build !amd64 || purego

package tensor

// useAVX512Binary is false: this build has no assembly loops.
const useAVX512Binary = false

func binaryVVAVX512(op int, d, a, b *float32, n int) {
	panic("tensor: binaryVVAVX512 without assembly")
}

func binaryVSAVX512(op int, d, a *float32, y float32, n int) {
	panic("tensor: binaryVSAVX512 without assembly")
}
