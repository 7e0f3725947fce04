//go:build !purego

#include "textflag.h"
#include "transpose16_amd64.h"

// Winograd F(2×2, 3×3) transforms for cpu_conv_winograd.go, 16 tiles (one per lane)
// at a time; see winoInputAVX512 and winoOutputAVX512 there.

// Lane k takes element 2k (evens) or 2k+1 (odds) of a pair of vectors; the interleaves
// put lane k of the first vector at 2k and of the second at 2k+1 (lo: k < 8, hi: k ≥ 8).
DATA winoIdx<>+0(SB)/4, $0
DATA winoIdx<>+4(SB)/4, $2
DATA winoIdx<>+8(SB)/4, $4
DATA winoIdx<>+12(SB)/4, $6
DATA winoIdx<>+16(SB)/4, $8
DATA winoIdx<>+20(SB)/4, $10
DATA winoIdx<>+24(SB)/4, $12
DATA winoIdx<>+28(SB)/4, $14
DATA winoIdx<>+32(SB)/4, $16
DATA winoIdx<>+36(SB)/4, $18
DATA winoIdx<>+40(SB)/4, $20
DATA winoIdx<>+44(SB)/4, $22
DATA winoIdx<>+48(SB)/4, $24
DATA winoIdx<>+52(SB)/4, $26
DATA winoIdx<>+56(SB)/4, $28
DATA winoIdx<>+60(SB)/4, $30
DATA winoIdx<>+64(SB)/4, $1
DATA winoIdx<>+68(SB)/4, $3
DATA winoIdx<>+72(SB)/4, $5
DATA winoIdx<>+76(SB)/4, $7
DATA winoIdx<>+80(SB)/4, $9
DATA winoIdx<>+84(SB)/4, $11
DATA winoIdx<>+88(SB)/4, $13
DATA winoIdx<>+92(SB)/4, $15
DATA winoIdx<>+96(SB)/4, $17
DATA winoIdx<>+100(SB)/4, $19
DATA winoIdx<>+104(SB)/4, $21
DATA winoIdx<>+108(SB)/4, $23
DATA winoIdx<>+112(SB)/4, $25
DATA winoIdx<>+116(SB)/4, $27
DATA winoIdx<>+120(SB)/4, $29
DATA winoIdx<>+124(SB)/4, $31
DATA winoIdx<>+128(SB)/4, $0
DATA winoIdx<>+132(SB)/4, $16
DATA winoIdx<>+136(SB)/4, $1
DATA winoIdx<>+140(SB)/4, $17
DATA winoIdx<>+144(SB)/4, $2
DATA winoIdx<>+148(SB)/4, $18
DATA winoIdx<>+152(SB)/4, $3
DATA winoIdx<>+156(SB)/4, $19
DATA winoIdx<>+160(SB)/4, $4
DATA winoIdx<>+164(SB)/4, $20
DATA winoIdx<>+168(SB)/4, $5
DATA winoIdx<>+172(SB)/4, $21
DATA winoIdx<>+176(SB)/4, $6
DATA winoIdx<>+180(SB)/4, $22
DATA winoIdx<>+184(SB)/4, $7
DATA winoIdx<>+188(SB)/4, $23
DATA winoIdx<>+192(SB)/4, $8
DATA winoIdx<>+196(SB)/4, $24
DATA winoIdx<>+200(SB)/4, $9
DATA winoIdx<>+204(SB)/4, $25
DATA winoIdx<>+208(SB)/4, $10
DATA winoIdx<>+212(SB)/4, $26
DATA winoIdx<>+216(SB)/4, $11
DATA winoIdx<>+220(SB)/4, $27
DATA winoIdx<>+224(SB)/4, $12
DATA winoIdx<>+228(SB)/4, $28
DATA winoIdx<>+232(SB)/4, $13
DATA winoIdx<>+236(SB)/4, $29
DATA winoIdx<>+240(SB)/4, $14
DATA winoIdx<>+244(SB)/4, $30
DATA winoIdx<>+248(SB)/4, $15
DATA winoIdx<>+252(SB)/4, $31
GLOBL winoIdx<>(SB), RODATA|NOPTR, $256

// BT4 applies Bᵀ of F(2, 3) to (a, b, c, d) in place: (a−c, b+c, c−b, b−d); t is scratch.
#define BT4(a, b, c, d, t) \
	VSUBPS c, a, a; \
	VSUBPS d, b, d; \
	VADDPS c, b, t; \
	VSUBPS b, c, c; \
	VMOVAPS t, b

// AT4 applies Aᵀ of F(2, 3) to (a, b, c, d): a = a+b+c, b = b−c−d (c, d unchanged).
#define AT4(a, b, c, d) \
	VADDPS b, a, a; \
	VADDPS c, a, a; \
	VSUBPS c, b, b; \
	VSUBPS d, b, b

// func winoInputAVX512(v *float32, vxi, vci int, x *float32, ldx, xci, nch int)
TEXT ·winoInputAVX512(SB), NOSPLIT, $0-56
	MOVQ v+0(FP), DI
	MOVQ vxi+8(FP), R8
	SHLQ $2, R8
	MOVQ vci+16(FP), R9
	SHLQ $2, R9
	MOVQ x+24(FP), SI
	MOVQ ldx+32(FP), R10
	SHLQ $2, R10
	MOVQ xci+40(FP), R11
	SHLQ $2, R11
	MOVQ nch+48(FP), CX
	TESTQ CX, CX
	JLE  winoin_done
	VMOVUPS winoIdx<>+0(SB), Z30
	VMOVUPS winoIdx<>+64(SB), Z31

winoin_loop:
	MOVQ SI, AX
	VMOVUPS (AX), Z16
	VMOVUPS 64(AX), Z17
	VMOVUPS 8(AX), Z18
	VMOVUPS 72(AX), Z19
	VMOVAPS Z30, Z0
	VPERMI2PS Z17, Z16, Z0
	VMOVAPS Z31, Z1
	VPERMI2PS Z17, Z16, Z1
	VMOVAPS Z30, Z2
	VPERMI2PS Z19, Z18, Z2
	VMOVAPS Z31, Z3
	VPERMI2PS Z19, Z18, Z3
	ADDQ R10, AX
	VMOVUPS (AX), Z16
	VMOVUPS 64(AX), Z17
	VMOVUPS 8(AX), Z18
	VMOVUPS 72(AX), Z19
	VMOVAPS Z30, Z4
	VPERMI2PS Z17, Z16, Z4
	VMOVAPS Z31, Z5
	VPERMI2PS Z17, Z16, Z5
	VMOVAPS Z30, Z6
	VPERMI2PS Z19, Z18, Z6
	VMOVAPS Z31, Z7
	VPERMI2PS Z19, Z18, Z7
	ADDQ R10, AX
	VMOVUPS (AX), Z16
	VMOVUPS 64(AX), Z17
	VMOVUPS 8(AX), Z18
	VMOVUPS 72(AX), Z19
	VMOVAPS Z30, Z8
	VPERMI2PS Z17, Z16, Z8
	VMOVAPS Z31, Z9
	VPERMI2PS Z17, Z16, Z9
	VMOVAPS Z30, Z10
	VPERMI2PS Z19, Z18, Z10
	VMOVAPS Z31, Z11
	VPERMI2PS Z19, Z18, Z11
	ADDQ R10, AX
	VMOVUPS (AX), Z16
	VMOVUPS 64(AX), Z17
	VMOVUPS 8(AX), Z18
	VMOVUPS 72(AX), Z19
	VMOVAPS Z30, Z12
	VPERMI2PS Z17, Z16, Z12
	VMOVAPS Z31, Z13
	VPERMI2PS Z17, Z16, Z13
	VMOVAPS Z30, Z14
	VPERMI2PS Z19, Z18, Z14
	VMOVAPS Z31, Z15
	VPERMI2PS Z19, Z18, Z15
	BT4(Z0, Z4, Z8, Z12, Z20)
	BT4(Z1, Z5, Z9, Z13, Z20)
	BT4(Z2, Z6, Z10, Z14, Z20)
	BT4(Z3, Z7, Z11, Z15, Z20)
	BT4(Z0, Z1, Z2, Z3, Z20)
	BT4(Z4, Z5, Z6, Z7, Z20)
	BT4(Z8, Z9, Z10, Z11, Z20)
	BT4(Z12, Z13, Z14, Z15, Z20)
	MOVQ DI, BX
	VMOVUPS Z0, (BX)
	ADDQ R8, BX
	VMOVUPS Z1, (BX)
	ADDQ R8, BX
	VMOVUPS Z2, (BX)
	ADDQ R8, BX
	VMOVUPS Z3, (BX)
	ADDQ R8, BX
	VMOVUPS Z4, (BX)
	ADDQ R8, BX
	VMOVUPS Z5, (BX)
	ADDQ R8, BX
	VMOVUPS Z6, (BX)
	ADDQ R8, BX
	VMOVUPS Z7, (BX)
	ADDQ R8, BX
	VMOVUPS Z8, (BX)
	ADDQ R8, BX
	VMOVUPS Z9, (BX)
	ADDQ R8, BX
	VMOVUPS Z10, (BX)
	ADDQ R8, BX
	VMOVUPS Z11, (BX)
	ADDQ R8, BX
	VMOVUPS Z12, (BX)
	ADDQ R8, BX
	VMOVUPS Z13, (BX)
	ADDQ R8, BX
	VMOVUPS Z14, (BX)
	ADDQ R8, BX
	VMOVUPS Z15, (BX)
	ADDQ R9, DI
	ADDQ R11, SI
	DECQ CX
	JNZ  winoin_loop

winoin_done:
	VZEROUPPER
	RET

// func winoOutputAVX512(y *float32, ldy, yco int, m *float32, mxi, mco, ncout, ngroups int, bias *float32, acc int)
// Channel loop (DI, SI: channel bases) around a loop over the ngroups groups of 16
// tiles (BX, R14: the group's outputs and M), so that each channel's rows are written
// front to back.
TEXT ·winoOutputAVX512(SB), NOSPLIT, $0-80
	MOVQ y+0(FP), DI
	MOVQ ldy+8(FP), R8
	SHLQ $2, R8
	MOVQ yco+16(FP), R9
	SHLQ $2, R9
	MOVQ m+24(FP), SI
	MOVQ mxi+32(FP), R10
	SHLQ $2, R10
	MOVQ mco+40(FP), R11
	SHLQ $2, R11
	MOVQ ncout+48(FP), CX
	MOVQ ngroups+56(FP), R13
	MOVQ bias+64(FP), DX
	MOVQ acc+72(FP), R12
	TESTQ CX, CX
	JLE  winoout_done
	TESTQ R13, R13
	JLE  winoout_done
	VMOVUPS winoIdx<>+128(SB), Z28
	VMOVUPS winoIdx<>+192(SB), Z29

winoout_channel:
	VXORPS Z21, Z21, Z21
	TESTQ DX, DX
	JEQ   winoout_nobias
	VBROADCASTSS (DX), Z21
	ADDQ $4, DX

winoout_nobias:
	MOVQ DI, BX
	MOVQ SI, R14
	MOVQ R13, R15

winoout_group:
	MOVQ R14, AX
	VMOVUPS (AX), Z0
	ADDQ R10, AX
	VMOVUPS (AX), Z1
	ADDQ R10, AX
	VMOVUPS (AX), Z2
	ADDQ R10, AX
	VMOVUPS (AX), Z3
	ADDQ R10, AX
	VMOVUPS (AX), Z4
	ADDQ R10, AX
	VMOVUPS (AX), Z5
	ADDQ R10, AX
	VMOVUPS (AX), Z6
	ADDQ R10, AX
	VMOVUPS (AX), Z7
	ADDQ R10, AX
	VMOVUPS (AX), Z8
	ADDQ R10, AX
	VMOVUPS (AX), Z9
	ADDQ R10, AX
	VMOVUPS (AX), Z10
	ADDQ R10, AX
	VMOVUPS (AX), Z11
	ADDQ R10, AX
	VMOVUPS (AX), Z12
	ADDQ R10, AX
	VMOVUPS (AX), Z13
	ADDQ R10, AX
	VMOVUPS (AX), Z14
	ADDQ R10, AX
	VMOVUPS (AX), Z15
	AT4(Z0, Z4, Z8, Z12)
	AT4(Z1, Z5, Z9, Z13)
	AT4(Z2, Z6, Z10, Z14)
	AT4(Z3, Z7, Z11, Z15)
	AT4(Z0, Z1, Z2, Z3)
	AT4(Z4, Z5, Z6, Z7)
	VADDPS Z21, Z0, Z0
	VADDPS Z21, Z1, Z1
	VADDPS Z21, Z4, Z4
	VADDPS Z21, Z5, Z5
	VMOVAPS Z28, Z16
	VPERMI2PS Z1, Z0, Z16
	VMOVAPS Z29, Z17
	VPERMI2PS Z1, Z0, Z17
	VMOVAPS Z28, Z18
	VPERMI2PS Z5, Z4, Z18
	VMOVAPS Z29, Z19
	VPERMI2PS Z5, Z4, Z19
	TESTQ R12, R12
	JEQ   winoout_store
	VADDPS (BX), Z16, Z16
	VADDPS 64(BX), Z17, Z17
	VADDPS (BX)(R8*1), Z18, Z18
	VADDPS 64(BX)(R8*1), Z19, Z19

winoout_store:
	VMOVUPS Z16, (BX)
	VMOVUPS Z17, 64(BX)
	VMOVUPS Z18, (BX)(R8*1)
	VMOVUPS Z19, 64(BX)(R8*1)
	ADDQ $128, BX
	ADDQ $64, R14
	DECQ R15
	JNZ  winoout_group
	ADDQ R9, DI
	ADDQ R11, SI
	DECQ CX
	JNZ  winoout_channel

winoout_done:
	VZEROUPPER
	RET

// func winoGradOutAVX512(m *float32, mxi, mco int, dy *float32, ldy, yco, ncout, ngroups int)
// The adjoint of winoOutputAVX512: dM = A·dY·Aᵀ for the 2×2 output gradients of
// ngroups groups of 16 horizontally adjacent tiles, per channel (channel loop around
// the group loop, as there). dY's rows are split into even (Z0, Z2) and odd (Z1, Z3)
// columns; t = A·dY is (d0, d0+d1, d0−d1, −d1) per column and dM = t·Aᵀ is
// (t0, t0+t1, t0−t1, −t1) per row.
TEXT ·winoGradOutAVX512(SB), NOSPLIT, $0-64
	MOVQ m+0(FP), DI
	MOVQ mxi+8(FP), R8
	SHLQ $2, R8
	MOVQ mco+16(FP), R9
	SHLQ $2, R9
	MOVQ dy+24(FP), SI
	MOVQ ldy+32(FP), R10
	SHLQ $2, R10
	MOVQ yco+40(FP), R11
	SHLQ $2, R11
	MOVQ ncout+48(FP), CX
	MOVQ ngroups+56(FP), R13
	TESTQ CX, CX
	JLE  winogo_done
	TESTQ R13, R13
	JLE  winogo_done
	VMOVUPS winoIdx<>+0(SB), Z30
	VMOVUPS winoIdx<>+64(SB), Z31
	VXORPS  Z29, Z29, Z29

winogo_channel:
	MOVQ SI, BX
	MOVQ DI, R14
	MOVQ R13, R15

winogo_group:
	VMOVUPS (BX), Z16
	VMOVUPS 64(BX), Z17
	VMOVUPS (BX)(R10*1), Z18
	VMOVUPS 64(BX)(R10*1), Z19
	VMOVAPS Z30, Z0
	VPERMI2PS Z17, Z16, Z0
	VMOVAPS Z31, Z1
	VPERMI2PS Z17, Z16, Z1
	VMOVAPS Z30, Z2
	VPERMI2PS Z19, Z18, Z2
	VMOVAPS Z31, Z3
	VPERMI2PS Z19, Z18, Z3
	// t = A·dY: rows (d0, d0+d1, d0−d1, −d1) of columns c = 0 (Z0, Z2) and 1 (Z1, Z3).
	VMOVAPS Z0, Z4
	VMOVAPS Z1, Z5
	VADDPS  Z2, Z0, Z6
	VADDPS  Z3, Z1, Z7
	VSUBPS  Z2, Z0, Z8
	VSUBPS  Z3, Z1, Z9
	VSUBPS  Z2, Z29, Z10
	VSUBPS  Z3, Z29, Z11
	MOVQ R14, AX
	VMOVUPS Z4, (AX)
	ADDQ    R8, AX
	VADDPS  Z5, Z4, Z20
	VMOVUPS Z20, (AX)
	ADDQ    R8, AX
	VSUBPS  Z5, Z4, Z21
	VMOVUPS Z21, (AX)
	ADDQ    R8, AX
	VSUBPS  Z5, Z29, Z22
	VMOVUPS Z22, (AX)
	ADDQ    R8, AX
	VMOVUPS Z6, (AX)
	ADDQ    R8, AX
	VADDPS  Z7, Z6, Z20
	VMOVUPS Z20, (AX)
	ADDQ    R8, AX
	VSUBPS  Z7, Z6, Z21
	VMOVUPS Z21, (AX)
	ADDQ    R8, AX
	VSUBPS  Z7, Z29, Z22
	VMOVUPS Z22, (AX)
	ADDQ    R8, AX
	VMOVUPS Z8, (AX)
	ADDQ    R8, AX
	VADDPS  Z9, Z8, Z20
	VMOVUPS Z20, (AX)
	ADDQ    R8, AX
	VSUBPS  Z9, Z8, Z21
	VMOVUPS Z21, (AX)
	ADDQ    R8, AX
	VSUBPS  Z9, Z29, Z22
	VMOVUPS Z22, (AX)
	ADDQ    R8, AX
	VMOVUPS Z10, (AX)
	ADDQ    R8, AX
	VADDPS  Z11, Z10, Z20
	VMOVUPS Z20, (AX)
	ADDQ    R8, AX
	VSUBPS  Z11, Z10, Z21
	VMOVUPS Z21, (AX)
	ADDQ    R8, AX
	VSUBPS  Z11, Z29, Z22
	VMOVUPS Z22, (AX)
	ADDQ $128, BX
	ADDQ $64, R14
	DECQ R15
	JNZ  winogo_group
	ADDQ R11, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  winogo_channel

winogo_done:
	VZEROUPPER
	RET

// func transpose16AVX512(dst *float32, ldd int, src *float32, lds int)
// dst[r·ldd + c] = src[c·lds + r] for r, c < 16.
TEXT ·transpose16AVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R8
	SHLQ $2, R8
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R9
	SHLQ $2, R9
	VMOVUPS (SI), Z0
	ADDQ R9, SI
	VMOVUPS (SI), Z1
	ADDQ R9, SI
	VMOVUPS (SI), Z2
	ADDQ R9, SI
	VMOVUPS (SI), Z3
	ADDQ R9, SI
	VMOVUPS (SI), Z4
	ADDQ R9, SI
	VMOVUPS (SI), Z5
	ADDQ R9, SI
	VMOVUPS (SI), Z6
	ADDQ R9, SI
	VMOVUPS (SI), Z7
	ADDQ R9, SI
	VMOVUPS (SI), Z8
	ADDQ R9, SI
	VMOVUPS (SI), Z9
	ADDQ R9, SI
	VMOVUPS (SI), Z10
	ADDQ R9, SI
	VMOVUPS (SI), Z11
	ADDQ R9, SI
	VMOVUPS (SI), Z12
	ADDQ R9, SI
	VMOVUPS (SI), Z13
	ADDQ R9, SI
	VMOVUPS (SI), Z14
	ADDQ R9, SI
	VMOVUPS (SI), Z15
	TRANSPOSE16
	VMOVUPS Z0, (DI)
	ADDQ R8, DI
	VMOVUPS Z1, (DI)
	ADDQ R8, DI
	VMOVUPS Z2, (DI)
	ADDQ R8, DI
	VMOVUPS Z3, (DI)
	ADDQ R8, DI
	VMOVUPS Z4, (DI)
	ADDQ R8, DI
	VMOVUPS Z5, (DI)
	ADDQ R8, DI
	VMOVUPS Z6, (DI)
	ADDQ R8, DI
	VMOVUPS Z7, (DI)
	ADDQ R8, DI
	VMOVUPS Z8, (DI)
	ADDQ R8, DI
	VMOVUPS Z9, (DI)
	ADDQ R8, DI
	VMOVUPS Z10, (DI)
	ADDQ R8, DI
	VMOVUPS Z11, (DI)
	ADDQ R8, DI
	VMOVUPS Z12, (DI)
	ADDQ R8, DI
	VMOVUPS Z13, (DI)
	ADDQ R8, DI
	VMOVUPS Z14, (DI)
	ADDQ R8, DI
	VMOVUPS Z15, (DI)
	VZEROUPPER
	RET
