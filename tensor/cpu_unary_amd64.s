//go:build !purego

#include "textflag.h"

// AVX-512 versions of expF and geluF (cpu_unary_math.go): the same algorithms, in
// float64 lanes (8 per ZMM register), reading and writing float32. The constant table
// c is fastMathConsts (see its layout there).

// EXPREDUCE clamps X to [expMin, expMax] in place (a NaN stays: it is the clamps' second
// source) and splits it as X = K·ln 2 + R: K = round(X/ln 2), R = X − K·ln 2 with ln 2
// in two parts. EXPHORNER5 takes the Horner evaluation of the Taylor polynomial in R
// through the coefficients 1/6! … 1/2! (c[8] … c[4]). EXPZ, EXPZ7 and EXPM1Z7 are built
// from them.
#define EXPREDUCE(X, K, R) \
	VMAXPD X, Z18, X; \
	VMINPD X, Z19, X; \
	VMULPD Z20, X, K; \
	VRNDSCALEPD $0, K, K; \
	VMOVAPD X, R; \
	VFNMADD231PD Z21, K, R; \
	VFNMADD231PD Z22, K, R

#define EXPHORNER5(P, R) \
	VFMADD213PD.BCST 64(R8), R, P; \
	VFMADD213PD.BCST 56(R8), R, P; \
	VFMADD213PD.BCST 48(R8), R, P; \
	VFMADD213PD.BCST 40(R8), R, P; \
	VFMADD213PD.BCST 32(R8), R, P

// EXPZ computes P = e^X per lane (X is clamped in place; K and R are scratch): k =
// round(X/ln 2), r = X − k·ln 2 (two parts), P = Taylor(r) of degree 11 (Horner),
// scaled by 2^k with VSCALEFPD. Needs Z18 = expMin, Z19 = expMax, Z20 = 1/ln 2,
// Z21 = ln2Hi, Z22 = ln2Lo and R8 = c. The clamps keep a NaN: it is their second source.
#define EXPZ(X, P, K, R) \
	EXPREDUCE(X, K, R); \
	VBROADCASTSD 104(R8), P; \
	VFMADD213PD.BCST 96(R8), R, P; \
	VFMADD213PD.BCST 88(R8), R, P; \
	VFMADD213PD.BCST 80(R8), R, P; \
	VFMADD213PD.BCST 72(R8), R, P; \
	EXPHORNER5(P, R); \
	VFMADD213PD.BCST 112(R8), R, P; \
	VFMADD213PD.BCST 112(R8), R, P; \
	VSCALEFPD K, P, P

#define LOADEXPCONSTS \
	VBROADCASTSD 0(R8), Z18; \
	VBROADCASTSD 288(R8), Z19; \
	VBROADCASTSD 8(R8), Z20; \
	VBROADCASTSD 16(R8), Z21; \
	VBROADCASTSD 24(R8), Z22

// func expAffineAVX512(d, s *float32, n int, a, b, sub float64, c *float64)
// d[i] = float32(e^(a·s[i]+b) − sub) for i < n; n is a multiple of 8.
TEXT ·expAffineAVX512(SB), NOSPLIT, $0-56
	MOVQ d+0(FP), DI
	MOVQ s+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ c+48(FP), R8
	VBROADCASTSD a+24(FP), Z16
	VBROADCASTSD b+32(FP), Z17
	VBROADCASTSD sub+40(FP), Z15
	LOADEXPCONSTS

exploop:
	CMPQ CX, $8
	JLT expdone
	VCVTPS2PD (SI), Z0
	VFMADD213PD Z17, Z16, Z0
	EXPZ(Z0, Z3, Z1, Z2)
	VSUBPD Z15, Z3, Z3
	VCVTPD2PS Z3, Y3
	VMOVUPS Y3, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP exploop

expdone:
	VZEROUPPER
	RET

// func geluAVX512(out, x, grad *float32, n int, c *float64)
// With grad nil: out[i] = x·Φ(x); otherwise out[i] = grad[i]·(Φ(x) + x·φ(x)), x = x[i],
// for i < n; n is a multiple of 8.
TEXT ·geluAVX512(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ grad+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), R8
	LOADEXPCONSTS
	VBROADCASTSD 280(R8), Z23 // 1/√(2π)
	VBROADCASTSD 128(R8), Z24 // abs mask
	VBROADCASTSD 136(R8), Z25 // 1/√2
	VBROADCASTSD 120(R8), Z26 // 0
	VBROADCASTSD 144(R8), Z27 // 2
	VBROADCASTSD 160(R8), Z28 // u scale
	VBROADCASTSD 168(R8), Z29 // u offset
	VBROADCASTSD 152(R8), Z30 // erfc cut-off
	VBROADCASTSD 112(R8), Z31 // 1

geluloop:
	CMPQ CX, $8
	JLT geludone
	VCVTPS2PD (SI), Z0        // x
	VPANDQ Z24, Z0, Z4
	VMULPD Z25, Z4, Z4        // a = |x|/√2
	VMULPD Z4, Z4, Z5
	VSUBPD Z5, Z26, Z6        // −a²
	EXPZ(Z6, Z7, Z1, Z2)      // e = e^(−a²)
	VADDPD Z27, Z4, Z8
	VDIVPD Z8, Z27, Z8        // τ = 2/(2+a)
	VMOVAPD Z8, Z9
	VFMADD213PD Z29, Z28, Z9  // u
	VBROADCASTSD 272(R8), Z10
	VFMADD213PD.BCST 264(R8), Z9, Z10
	VFMADD213PD.BCST 256(R8), Z9, Z10
	VFMADD213PD.BCST 248(R8), Z9, Z10
	VFMADD213PD.BCST 240(R8), Z9, Z10
	VFMADD213PD.BCST 232(R8), Z9, Z10
	VFMADD213PD.BCST 224(R8), Z9, Z10
	VFMADD213PD.BCST 216(R8), Z9, Z10
	VFMADD213PD.BCST 208(R8), Z9, Z10
	VFMADD213PD.BCST 200(R8), Z9, Z10
	VFMADD213PD.BCST 192(R8), Z9, Z10
	VFMADD213PD.BCST 184(R8), Z9, Z10
	VFMADD213PD.BCST 176(R8), Z9, Z10
	VMULPD Z8, Z10, Z10
	VMULPD Z7, Z10, Z10       // h = erfc(a)/2
	VCMPPD $0x1e, Z30, Z4, K1 // a > cut-off
	VMOVAPD Z26, K1, Z10
	VCMPPD $0x1e, Z26, Z0, K2 // x > 0
	VMOVAPD Z10, Z11
	VSUBPD Z10, Z31, K2, Z11  // Φ = x > 0 ? 1 − h : h
	TESTQ DX, DX
	JNZ gelubackward
	VMULPD Z11, Z0, Z12       // x·Φ
	JMP gelustore

gelubackward:
	VMULPD Z7, Z0, Z12
	VFMADD213PD Z11, Z23, Z12 // Φ + x·φ
	VCVTPS2PD (DX), Z13
	VMULPD Z13, Z12, Z12
	ADDQ $32, DX

gelustore:
	VCVTPD2PS Z12, Y12
	VMOVUPS Y12, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP geluloop

geludone:
	VZEROUPPER
	RET

// EXPZ7 is EXPZ with a degree-7 Taylor polynomial: a relative error below 6e-9 on
// |r| ≤ ln 2/2, plenty for a float32 result (ELU's derivative).
#define EXPZ7(X, P, K, R) \
	EXPREDUCE(X, K, R); \
	VBROADCASTSD 72(R8), P; \
	EXPHORNER5(P, R); \
	VFMADD213PD.BCST 112(R8), R, P; \
	VFMADD213PD.BCST 112(R8), R, P; \
	VSCALEFPD K, P, P

// func eluBackwardAVX512(d, dy, x *float32, n int, alpha float64, c *float64)
// d[i] = dy[i] where x[i] > 0, else float32(dy[i]·alpha·e^x[i]) (NaN for a NaN x[i]),
// for i < n; n is a multiple of 8. Blocks of 8 with every x > 0 skip the exponential.
TEXT ·eluBackwardAVX512(SB), NOSPLIT, $0-48
	MOVQ d+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSD alpha+32(FP), Z16
	MOVQ c+40(FP), R8
	LOADEXPCONSTS
	VXORPD Z15, Z15, Z15

eluloop:
	CMPQ CX, $8
	JLT eludone
	VCVTPS2PD (DX), Z0
	VCMPPD $0x1E, Z15, Z0, K1
	KORTESTB K1, K1
	JCS elupos
	VCVTPS2PD (SI), Z4
	EXPZ7(Z0, Z3, Z1, Z2)
	VMULPD Z16, Z4, Z5
	VMULPD Z3, Z5, Z5
	VMOVAPD Z4, K1, Z5
	VCVTPD2PS Z5, Y5
	VMOVUPS Y5, (DI)
	JMP elunext

elupos:
	VMOVUPS (SI), Y5
	VMOVUPS Y5, (DI)

elunext:
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP eluloop

eludone:
	VZEROUPPER
	RET

// EXPM1Z7 computes P = e^X − 1 per lane with EXPZ7's polynomial (X is clamped in
// place; K and R are scratch; needs Z14 = 1): with e^r = Q·r + 1, e^X − 1 =
// 2^k·(Q·r) + (2^k − 1). For k = 0 (|X| ≤ ln 2/2) this is Q·r with r = X exactly, so
// there is no cancellation near 0; for k ≠ 0 the two terms do not cancel.
#define EXPM1Z7(X, P, K, R, S) \
	EXPREDUCE(X, K, R); \
	VBROADCASTSD 72(R8), P; \
	EXPHORNER5(P, R); \
	VFMADD213PD Z14, R, P; \
	VMULPD R, P, P; \
	VSCALEFPD K, P, P; \
	VSCALEFPD K, Z14, S; \
	VSUBPD Z14, S, S; \
	VADDPD S, P, P

// func eluForwardAVX512(d, x *float32, n int, alpha float64, c *float64)
// d[i] = x[i] where x[i] > 0, else float32(alpha·(e^x[i] − 1)) (NaN for a NaN x[i]),
// for i < n; n is a multiple of 8. Blocks of 8 with every x > 0 skip the exponential.
TEXT ·eluForwardAVX512(SB), NOSPLIT, $0-40
	MOVQ d+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSD alpha+24(FP), Z16
	MOVQ c+32(FP), R8
	LOADEXPCONSTS
	VXORPD Z15, Z15, Z15
	VBROADCASTSD 112(R8), Z14

elufloop:
	CMPQ CX, $8
	JLT elufdone
	VMOVUPS (SI), Y6
	VCVTPS2PD Y6, Z0
	VCMPPD $0x1E, Z15, Z0, K1
	KORTESTB K1, K1
	JCS elufpos
	EXPM1Z7(Z0, Z3, Z1, Z2, Z4)
	VMULPD Z16, Z3, Z3
	VCVTPD2PS Z3, Y3
	VMOVAPS Y6, K1, Y3
	VMOVUPS Y3, (DI)
	JMP elufnext

elufpos:
	VMOVUPS Y6, (DI)

elufnext:
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP elufloop

elufdone:
	VZEROUPPER
	RET

// func siluAVX512(out, x, grad *float32, n int, c *float64)
// out[i] = x/(1 + e^−x) (grad nil) or grad[i]·s·(1 + x·e^−x·s) with s = 1/(1 + e^−x),
// x = x[i], for i < n (a multiple of 8), in float64 lanes (the degree-7 exponential).
TEXT ·siluAVX512(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ grad+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ c+32(FP), R8
	LOADEXPCONSTS
	VBROADCASTSD 120(R8), Z26 // 0
	VBROADCASTSD 112(R8), Z31 // 1

siluloop:
	CMPQ CX, $8
	JLT siludone
	VCVTPS2PD (SI), Z0        // x
	VSUBPD Z0, Z26, Z6        // −x
	EXPZ7(Z6, Z7, Z1, Z2)     // e = e^(−x)
	VADDPD Z31, Z7, Z8        // 1 + e
	TESTQ DX, DX
	JNZ silubackward
	VDIVPD Z8, Z0, Z12        // x/(1 + e)
	JMP silustore

silubackward:
	VDIVPD Z8, Z31, Z9        // s = 1/(1 + e)
	VMULPD Z9, Z7, Z10        // e·s = 1 − s (at most 1: no overflow below)
	VMULPD Z0, Z10, Z10       // x·e·s
	VADDPD Z31, Z10, Z10      // 1 + x·e·s
	VMULPD Z9, Z10, Z12       // s·(1 + x·e·s)
	VCVTPS2PD (DX), Z13
	VMULPD Z13, Z12, Z12
	ADDQ $32, DX

silustore:
	VCVTPD2PS Z12, Y12
	VMOVUPS Y12, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP siluloop

siludone:
	VZEROUPPER
	RET
