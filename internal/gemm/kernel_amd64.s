//go:build !purego

#include "textflag.h"

// One k step of the 14×32 AVX-512 kernel for row r: broadcast a[r] into bc and
// accumulate bc·(Z28|Z29) into c0|c1.
#define ROW512(off, bc, c0, c1) \
	VBROADCASTSS off(SI), bc; \
	VFMADD231PS  bc, Z28, c0; \
	VFMADD231PS  bc, Z29, c1

#define STEP512(aoff, boff) \
	VMOVUPS boff(DI), Z28; \
	VMOVUPS boff+64(DI), Z29; \
	ROW512(aoff+0, Z30, Z0, Z1); \
	ROW512(aoff+4, Z31, Z2, Z3); \
	ROW512(aoff+8, Z30, Z4, Z5); \
	ROW512(aoff+12, Z31, Z6, Z7); \
	ROW512(aoff+16, Z30, Z8, Z9); \
	ROW512(aoff+20, Z31, Z10, Z11); \
	ROW512(aoff+24, Z30, Z12, Z13); \
	ROW512(aoff+28, Z31, Z14, Z15); \
	ROW512(aoff+32, Z30, Z16, Z17); \
	ROW512(aoff+36, Z31, Z18, Z19); \
	ROW512(aoff+40, Z30, Z20, Z21); \
	ROW512(aoff+44, Z31, Z22, Z23); \
	ROW512(aoff+48, Z30, Z24, Z25); \
	ROW512(aoff+52, Z31, Z26, Z27)

// Store one row of the tile: c[0:32] (+)= c0|c1, then advance DX by one row.
#define ADD512(c0, c1) \
	VADDPS  (DX), c0, c0; \
	VADDPS  64(DX), c1, c1; \
	VMOVUPS c0, (DX); \
	VMOVUPS c1, 64(DX); \
	ADDQ    BX, DX

#define PUT512(c0, c1) \
	VMOVUPS c0, (DX); \
	VMOVUPS c1, 64(DX); \
	ADDQ    BX, DX

// func sgemmKernel14x32(kc int, a, b, c *float32, ldc int, acc int)
TEXT ·sgemmKernel14x32(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), BX
	SHLQ $2, BX

	// Prefetch the C tile while the products are computed.
	MOVQ DX, R8
	MOVQ $14, R9
prefetch512:
	PREFETCHT0 (R8)
	PREFETCHT0 64(R8)
	ADDQ       BX, R8
	DECQ       R9
	JNZ        prefetch512

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27

	// Two k steps per iteration, then the odd one.
	MOVQ CX, R9
	SHRQ $1, R9
	JZ   tail512

loop512:
	STEP512(0, 0)
	STEP512(56, 128)
	ADDQ $112, SI
	ADDQ $256, DI
	DECQ R9
	JNZ  loop512

tail512:
	TESTQ $1, CX
	JZ    store512
	STEP512(0, 0)

store512:
	CMPQ acc+40(FP), $0
	JEQ  put512
	ADD512(Z0, Z1)
	ADD512(Z2, Z3)
	ADD512(Z4, Z5)
	ADD512(Z6, Z7)
	ADD512(Z8, Z9)
	ADD512(Z10, Z11)
	ADD512(Z12, Z13)
	ADD512(Z14, Z15)
	ADD512(Z16, Z17)
	ADD512(Z18, Z19)
	ADD512(Z20, Z21)
	ADD512(Z22, Z23)
	ADD512(Z24, Z25)
	ADD512(Z26, Z27)
	VZEROUPPER
	RET

put512:
	PUT512(Z0, Z1)
	PUT512(Z2, Z3)
	PUT512(Z4, Z5)
	PUT512(Z6, Z7)
	PUT512(Z8, Z9)
	PUT512(Z10, Z11)
	PUT512(Z12, Z13)
	PUT512(Z14, Z15)
	PUT512(Z16, Z17)
	PUT512(Z18, Z19)
	PUT512(Z20, Z21)
	PUT512(Z22, Z23)
	PUT512(Z24, Z25)
	PUT512(Z26, Z27)
	VZEROUPPER
	RET

// One k step of the 6×16 AVX2 kernel for row r.
#define ROW256(off, bc, c0, c1) \
	VBROADCASTSS off(SI), bc; \
	VFMADD231PS  bc, Y12, c0; \
	VFMADD231PS  bc, Y13, c1

#define STEP256(aoff, boff) \
	VMOVUPS boff(DI), Y12; \
	VMOVUPS boff+32(DI), Y13; \
	ROW256(aoff+0, Y14, Y0, Y1); \
	ROW256(aoff+4, Y15, Y2, Y3); \
	ROW256(aoff+8, Y14, Y4, Y5); \
	ROW256(aoff+12, Y15, Y6, Y7); \
	ROW256(aoff+16, Y14, Y8, Y9); \
	ROW256(aoff+20, Y15, Y10, Y11)

#define ADD256(c0, c1) \
	VADDPS  (DX), c0, c0; \
	VADDPS  32(DX), c1, c1; \
	VMOVUPS c0, (DX); \
	VMOVUPS c1, 32(DX); \
	ADDQ    BX, DX

#define PUT256(c0, c1) \
	VMOVUPS c0, (DX); \
	VMOVUPS c1, 32(DX); \
	ADDQ    BX, DX

// func sgemmKernel6x16(kc int, a, b, c *float32, ldc int, acc int)
TEXT ·sgemmKernel6x16(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), BX
	SHLQ $2, BX

	MOVQ DX, R8
	MOVQ $6, R9
prefetch256:
	PREFETCHT0 (R8)
	PREFETCHT0 63(R8)
	ADDQ       BX, R8
	DECQ       R9
	JNZ        prefetch256

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	MOVQ CX, R9
	SHRQ $1, R9
	JZ   tail256

loop256:
	STEP256(0, 0)
	STEP256(24, 64)
	ADDQ $48, SI
	ADDQ $128, DI
	DECQ R9
	JNZ  loop256

tail256:
	TESTQ $1, CX
	JZ    store256
	STEP256(0, 0)

store256:
	CMPQ acc+40(FP), $0
	JEQ  put256
	ADD256(Y0, Y1)
	ADD256(Y2, Y3)
	ADD256(Y4, Y5)
	ADD256(Y6, Y7)
	ADD256(Y8, Y9)
	ADD256(Y10, Y11)
	VZEROUPPER
	RET

put256:
	PUT256(Y0, Y1)
	PUT256(Y2, Y3)
	PUT256(Y4, Y5)
	PUT256(Y6, Y7)
	PUT256(Y8, Y9)
	PUT256(Y10, Y11)
	VZEROUPPER
	RET
