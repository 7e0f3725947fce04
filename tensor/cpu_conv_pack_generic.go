//go:build !amd64 || purego

package tensor

// useAVX512Pack is false: this build has no assembly packers.
var useAVX512Pack = false

func packRowsB32AVX512(dst *float32, kc int, x *float32, inSize int, ents *packEnt, np, ks, k int) {
	panic("tensor: packRowsB32AVX512 without assembly")
}

func packT32AVX512(dst *float32, x *float32, offs *int, masks *uint64, l int) {
	panic("tensor: packT32AVX512 without assembly")
}
