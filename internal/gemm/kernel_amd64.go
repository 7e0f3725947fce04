//go:build !purego

package gemm

import (
	"fmt"

	"golang.org/x/sys/cpu"
)

// kernels lists the micro-kernels this machine can run, fastest first.
var kernels = amd64Kernels()

func init() {
	if cpu.X86.HasAVX512F {
		rowsKernels = &[3]rowsKernel{sgemmKernelRows14x32, sgemmKernelRows8x32, sgemmKernelRows4x32}
	}
}

// sgemmKernelRows14x32, sgemmKernelRows8x32 and sgemmKernelRows4x32 are the AVX-512
// kernels of SgemmRowsSerial (see rowsKernel): B rows read in place at x + offs[p].
//
//go:noescape
func sgemmKernelRows14x32(kc int, a *float32, cs int, x *float32, offs *int, c *float32, ldc int, alpha float32, acc int)

//go:noescape
func sgemmKernelRows8x32(kc int, a *float32, cs int, x *float32, offs *int, c *float32, ldc int, alpha float32, acc int)

//go:noescape
func sgemmKernelRows4x32(kc int, a *float32, cs int, x *float32, offs *int, c *float32, ldc int, alpha float32, acc int)

// amd64Kernels picks the kernels the CPU supports. Block sizes were tuned on a
// Sapphire Rapids core (48 KiB L1d, 2 MiB L2).
func amd64Kernels() []*kernel {
	var ks []*kernel
	if cpu.X86.HasAVX512F {
		packStrips32 = packStrips32Asm
		ks = append(ks, &kernel{
			name: "avx512", mr: 14, nr: 32, kc: 384, mc: 336, nc: 4096,
			strided: true, directN: 256, fn: kernelAVX512, small: smallAVX512,
			edges: []edgeKernel{{4, edgeAVX512(sgemmKernel4x32)}, {8, edgeAVX512(sgemmKernel8x32)}},
		})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, &kernel{
			name: "avx2", mr: 6, nr: 16, kc: 384, mc: 144, nc: 4096,
			strided: true, directN: 256, fn: kernelAVX2,
		})
	}
	return append(ks, generic)
}

// sgemmKernel14x32 computes the 14×32 tile at c (row stride ldc elements) as alpha
// times kc steps of A (element (r, p) at a[r·rs + p·cs]) by packed b (32 per step),
// added to c when acc ≠ 0.
//
//go:noescape
func sgemmKernel14x32(kc int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32, acc int)

// sgemmKernel6x16 is the AVX2+FMA 6×16 counterpart of sgemmKernel14x32.
//
//go:noescape
func sgemmKernel6x16(kc int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32, acc int)

func kernelAVX512(kc int, a []float32, rs, cs int, b, c []float32, ldc int, alpha float32, acc bool) {
	checkTile(kc, a, rs, cs, b, c, ldc, 14, 32)
	sgemmKernel14x32(kc, &a[0], rs, cs, &b[0], &c[0], ldc, alpha, b2i(acc))
}

func kernelAVX2(kc int, a []float32, rs, cs int, b, c []float32, ldc int, alpha float32, acc bool) {
	checkTile(kc, a, rs, cs, b, c, ldc, 6, 16)
	sgemmKernel6x16(kc, &a[0], rs, cs, &b[0], &c[0], ldc, alpha, b2i(acc))
}

// checkTile guards the assembly kernels against reading or writing out of bounds.
func checkTile(kc int, a []float32, rs, cs int, b, c []float32, ldc, mr, nr int) {
	if kc < 1 || rs < 0 || cs < 0 || len(a) < (mr-1)*rs+(kc-1)*cs+1 || len(b) < kc*nr || ldc < nr || len(c) < (mr-1)*ldc+nr {
		panic(fmt.Sprintf("gemm: kernel %dx%d: kc=%d rs=%d cs=%d len(a)=%d len(b)=%d len(c)=%d ldc=%d", mr, nr, kc, rs, cs, len(a), len(b), len(c), ldc))
	}
}

// sgemmSmallAVX512 computes C[m×n] = alpha·A·B + beta·C for 1 ≤ n ≤ 32 straight from
// A (element (i, p) at a[i·rs + p·cs]) and row-major B, one row of C at a time.
//
//go:noescape
func sgemmSmallAVX512(m, n, k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

func smallAVX512(m, n, k int, a []float32, rs, cs int, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	if m < 1 || n < 1 || n > 32 || k < 1 || rs < 0 || cs < 0 || ldb < 0 || ldc < n ||
		len(a) < (m-1)*rs+(k-1)*cs+1 || len(b) < (k-1)*ldb+n || len(c) < (m-1)*ldc+n {
		panic(fmt.Sprintf("gemm: small kernel: m=%d n=%d k=%d rs=%d cs=%d ldb=%d ldc=%d len(a)=%d len(b)=%d len(c)=%d", m, n, k, rs, cs, ldb, ldc, len(a), len(b), len(c)))
	}
	sgemmSmallAVX512(m, n, k, &a[0], rs, cs, &b[0], ldb, &c[0], ldc, alpha, beta)
}

// packStrips32AVX512 copies strips 32-wide strips of kc rows of B (row stride ldb) into
// packed panels; see packStrips32.
//
//go:noescape
func packStrips32AVX512(dst, src *float32, kc, strips, ldb int)

func packStrips32Asm(dst, src []float32, kc, strips, ldb int) {
	if kc < 1 || strips < 1 {
		return
	}
	if len(dst) < strips*kc*32 || len(src) < (kc-1)*ldb+strips*32 {
		panic(fmt.Sprintf("gemm: packStrips32: kc=%d strips=%d ldb=%d len(dst)=%d len(src)=%d", kc, strips, ldb, len(dst), len(src)))
	}
	packStrips32AVX512(&dst[0], &src[0], kc, strips, ldb)
}

// sgemmKernel4x32 and sgemmKernel8x32 are AVX-512 kernels for a partial last strip of
// 1–4 or 5–8 rows: c (row stride ldc) = alpha times kc ≥ 1 steps of A (element (r, p)
// at a[r·rs + p·cs]) by packed b (32 per step), or c += that when acc ≠ 0.
//
//go:noescape
func sgemmKernel4x32(kc int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32, acc int)

//go:noescape
func sgemmKernel8x32(kc int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32, acc int)

// edgeAVX512 wraps an edge kernel with the bounds checks of checkTile.
func edgeAVX512(f func(kc int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32, acc int)) func(kc, mr int, a []float32, rs, cs int, b, c []float32, ldc int, alpha float32, acc bool) {
	return func(kc, mr int, a []float32, rs, cs int, b, c []float32, ldc int, alpha float32, acc bool) {
		checkTile(kc, a, rs, cs, b, c, ldc, mr, 32)
		f(kc, &a[0], rs, cs, &b[0], &c[0], ldc, alpha, b2i(acc))
	}
}
