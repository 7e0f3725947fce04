//go:build !purego

#include "textflag.h"

// Elementwise Add, Sub, Mul and Div of cpu_binary.go in AVX-512: 64 lanes per step, then
// 16, then a masked tail (masked-off lanes are neither read nor written). Each result is
// one IEEE float32 operation, bit for bit what the Go loops compute. DI walks d, SI a, DX
// b (vector–vector) while Z31 holds y (vector–scalar); CX counts the elements left.

// BINLOOP is the loop of one op: OP(B, A) sets A = A ∘ B, where B is the register that
// LOADB(offset, B) loaded b into (vector–vector) or ignored for Z31 (vector–scalar);
// STEPB advances b's pointer, MASKB loads the tail's b. L64, L16, LT and DONE are the
// caller's labels.
#define BINLOOP(OP, LOADB, STEPB, MASKB, L64, L16, LT, DONE) \
L64: \
	CMPQ    CX, $64; \
	JLT     L16; \
	VMOVUPS (SI), Z0; \
	VMOVUPS 64(SI), Z1; \
	VMOVUPS 128(SI), Z2; \
	VMOVUPS 192(SI), Z3; \
	LOADB(0, Z4); \
	LOADB(64, Z5); \
	LOADB(128, Z6); \
	LOADB(192, Z7); \
	OP(Z4, Z0); \
	OP(Z5, Z1); \
	OP(Z6, Z2); \
	OP(Z7, Z3); \
	VMOVUPS Z0, (DI); \
	VMOVUPS Z1, 64(DI); \
	VMOVUPS Z2, 128(DI); \
	VMOVUPS Z3, 192(DI); \
	ADDQ    $256, SI; \
	ADDQ    $256, DI; \
	STEPB(256); \
	SUBQ    $64, CX; \
	JMP     L64; \
L16: \
	CMPQ    CX, $16; \
	JLT     LT; \
	VMOVUPS (SI), Z0; \
	LOADB(0, Z4); \
	OP(Z4, Z0); \
	VMOVUPS Z0, (DI); \
	ADDQ    $64, SI; \
	ADDQ    $64, DI; \
	STEPB(64); \
	SUBQ    $16, CX; \
	JMP     L16; \
LT: \
	TESTQ     CX, CX; \
	JLE       DONE; \
	MOVQ      $1, BX; \
	SHLQ      CX, BX; \
	DECQ      BX; \
	KMOVW     BX, K1; \
	VMOVUPS.Z (SI), K1, Z0; \
	MASKB; \
	OP(Z4, Z0); \
	VMOVUPS   Z0, K1, (DI); \
	JMP       DONE

// Second operands: b from memory, or y in Z31.
#define LOADVV(off, B) VMOVUPS off(DX), B
#define STEPVV(n) ADDQ $n, DX
#define MASKVV VMOVUPS.Z (DX), K1, Z4
#define LOADVS(off, B)
#define STEPVS(n)
#define MASKVS

// The ops, vector–vector (B) and vector–scalar (Z31).
#define ADDVV(B, A) VADDPS B, A, A
#define SUBVV(B, A) VSUBPS B, A, A
#define MULVV(B, A) VMULPS B, A, A
#define DIVVV(B, A) VDIVPS B, A, A
#define ADDVS(B, A) VADDPS Z31, A, A
#define SUBVS(B, A) VSUBPS Z31, A, A
#define MULVS(B, A) VMULPS Z31, A, A
#define DIVVS(B, A) VDIVPS Z31, A, A

// func binaryVVAVX512(op int, d, a, b *float32, n int)
TEXT ·binaryVVAVX512(SB), NOSPLIT, $0-40
	MOVQ op+0(FP), AX
	MOVQ d+8(FP), DI
	MOVQ a+16(FP), SI
	MOVQ b+24(FP), DX
	MOVQ n+32(FP), CX
	CMPQ AX, $0
	JEQ  vv_add
	CMPQ AX, $1
	JEQ  vv_sub
	CMPQ AX, $2
	JEQ  vv_mul
	CMPQ AX, $3
	JEQ  vv_div
	JMP  vv_done

vv_add:
	BINLOOP(ADDVV, LOADVV, STEPVV, MASKVV, vv_add64, vv_add16, vv_addtail, vv_done)

vv_sub:
	BINLOOP(SUBVV, LOADVV, STEPVV, MASKVV, vv_sub64, vv_sub16, vv_subtail, vv_done)

vv_mul:
	BINLOOP(MULVV, LOADVV, STEPVV, MASKVV, vv_mul64, vv_mul16, vv_multail, vv_done)

vv_div:
	BINLOOP(DIVVV, LOADVV, STEPVV, MASKVV, vv_div64, vv_div16, vv_divtail, vv_done)

vv_done:
	VZEROUPPER
	RET

// func binaryVSAVX512(op int, d, a *float32, y float32, n int)
TEXT ·binaryVSAVX512(SB), NOSPLIT, $0-40
	MOVQ         op+0(FP), AX
	MOVQ         d+8(FP), DI
	MOVQ         a+16(FP), SI
	VBROADCASTSS y+24(FP), Z31
	MOVQ         n+32(FP), CX
	CMPQ         AX, $0
	JEQ          vs_add
	CMPQ         AX, $1
	JEQ          vs_sub
	CMPQ         AX, $2
	JEQ          vs_mul
	CMPQ         AX, $3
	JEQ          vs_div
	JMP          vs_done

vs_add:
	BINLOOP(ADDVS, LOADVS, STEPVS, MASKVS, vs_add64, vs_add16, vs_addtail, vs_done)

vs_sub:
	BINLOOP(SUBVS, LOADVS, STEPVS, MASKVS, vs_sub64, vs_sub16, vs_subtail, vs_done)

vs_mul:
	BINLOOP(MULVS, LOADVS, STEPVS, MASKVS, vs_mul64, vs_mul16, vs_multail, vs_done)

vs_div:
	BINLOOP(DIVVS, LOADVS, STEPVS, MASKVS, vs_div64, vs_div16, vs_divtail, vs_done)

vs_done:
	VZEROUPPER
	RET
