//go:build !purego

#include "textflag.h"

// HSUMADD adds the sum of Z's 16 lanes (Y is Z's lower half) to the float32 at M, with
// Z30 and Z31 as scratch.
#define HSUMADD(Z, Y, M) \
	VEXTRACTF64X4 $1, Z, Y30; \
	VADDPS Y30, Y, Y30; \
	VEXTRACTF32X4 $1, Y30, X31; \
	VADDPS X31, X30, X30; \
	VPERMILPS $0x4E, X30, X31; \
	VADDPS X31, X30, X30; \
	VPERMILPS $0xB1, X30, X31; \
	VADDPS X31, X30, X30; \
	VADDSS M, X30, X30; \
	VMOVSS X30, M

// DOTARGS loads the arguments shared by both kernels: SI = dy, R8 = lddy in bytes,
// R12 = x, R13–R15 = the tap rows' offsets in bytes, BX = rowBase, CX = rows, DI = w.
#define DOTARGS \
	MOVQ dy+16(FP), SI; \
	MOVQ lddy+24(FP), R8; \
	SHLQ $2, R8; \
	MOVQ x+32(FP), R12; \
	MOVQ rowOff+40(FP), AX; \
	MOVQ 0(AX), R13; \
	SHLQ $2, R13; \
	MOVQ 8(AX), R14; \
	SHLQ $2, R14; \
	MOVQ 16(AX), R15; \
	SHLQ $2, R15; \
	MOVQ rowBase+48(FP), BX; \
	MOVQ rows+56(FP), CX; \
	MOVQ w+64(FP), DI

// DOTROW points R9–R11 at the three tap rows of the output row at BX and DX at its width.
#define DOTROW \
	MOVQ (BX), AX; \
	SHLQ $2, AX; \
	ADDQ R12, AX; \
	LEAQ (AX)(R13*1), R9; \
	LEAQ (AX)(R14*1), R10; \
	LEAQ (AX)(R15*1), R11; \
	MOVQ DI, DX

// DOTNEXT moves every pointer 16 positions on and counts them off DX.
#define DOTNEXT \
	ADDQ $64, SI; \
	ADDQ $64, R9; \
	ADDQ $64, R10; \
	ADDQ $64, R11; \
	SUBQ $16, DX

// ZERO9 clears nine accumulators.
#define ZERO9(a, b, c, d, e, f, g, h, i) \
	VXORPS a, a, a; \
	VXORPS b, b, b; \
	VXORPS c, c, c; \
	VXORPS d, d, d; \
	VXORPS e, e, e; \
	VXORPS f, f, f; \
	VXORPS g, g, g; \
	VXORPS h, h, h; \
	VXORPS i, i, i

// The dot-product filter-gradient kernels (cpu_conv_dwdot.go): dwDot{N}x9AVX512 keeps
// N·9 accumulators, Z(9c + 3ky + kx) for dy row c and tap (ky, kx), each summing 16
// positions per lane; R9–R11 walk the three tap rows (kx is the displacement 0, 4, 8
// bytes), SI walks dy (rows are contiguous), BX the row bases. The sums are reduced
// across lanes at the end and added to dw. Three rows per call load 12 vectors per 27
// FMAs (two rows: 11 per 18; the split loads of the unaligned taps make loads the
// limit), so callers take dy rows three at a time and pairs for the rest.

// func dwDot2x9AVX512(dw *float32, ldw int, dy *float32, lddy int, x *float32, rowOff *[3]int, rowBase *int, rows, w int)
TEXT ·dwDot2x9AVX512(SB), NOSPLIT, $0-72
	DOTARGS
	ZERO9(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8)
	ZERO9(Z9, Z10, Z11, Z12, Z13, Z14, Z15, Z16, Z17)
	TESTQ CX, CX
	JLE   dot2_reduce
	TESTQ DI, DI
	JLE   dot2_reduce

dot2_row:
	DOTROW

dot2_step:
	VMOVUPS (SI), Z18
	VMOVUPS (SI)(R8*1), Z19
	VMOVUPS (R9), Z20
	VFMADD231PS Z20, Z18, Z0
	VFMADD231PS Z20, Z19, Z9
	VMOVUPS 4(R9), Z21
	VFMADD231PS Z21, Z18, Z1
	VFMADD231PS Z21, Z19, Z10
	VMOVUPS 8(R9), Z22
	VFMADD231PS Z22, Z18, Z2
	VFMADD231PS Z22, Z19, Z11
	VMOVUPS (R10), Z20
	VFMADD231PS Z20, Z18, Z3
	VFMADD231PS Z20, Z19, Z12
	VMOVUPS 4(R10), Z21
	VFMADD231PS Z21, Z18, Z4
	VFMADD231PS Z21, Z19, Z13
	VMOVUPS 8(R10), Z22
	VFMADD231PS Z22, Z18, Z5
	VFMADD231PS Z22, Z19, Z14
	VMOVUPS (R11), Z20
	VFMADD231PS Z20, Z18, Z6
	VFMADD231PS Z20, Z19, Z15
	VMOVUPS 4(R11), Z21
	VFMADD231PS Z21, Z18, Z7
	VFMADD231PS Z21, Z19, Z16
	VMOVUPS 8(R11), Z22
	VFMADD231PS Z22, Z18, Z8
	VFMADD231PS Z22, Z19, Z17
	DOTNEXT
	JGT  dot2_step
	ADDQ $8, BX
	DECQ CX
	JNZ  dot2_row

dot2_reduce:
	MOVQ dw+0(FP), DI
	MOVQ ldw+8(FP), R8
	SHLQ $2, R8
	HSUMADD(Z0, Y0, 0(DI))
	HSUMADD(Z1, Y1, 4(DI))
	HSUMADD(Z2, Y2, 8(DI))
	HSUMADD(Z3, Y3, 12(DI))
	HSUMADD(Z4, Y4, 16(DI))
	HSUMADD(Z5, Y5, 20(DI))
	HSUMADD(Z6, Y6, 24(DI))
	HSUMADD(Z7, Y7, 28(DI))
	HSUMADD(Z8, Y8, 32(DI))
	ADDQ R8, DI
	HSUMADD(Z9, Y9, 0(DI))
	HSUMADD(Z10, Y10, 4(DI))
	HSUMADD(Z11, Y11, 8(DI))
	HSUMADD(Z12, Y12, 12(DI))
	HSUMADD(Z13, Y13, 16(DI))
	HSUMADD(Z14, Y14, 20(DI))
	HSUMADD(Z15, Y15, 24(DI))
	HSUMADD(Z16, Y16, 28(DI))
	HSUMADD(Z17, Y17, 32(DI))
	VZEROUPPER
	RET

// func dwDot3x9AVX512(dw *float32, ldw int, dy *float32, lddy int, x *float32, rowOff *[3]int, rowBase *int, rows, w int)
TEXT ·dwDot3x9AVX512(SB), NOSPLIT, $0-72
	DOTARGS
	ZERO9(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8)
	ZERO9(Z9, Z10, Z11, Z12, Z13, Z14, Z15, Z16, Z17)
	ZERO9(Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26)
	TESTQ CX, CX
	JLE   dot3_reduce
	TESTQ DI, DI
	JLE   dot3_reduce

dot3_row:
	DOTROW

dot3_step:
	VMOVUPS (SI), Z27
	VMOVUPS (SI)(R8*1), Z28
	VMOVUPS (SI)(R8*2), Z29
	VMOVUPS (R9), Z30
	VFMADD231PS Z30, Z27, Z0
	VFMADD231PS Z30, Z28, Z9
	VFMADD231PS Z30, Z29, Z18
	VMOVUPS 4(R9), Z31
	VFMADD231PS Z31, Z27, Z1
	VFMADD231PS Z31, Z28, Z10
	VFMADD231PS Z31, Z29, Z19
	VMOVUPS 8(R9), Z30
	VFMADD231PS Z30, Z27, Z2
	VFMADD231PS Z30, Z28, Z11
	VFMADD231PS Z30, Z29, Z20
	VMOVUPS (R10), Z31
	VFMADD231PS Z31, Z27, Z3
	VFMADD231PS Z31, Z28, Z12
	VFMADD231PS Z31, Z29, Z21
	VMOVUPS 4(R10), Z30
	VFMADD231PS Z30, Z27, Z4
	VFMADD231PS Z30, Z28, Z13
	VFMADD231PS Z30, Z29, Z22
	VMOVUPS 8(R10), Z31
	VFMADD231PS Z31, Z27, Z5
	VFMADD231PS Z31, Z28, Z14
	VFMADD231PS Z31, Z29, Z23
	VMOVUPS (R11), Z30
	VFMADD231PS Z30, Z27, Z6
	VFMADD231PS Z30, Z28, Z15
	VFMADD231PS Z30, Z29, Z24
	VMOVUPS 4(R11), Z31
	VFMADD231PS Z31, Z27, Z7
	VFMADD231PS Z31, Z28, Z16
	VFMADD231PS Z31, Z29, Z25
	VMOVUPS 8(R11), Z30
	VFMADD231PS Z30, Z27, Z8
	VFMADD231PS Z30, Z28, Z17
	VFMADD231PS Z30, Z29, Z26
	DOTNEXT
	JGT  dot3_step
	ADDQ $8, BX
	DECQ CX
	JNZ  dot3_row

dot3_reduce:
	MOVQ dw+0(FP), DI
	MOVQ ldw+8(FP), R8
	SHLQ $2, R8
	HSUMADD(Z0, Y0, 0(DI))
	HSUMADD(Z1, Y1, 4(DI))
	HSUMADD(Z2, Y2, 8(DI))
	HSUMADD(Z3, Y3, 12(DI))
	HSUMADD(Z4, Y4, 16(DI))
	HSUMADD(Z5, Y5, 20(DI))
	HSUMADD(Z6, Y6, 24(DI))
	HSUMADD(Z7, Y7, 28(DI))
	HSUMADD(Z8, Y8, 32(DI))
	ADDQ R8, DI
	HSUMADD(Z9, Y9, 0(DI))
	HSUMADD(Z10, Y10, 4(DI))
	HSUMADD(Z11, Y11, 8(DI))
	HSUMADD(Z12, Y12, 12(DI))
	HSUMADD(Z13, Y13, 16(DI))
	HSUMADD(Z14, Y14, 20(DI))
	HSUMADD(Z15, Y15, 24(DI))
	HSUMADD(Z16, Y16, 28(DI))
	HSUMADD(Z17, Y17, 32(DI))
	ADDQ R8, DI
	HSUMADD(Z18, Y18, 0(DI))
	HSUMADD(Z19, Y19, 4(DI))
	HSUMADD(Z20, Y20, 8(DI))
	HSUMADD(Z21, Y21, 12(DI))
	HSUMADD(Z22, Y22, 16(DI))
	HSUMADD(Z23, Y23, 20(DI))
	HSUMADD(Z24, Y24, 24(DI))
	HSUMADD(Z25, Y25, 28(DI))
	HSUMADD(Z26, Y26, 32(DI))
	VZEROUPPER
	RET
