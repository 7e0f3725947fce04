//go:build !purego

#include "textflag.h"

// Micro-kernels for sgemmKernel14x32 (AVX-512) and sgemmKernel6x16 (AVX2+FMA).
// Accumulators: Z0–Z27 (row r in Z2r|Z2r+1) or Y0–Y11. B rows: Z28|Z29 or Y12|Y13.
// Broadcasts of A alternate between Z30/Z31 or Y14/Y15. DI walks the packed B strip,
// SI the A strip, DX the rows of C (BX = ldc in bytes), CX counts the k steps.

// One k step for row r: broadcast A[r, p] into bc and accumulate bc·B into c0|c1.
#define ROW512(addr, bc, c0, c1) \
	VBROADCASTSS addr, bc; \
	VFMADD231PS  bc, Z28, c0; \
	VFMADD231PS  bc, Z29, c1

#define ROW256(addr, bc, c0, c1) \
	VBROADCASTSS addr, bc; \
	VFMADD231PS  bc, Y12, c0; \
	VFMADD231PS  bc, Y13, c1

// One k step of a packed A strip at byte offset aoff of SI and of B at boff of DI.
#define STEP512P(aoff, boff) \
	VMOVUPS boff(DI), Z28; \
	VMOVUPS boff+64(DI), Z29; \
	ROW512(aoff+0(SI), Z30, Z0, Z1); \
	ROW512(aoff+4(SI), Z31, Z2, Z3); \
	ROW512(aoff+8(SI), Z30, Z4, Z5); \
	ROW512(aoff+12(SI), Z31, Z6, Z7); \
	ROW512(aoff+16(SI), Z30, Z8, Z9); \
	ROW512(aoff+20(SI), Z31, Z10, Z11); \
	ROW512(aoff+24(SI), Z30, Z12, Z13); \
	ROW512(aoff+28(SI), Z31, Z14, Z15); \
	ROW512(aoff+32(SI), Z30, Z16, Z17); \
	ROW512(aoff+36(SI), Z31, Z18, Z19); \
	ROW512(aoff+40(SI), Z30, Z20, Z21); \
	ROW512(aoff+44(SI), Z31, Z22, Z23); \
	ROW512(aoff+48(SI), Z30, Z24, Z25); \
	ROW512(aoff+52(SI), Z31, Z26, Z27)

#define STEP256P(aoff, boff) \
	VMOVUPS boff(DI), Y12; \
	VMOVUPS boff+32(DI), Y13; \
	ROW256(aoff+0(SI), Y14, Y0, Y1); \
	ROW256(aoff+4(SI), Y15, Y2, Y3); \
	ROW256(aoff+8(SI), Y14, Y4, Y5); \
	ROW256(aoff+12(SI), Y15, Y6, Y7); \
	ROW256(aoff+16(SI), Y14, Y8, Y9); \
	ROW256(aoff+20(SI), Y15, Y10, Y11)

// One k step of a strided A strip (see the _strided blocks below).
#define STEP512S \
	VMOVUPS (DI), Z28; \
	VMOVUPS 64(DI), Z29; \
	ROW512((SI), Z30, Z0, Z1); \
	ROW512((SI)(R8*1), Z31, Z2, Z3); \
	ROW512((SI)(R8*2), Z30, Z4, Z5); \
	ROW512((SI)(R9*1), Z31, Z6, Z7); \
	ROW512((SI)(R8*4), Z30, Z8, Z9); \
	ROW512((R10), Z31, Z10, Z11); \
	ROW512((R10)(R8*1), Z30, Z12, Z13); \
	ROW512((R10)(R8*2), Z31, Z14, Z15); \
	ROW512((R10)(R9*1), Z30, Z16, Z17); \
	ROW512((R10)(R8*4), Z31, Z18, Z19); \
	ROW512((R11), Z30, Z20, Z21); \
	ROW512((R11)(R8*1), Z31, Z22, Z23); \
	ROW512((R11)(R8*2), Z30, Z24, Z25); \
	ROW512((R11)(R9*1), Z31, Z26, Z27)

#define STEP256S \
	VMOVUPS (DI), Y12; \
	VMOVUPS 32(DI), Y13; \
	ROW256((SI), Y14, Y0, Y1); \
	ROW256((SI)(R8*1), Y15, Y2, Y3); \
	ROW256((SI)(R8*2), Y14, Y4, Y5); \
	ROW256((SI)(R9*1), Y15, Y6, Y7); \
	ROW256((SI)(R8*4), Y14, Y8, Y9); \
	ROW256((R10), Y15, Y10, Y11)

#define ZERO512 \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7; \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	VPXORD Z20, Z20, Z20; \
	VPXORD Z21, Z21, Z21; \
	VPXORD Z22, Z22, Z22; \
	VPXORD Z23, Z23, Z23; \
	VPXORD Z24, Z24, Z24; \
	VPXORD Z25, Z25, Z25; \
	VPXORD Z26, Z26, Z26; \
	VPXORD Z27, Z27, Z27

#define ZERO256 \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	VXORPS Y8, Y8, Y8; \
	VXORPS Y9, Y9, Y9; \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11

// Store one row: c = alpha·(c0|c1) + c (ADD) or alpha·(c0|c1) (PUT), then next row.
// alpha is in Z30 / Y14.
#define ADD512(c0, c1) \
	VMOVUPS     (DX), Z28; \
	VMOVUPS     64(DX), Z29; \
	VFMADD231PS Z30, c0, Z28; \
	VFMADD231PS Z30, c1, Z29; \
	VMOVUPS     Z28, (DX); \
	VMOVUPS     Z29, 64(DX); \
	ADDQ        BX, DX

#define PUT512(c0, c1) \
	VMULPS  Z30, c0, c0; \
	VMULPS  Z30, c1, c1; \
	VMOVUPS c0, (DX); \
	VMOVUPS c1, 64(DX); \
	ADDQ    BX, DX

#define ADD256(c0, c1) \
	VMOVUPS     (DX), Y12; \
	VMOVUPS     32(DX), Y13; \
	VFMADD231PS Y14, c0, Y12; \
	VFMADD231PS Y14, c1, Y13; \
	VMOVUPS     Y12, (DX); \
	VMOVUPS     Y13, 32(DX); \
	ADDQ        BX, DX

#define PUT256(c0, c1) \
	VMULPS  Y14, c0, c0; \
	VMULPS  Y14, c1, c1; \
	VMOVUPS c0, (DX); \
	VMOVUPS c1, 32(DX); \
	ADDQ    BX, DX

#define ADDALL512 \
	ADD512(Z0, Z1); \
	ADD512(Z2, Z3); \
	ADD512(Z4, Z5); \
	ADD512(Z6, Z7); \
	ADD512(Z8, Z9); \
	ADD512(Z10, Z11); \
	ADD512(Z12, Z13); \
	ADD512(Z14, Z15); \
	ADD512(Z16, Z17); \
	ADD512(Z18, Z19); \
	ADD512(Z20, Z21); \
	ADD512(Z22, Z23); \
	ADD512(Z24, Z25); \
	ADD512(Z26, Z27)

#define PUTALL512 \
	PUT512(Z0, Z1); \
	PUT512(Z2, Z3); \
	PUT512(Z4, Z5); \
	PUT512(Z6, Z7); \
	PUT512(Z8, Z9); \
	PUT512(Z10, Z11); \
	PUT512(Z12, Z13); \
	PUT512(Z14, Z15); \
	PUT512(Z16, Z17); \
	PUT512(Z18, Z19); \
	PUT512(Z20, Z21); \
	PUT512(Z22, Z23); \
	PUT512(Z24, Z25); \
	PUT512(Z26, Z27)

#define ADDALL256 \
	ADD256(Y0, Y1); \
	ADD256(Y2, Y3); \
	ADD256(Y4, Y5); \
	ADD256(Y6, Y7); \
	ADD256(Y8, Y9); \
	ADD256(Y10, Y11)

#define PUTALL256 \
	PUT256(Y0, Y1); \
	PUT256(Y2, Y3); \
	PUT256(Y4, Y5); \
	PUT256(Y6, Y7); \
	PUT256(Y8, Y9); \
	PUT256(Y10, Y11)

// The first 4 or 8 rows' accumulators (Z0–Z7, Z0–Z15) of the edge and rows kernels:
// zeroing, and storing them to C (see PUT512 / ADD512).
#define ZERO512x4 \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7

#define ZERO512x8 \
	ZERO512x4; \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15

#define PUT512x4 \
	PUT512(Z0, Z1); \
	PUT512(Z2, Z3); \
	PUT512(Z4, Z5); \
	PUT512(Z6, Z7)

#define PUT512x8 \
	PUT512x4; \
	PUT512(Z8, Z9); \
	PUT512(Z10, Z11); \
	PUT512(Z12, Z13); \
	PUT512(Z14, Z15)

#define ADD512x4 \
	ADD512(Z0, Z1); \
	ADD512(Z2, Z3); \
	ADD512(Z4, Z5); \
	ADD512(Z6, Z7)

#define ADD512x8 \
	ADD512x4; \
	ADD512(Z8, Z9); \
	ADD512(Z10, Z11); \
	ADD512(Z12, Z13); \
	ADD512(Z14, Z15)

// func sgemmKernel14x32(kc int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32, acc int)
TEXT ·sgemmKernel14x32(SB), NOSPLIT, $0-72
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rs+16(FP), R8
	MOVQ cs+24(FP), R12
	MOVQ b+32(FP), DI
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), BX
	SHLQ $2, BX

	// Prefetch the C tile while the products are computed.
	MOVQ DX, R13
	MOVQ $14, AX
sgemmKernel14x32_prefetch:
	PREFETCHT0 (R13)
	PREFETCHT0 64(R13)
	PREFETCHT0 127(R13)
	ADDQ       BX, R13
	DECQ       AX
	JNZ        sgemmKernel14x32_prefetch

	ZERO512
	CMPQ R8, $1
	JNE  sgemmKernel14x32_strided
	CMPQ R12, $14
	JNE  sgemmKernel14x32_strided

	// Packed A strip: two k steps per iteration (a longer loop body runs slower),
	// then the odd one.
	MOVQ CX, R9
	SHRQ $1, R9
	JZ   sgemmKernel14x32_tail
sgemmKernel14x32_loop2:
	STEP512P(0, 0)
	STEP512P(56, 128)
	ADDQ $112, SI
	ADDQ $256, DI
	DECQ R9
	JNZ  sgemmKernel14x32_loop2
sgemmKernel14x32_tail:
	ANDQ $1, CX
	JZ   sgemmKernel14x32_store
sgemmKernel14x32_loop1:
	STEP512P(0, 0)
	ADDQ $56, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  sgemmKernel14x32_loop1
	JMP  sgemmKernel14x32_store

	// Any A strides: rows at SI + r·rs addressed from SI, R10 = SI + 5·rs and
	// R11 = SI + 10·rs with R8 = rs, R9 = 3·rs (bytes); R12 = cs (bytes). Step p+16
	// of a transposed A (its mr values are contiguous) is prefetched, as A read in
	// place may stream from memory with a stride the hardware prefetchers miss.
sgemmKernel14x32_strided:
	SHLQ $2, R8
	SHLQ $2, R12
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10
	ADDQ R8, R10
	LEAQ (R10)(R8*4), R11
	ADDQ R8, R11
	MOVQ R12, R13
	SHLQ $4, R13 // prefetch distance: 16 steps
	TESTQ CX, CX
	JEQ   sgemmKernel14x32_store
sgemmKernel14x32_loops:
	PREFETCHT0 (SI)(R13*1)
	PREFETCHT0 52(SI)(R13*1)
	STEP512S
	ADDQ R12, SI
	ADDQ R12, R10
	ADDQ R12, R11
	ADDQ $128, DI
	DECQ CX
	JNZ  sgemmKernel14x32_loops

sgemmKernel14x32_store:
	VBROADCASTSS alpha+56(FP), Z30
	CMPQ         acc+64(FP), $0
	JEQ          sgemmKernel14x32_put
	ADDALL512
	VZEROUPPER
	RET
sgemmKernel14x32_put:
	PUTALL512
	VZEROUPPER
	RET

// func sgemmKernel6x16(kc int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32, acc int)
TEXT ·sgemmKernel6x16(SB), NOSPLIT, $0-72
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rs+16(FP), R8
	MOVQ cs+24(FP), R12
	MOVQ b+32(FP), DI
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), BX
	SHLQ $2, BX

	// Prefetch the C tile while the products are computed.
	MOVQ DX, R13
	MOVQ $6, AX
sgemmKernel6x16_prefetch:
	PREFETCHT0 (R13)
	PREFETCHT0 63(R13)
	ADDQ       BX, R13
	DECQ       AX
	JNZ        sgemmKernel6x16_prefetch

	ZERO256
	CMPQ R8, $1
	JNE  sgemmKernel6x16_strided
	CMPQ R12, $6
	JNE  sgemmKernel6x16_strided

	// Packed A strip: four k steps per iteration, then one at a time.
	MOVQ CX, R9
	SHRQ $2, R9
	JZ   sgemmKernel6x16_tail
sgemmKernel6x16_loop4:
	STEP256P(0, 0)
	STEP256P(24, 64)
	STEP256P(48, 128)
	STEP256P(72, 192)
	ADDQ $96, SI
	ADDQ $256, DI
	DECQ R9
	JNZ  sgemmKernel6x16_loop4
sgemmKernel6x16_tail:
	ANDQ $3, CX
	JZ   sgemmKernel6x16_store
sgemmKernel6x16_loop1:
	STEP256P(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  sgemmKernel6x16_loop1
	JMP  sgemmKernel6x16_store

	// Any A strides: rows at SI + r·rs addressed from SI, R10 = SI + 5·rs and
	// R11 = SI + 10·rs with R8 = rs, R9 = 3·rs (bytes); R12 = cs (bytes). Step p+16
	// of a transposed A (its mr values are contiguous) is prefetched, as A read in
	// place may stream from memory with a stride the hardware prefetchers miss.
sgemmKernel6x16_strided:
	SHLQ $2, R8
	SHLQ $2, R12
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10
	ADDQ R8, R10
	LEAQ (R10)(R8*4), R11
	ADDQ R8, R11
	MOVQ R12, R13
	SHLQ $4, R13 // prefetch distance: 16 steps
	TESTQ CX, CX
	JEQ   sgemmKernel6x16_store
sgemmKernel6x16_loops:
	PREFETCHT0 (SI)(R13*1)
	PREFETCHT0 20(SI)(R13*1)
	STEP256S
	ADDQ R12, SI
	ADDQ R12, R10
	ADDQ R12, R11
	ADDQ $64, DI
	DECQ CX
	JNZ  sgemmKernel6x16_loops

sgemmKernel6x16_store:
	VBROADCASTSS alpha+56(FP), Y14
	CMPQ         acc+64(FP), $0
	JEQ          sgemmKernel6x16_put
	ADDALL256
	VZEROUPPER
	RET
sgemmKernel6x16_put:
	PUTALL256
	VZEROUPPER
	RET

// func sgemmSmallAVX512(m, n, k int, a *float32, rs, cs int, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)
//
// C[m×n] = alpha·A·B + beta·C for n ≤ 32 without packing: one row of C at a time in
// Z0|Z1 (even k steps) and Z2|Z3 (odd k steps), B rows loaded under the masks K1|K2.
// A[i, p] is at a + i·rs + p·cs; beta = 0 never reads C.
TEXT ·sgemmSmallAVX512(SB), NOSPLIT, $0-88
	MOVQ  n+8(FP), CX
	MOVQ  $1, AX
	SHLQ  CX, AX
	DECQ  AX
	KMOVW AX, K1
	SHRQ  $16, AX
	KMOVW AX, K2
	MOVQ  m+0(FP), R9
	MOVQ  k+16(FP), R10
	MOVQ  a+24(FP), SI
	MOVQ  rs+32(FP), R11
	SHLQ  $2, R11
	MOVQ  cs+40(FP), R12
	SHLQ  $2, R12
	MOVQ  b+48(FP), R8
	MOVQ  ldb+56(FP), R13
	SHLQ  $2, R13
	MOVQ  c+64(FP), DX
	MOVQ  ldc+72(FP), BX
	SHLQ  $2, BX
	VBROADCASTSS alpha+80(FP), Z30
	VBROADCASTSS beta+84(FP), Z31
	MOVL  beta+84(FP), AX
	ANDL  $0x7fffffff, AX

small_row:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ   SI, DI
	MOVQ   R8, R14
	MOVQ   R10, CX
	SHRQ   $1, CX
	JZ     small_odd

small_loop2:
	VBROADCASTSS (DI), Z4
	VMOVUPS.Z    (R14), K1, Z5
	VMOVUPS.Z    64(R14), K2, Z6
	VFMADD231PS  Z4, Z5, Z0
	VFMADD231PS  Z4, Z6, Z1
	ADDQ         R12, DI
	ADDQ         R13, R14
	VBROADCASTSS (DI), Z7
	VMOVUPS.Z    (R14), K1, Z8
	VMOVUPS.Z    64(R14), K2, Z9
	VFMADD231PS  Z7, Z8, Z2
	VFMADD231PS  Z7, Z9, Z3
	ADDQ         R12, DI
	ADDQ         R13, R14
	DECQ         CX
	JNZ          small_loop2

small_odd:
	TESTQ $1, R10
	JZ    small_done
	VBROADCASTSS (DI), Z4
	VMOVUPS.Z    (R14), K1, Z5
	VMOVUPS.Z    64(R14), K2, Z6
	VFMADD231PS  Z4, Z5, Z0
	VFMADD231PS  Z4, Z6, Z1

small_done:
	VADDPS Z2, Z0, Z0
	VADDPS Z3, Z1, Z1
	VMULPS Z30, Z0, Z0
	VMULPS Z30, Z1, Z1
	TESTL  AX, AX
	JZ     small_store
	VMOVUPS.Z   (DX), K1, Z5
	VMOVUPS.Z   64(DX), K2, Z6
	VFMADD231PS Z31, Z5, Z0
	VFMADD231PS Z31, Z6, Z1

small_store:
	VMOVUPS Z0, K1, (DX)
	VMOVUPS Z1, K2, 64(DX)
	ADDQ    R11, SI
	ADDQ    BX, DX
	DECQ    R9
	JNZ     small_row
	VZEROUPPER
	RET

// func packStrips32AVX512(dst, src *float32, kc, strips, ldb int)
//
// For p < kc and t < strips: dst[(t·kc + p)·32 : +32] = src[p·ldb + t·32 : +32].
TEXT ·packStrips32AVX512(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ kc+16(FP), CX
	MOVQ strips+24(FP), R8
	MOVQ ldb+32(FP), R9
	SHLQ $2, R9
	MOVQ CX, R10
	SHLQ $7, R10 // bytes from one strip to the next in dst

pack_row:
	MOVQ SI, R11
	MOVQ DI, R12
	MOVQ R8, AX

pack_strip:
	VMOVUPS (R11), Z0
	VMOVUPS 64(R11), Z1
	VMOVUPS Z0, (R12)
	VMOVUPS Z1, 64(R12)
	ADDQ    $128, R11
	ADDQ    R10, R12
	DECQ    AX
	JNZ     pack_strip
	ADDQ    R9, SI
	ADDQ    $128, DI
	DECQ    CX
	JNZ     pack_row
	VZEROUPPER
	RET

// func sgemmKernel4x32(kc int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32, acc int)
//
// The 4×32 edge kernel for the last, partial strip of rows: c = alpha·A·B (acc = 0,
// c not read) or c += alpha·A·B (acc ≠ 0) with A's element (r, p) at a + (r·rs + p·cs)·4
// bytes, kc ≥ 1.
TEXT ·sgemmKernel4x32(SB), NOSPLIT, $0-72
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rs+16(FP), R8
	MOVQ cs+24(FP), R12
	MOVQ b+32(FP), DI
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), BX
	SHLQ $2, BX
	SHLQ $2, R8
	SHLQ $2, R12
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10
	ADDQ R8, R10
	ZERO512x4

sgemmKernel4x32_loop:
	VMOVUPS (DI), Z28
	VMOVUPS 64(DI), Z29
	ROW512((SI), Z30, Z0, Z1)
	ROW512((SI)(R8*1), Z31, Z2, Z3)
	ROW512((SI)(R8*2), Z30, Z4, Z5)
	ROW512((SI)(R9*1), Z31, Z6, Z7)
	ADDQ R12, SI
	ADDQ R12, R10
	ADDQ $128, DI
	DECQ CX
	JNZ  sgemmKernel4x32_loop

	VBROADCASTSS alpha+56(FP), Z30
	CMPQ         acc+64(FP), $0
	JEQ          sgemmKernel4x32_put
	ADD512x4
	VZEROUPPER
	RET
sgemmKernel4x32_put:
	PUT512x4
	VZEROUPPER
	RET

// func sgemmKernel8x32(kc int, a *float32, rs, cs int, b, c *float32, ldc int, alpha float32, acc int)
//
// The 8×32 edge kernel for the last, partial strip of rows: c = alpha·A·B (acc = 0,
// c not read) or c += alpha·A·B (acc ≠ 0) with A's element (r, p) at a + (r·rs + p·cs)·4
// bytes, kc ≥ 1.
TEXT ·sgemmKernel8x32(SB), NOSPLIT, $0-72
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rs+16(FP), R8
	MOVQ cs+24(FP), R12
	MOVQ b+32(FP), DI
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), BX
	SHLQ $2, BX
	SHLQ $2, R8
	SHLQ $2, R12
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R10
	ADDQ R8, R10
	ZERO512x8

sgemmKernel8x32_loop:
	VMOVUPS (DI), Z28
	VMOVUPS 64(DI), Z29
	ROW512((SI), Z30, Z0, Z1)
	ROW512((SI)(R8*1), Z31, Z2, Z3)
	ROW512((SI)(R8*2), Z30, Z4, Z5)
	ROW512((SI)(R9*1), Z31, Z6, Z7)
	ROW512((SI)(R8*4), Z30, Z8, Z9)
	ROW512((R10), Z31, Z10, Z11)
	ROW512((R10)(R8*1), Z30, Z12, Z13)
	ROW512((R10)(R8*2), Z31, Z14, Z15)
	ADDQ R12, SI
	ADDQ R12, R10
	ADDQ $128, DI
	DECQ CX
	JNZ  sgemmKernel8x32_loop

	VBROADCASTSS alpha+56(FP), Z30
	CMPQ         acc+64(FP), $0
	JEQ          sgemmKernel8x32_put
	ADD512x8
	VZEROUPPER
	RET
sgemmKernel8x32_put:
	PUT512x8
	VZEROUPPER
	RET

// Rows kernels: the B strip is read in place, not packed: step p's 32 values are at
// x + offs[p]·4 bytes (offs: int elements). There is no software prefetch: it took
// load slots that the unaligned rows need (RCAN 1283–1306 → 1241–1265 ms without).
// A is a packed strip (row r of step p at a + (p·cs + r)·4 bytes). c = alpha·A·B
// (acc = 0) or c += alpha·A·B. R11 = x, R13 walks offs, R14 is the step's offset,
// R12 = cs in bytes.
#define ROWSB \
	MOVQ       (R13), R14; \
	VMOVUPS    (R11)(R14*4), Z28; \
	VMOVUPS    64(R11)(R14*4), Z29; \
	ADDQ       $8, R13

// ROWSA4 and ROWSA8: one step of the rows kernels for the first 4 or 8 rows of a packed
// A strip at SI (B in Z28|Z29).
#define ROWSA4 \
	ROW512(0(SI), Z30, Z0, Z1); \
	ROW512(4(SI), Z31, Z2, Z3); \
	ROW512(8(SI), Z30, Z4, Z5); \
	ROW512(12(SI), Z31, Z6, Z7)

#define ROWSA8 \
	ROWSA4; \
	ROW512(16(SI), Z30, Z8, Z9); \
	ROW512(20(SI), Z31, Z10, Z11); \
	ROW512(24(SI), Z30, Z12, Z13); \
	ROW512(28(SI), Z31, Z14, Z15)

// func sgemmKernelRows14x32(kc int, a *float32, cs int, x *float32, offs *int, c *float32, ldc int, alpha float32, acc int)
TEXT ·sgemmKernelRows14x32(SB), NOSPLIT, $0-72
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ cs+16(FP), R12
	SHLQ $2, R12
	MOVQ x+24(FP), R11
	MOVQ offs+32(FP), R13
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), BX
	SHLQ $2, BX
	ZERO512
sgemmKernelRows14x32_loop:
	ROWSB
	ROWSA8
	ROW512(32(SI), Z30, Z16, Z17)
	ROW512(36(SI), Z31, Z18, Z19)
	ROW512(40(SI), Z30, Z20, Z21)
	ROW512(44(SI), Z31, Z22, Z23)
	ROW512(48(SI), Z30, Z24, Z25)
	ROW512(52(SI), Z31, Z26, Z27)
	ADDQ R12, SI
	DECQ CX
	JNZ  sgemmKernelRows14x32_loop

	VBROADCASTSS alpha+56(FP), Z30
	CMPQ         acc+64(FP), $0
	JEQ          sgemmKernelRows14x32_put
	ADDALL512
	VZEROUPPER
	RET
sgemmKernelRows14x32_put:
	PUTALL512
	VZEROUPPER
	RET

// func sgemmKernelRows8x32(kc int, a *float32, cs int, x *float32, offs *int, c *float32, ldc int, alpha float32, acc int)
TEXT ·sgemmKernelRows8x32(SB), NOSPLIT, $0-72
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ cs+16(FP), R12
	SHLQ $2, R12
	MOVQ x+24(FP), R11
	MOVQ offs+32(FP), R13
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), BX
	SHLQ $2, BX
	ZERO512x8
sgemmKernelRows8x32_loop:
	ROWSB
	ROWSA8
	ADDQ R12, SI
	DECQ CX
	JNZ  sgemmKernelRows8x32_loop

	VBROADCASTSS alpha+56(FP), Z30
	CMPQ         acc+64(FP), $0
	JEQ          sgemmKernelRows8x32_put
	ADD512x8
	VZEROUPPER
	RET
sgemmKernelRows8x32_put:
	PUT512x8
	VZEROUPPER
	RET

// func sgemmKernelRows4x32(kc int, a *float32, cs int, x *float32, offs *int, c *float32, ldc int, alpha float32, acc int)
TEXT ·sgemmKernelRows4x32(SB), NOSPLIT, $0-72
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ cs+16(FP), R12
	SHLQ $2, R12
	MOVQ x+24(FP), R11
	MOVQ offs+32(FP), R13
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), BX
	SHLQ $2, BX
	ZERO512x4
sgemmKernelRows4x32_loop:
	ROWSB
	ROWSA4
	ADDQ R12, SI
	DECQ CX
	JNZ  sgemmKernelRows4x32_loop

	VBROADCASTSS alpha+56(FP), Z30
	CMPQ         acc+64(FP), $0
	JEQ          sgemmKernelRows4x32_put
	ADD512x4
	VZEROUPPER
	RET
sgemmKernelRows4x32_put:
	PUT512x4
	VZEROUPPER
	RET
