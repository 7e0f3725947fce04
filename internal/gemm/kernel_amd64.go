//go:build !purego

package gemm

import (
	"fmt"

	"golang.org/x/sys/cpu"
)

// kernels lists the micro-kernels this machine can run, fastest first.
var kernels = amd64Kernels()

func amd64Kernels() []*kernel {
	var ks []*kernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, &kernel{name: "avx512", mr: 14, nr: 32, kc: 256, mc: 336, nc: 4096, fn: kernelAVX512})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, &kernel{name: "avx2", mr: 6, nr: 16, kc: 256, mc: 144, nc: 4096, fn: kernelAVX2})
	}
	return append(ks, generic)
}

// sgemmKernel14x32 computes the 14×32 tile at c (row stride ldc elements) from kc steps
// of packed a (14 per step) and b (32 per step); acc ≠ 0 adds to c instead of storing.
//
//go:noescape
func sgemmKernel14x32(kc int, a, b, c *float32, ldc int, acc int)

// sgemmKernel6x16 is the AVX2+FMA 6×16 counterpart of sgemmKernel14x32.
//
//go:noescape
func sgemmKernel6x16(kc int, a, b, c *float32, ldc int, acc int)

func kernelAVX512(kc int, a, b, c []float32, ldc int, acc bool) {
	checkTile(kc, a, b, c, ldc, 14, 32)
	sgemmKernel14x32(kc, &a[0], &b[0], &c[0], ldc, b2i(acc))
}

func kernelAVX2(kc int, a, b, c []float32, ldc int, acc bool) {
	checkTile(kc, a, b, c, ldc, 6, 16)
	sgemmKernel6x16(kc, &a[0], &b[0], &c[0], ldc, b2i(acc))
}

// checkTile guards the assembly kernels against reading or writing out of bounds.
func checkTile(kc int, a, b, c []float32, ldc, mr, nr int) {
	if kc < 1 || len(a) < kc*mr || len(b) < kc*nr || ldc < nr || len(c) < (mr-1)*ldc+nr {
		panic(fmt.Sprintf("gemm: kernel %dx%d: kc=%d len(a)=%d len(b)=%d len(c)=%d ldc=%d", mr, nr, kc, len(a), len(b), len(c), ldc))
	}
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}
