//go:build !purego

package tensor

import "golang.org/x/sys/cpu"

// dwDotAvailable reports whether the dot-product filter-gradient kernels can run here.
var dwDotAvailable = cpu.X86.HasAVX512F

// dwDot2x9AVX512 adds to dw[c·ldw + 3·ky + kx] (c < 2, ky, kx < 3) the sums over rows
// output rows and w positions t (w a positive multiple of 16) of
// dy[c·lddy + row·w + t] · x[rowBase[row] + rowOff[ky] + kx + t]: the filter gradient
// of one 3×3 tap window for two output channels (strides in elements).
//
//go:noescape
func dwDot2x9AVX512(dw *float32, ldw int, dy *float32, lddy int, x *float32, rowOff *[3]int, rowBase *int, rows, w int)

// dwDot3x9AVX512 is dwDot2x9AVX512 for three output channels (c < 3).
//
//go:noescape
func dwDot3x9AVX512(dw *float32, ldw int, dy *float32, lddy int, x *float32, rowOff *[3]int, rowBase *int, rows, w int)
