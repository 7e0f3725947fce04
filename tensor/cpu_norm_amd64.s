//go:build !purego

#include "textflag.h"

// AVX-512 loops of the BatchNorm kernels (cpu_norm.go), in float64 lanes (8 per ZMM
// register) reading and writing float32, so that they compute what the scalar
// float64 loops compute (up to the order of the sums). n is a multiple of 8.

// func bnSumsAVX512(s *float32, n int, k float64, out *[16]float64)
// out[0:8] = lane sums of s[i]−k, out[8:16] = lane sums of (s[i]−k)².
TEXT ·bnSumsAVX512(SB), NOSPLIT, $0-32
	MOVQ s+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSD k+16(FP), Z15
	MOVQ out+24(FP), DI
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	VXORPD Z2, Z2, Z2
	VXORPD Z3, Z3, Z3

sums16:
	CMPQ CX, $16
	JLT sums8
	VCVTPS2PD (SI), Z4
	VCVTPS2PD 32(SI), Z5
	VSUBPD Z15, Z4, Z4
	VSUBPD Z15, Z5, Z5
	VADDPD Z4, Z0, Z0
	VADDPD Z5, Z1, Z1
	VFMADD231PD Z4, Z4, Z2
	VFMADD231PD Z5, Z5, Z3
	ADDQ $64, SI
	SUBQ $16, CX
	JMP sums16

sums8:
	CMPQ CX, $8
	JLT sumsdone
	VCVTPS2PD (SI), Z4
	VSUBPD Z15, Z4, Z4
	VADDPD Z4, Z0, Z0
	VFMADD231PD Z4, Z4, Z2

sumsdone:
	VADDPD Z1, Z0, Z0
	VADDPD Z3, Z2, Z2
	VMOVUPD Z0, (DI)
	VMOVUPD Z2, 64(DI)
	VZEROUPPER
	RET

// func bnGradSumsAVX512(dy, x *float32, n int, m float64, out *[16]float64)
// out[0:8] = lane sums of dy[i], out[8:16] = lane sums of dy[i]·(x[i]−m).
TEXT ·bnGradSumsAVX512(SB), NOSPLIT, $0-40
	MOVQ dy+0(FP), SI
	MOVQ x+8(FP), DX
	MOVQ n+16(FP), CX
	VBROADCASTSD m+24(FP), Z15
	MOVQ out+32(FP), DI
	VXORPD Z0, Z0, Z0
	VXORPD Z1, Z1, Z1
	VXORPD Z2, Z2, Z2
	VXORPD Z3, Z3, Z3

grad16:
	CMPQ CX, $16
	JLT grad8
	VCVTPS2PD (SI), Z4
	VCVTPS2PD 32(SI), Z5
	VCVTPS2PD (DX), Z6
	VCVTPS2PD 32(DX), Z7
	VSUBPD Z15, Z6, Z6
	VSUBPD Z15, Z7, Z7
	VADDPD Z4, Z0, Z0
	VADDPD Z5, Z1, Z1
	VFMADD231PD Z4, Z6, Z2
	VFMADD231PD Z5, Z7, Z3
	ADDQ $64, SI
	ADDQ $64, DX
	SUBQ $16, CX
	JMP grad16

grad8:
	CMPQ CX, $8
	JLT graddone
	VCVTPS2PD (SI), Z4
	VCVTPS2PD (DX), Z6
	VSUBPD Z15, Z6, Z6
	VADDPD Z4, Z0, Z0
	VFMADD231PD Z4, Z6, Z2

graddone:
	VADDPD Z1, Z0, Z0
	VADDPD Z3, Z2, Z2
	VMOVUPD Z0, (DI)
	VMOVUPD Z2, 64(DI)
	VZEROUPPER
	RET

// func bnNormAVX512(d, s *float32, n int, m, a, o float64)
// d[i] = float32((s[i]−m)·a + o).
TEXT ·bnNormAVX512(SB), NOSPLIT, $0-48
	MOVQ d+0(FP), DI
	MOVQ s+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSD m+24(FP), Z13
	VBROADCASTSD a+32(FP), Z14
	VBROADCASTSD o+40(FP), Z15

normloop:
	CMPQ CX, $8
	JLT normdone
	VCVTPS2PD (SI), Z0
	VSUBPD Z13, Z0, Z0
	VFMADD213PD Z15, Z14, Z0
	VCVTPD2PS Z0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP normloop

normdone:
	VZEROUPPER
	RET

// func bnBackwardAVX512(d, dy, x *float32, n int, m, k, a, rb float64)
// d[i] = float32(k·(dy[i] − a − (x[i]−m)·rb)).
TEXT ·bnBackwardAVX512(SB), NOSPLIT, $0-64
	MOVQ d+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ n+24(FP), CX
	VBROADCASTSD m+32(FP), Z12
	VBROADCASTSD k+40(FP), Z13
	VBROADCASTSD a+48(FP), Z14
	VBROADCASTSD rb+56(FP), Z15

bwdloop:
	CMPQ CX, $8
	JLT bwddone
	VCVTPS2PD (SI), Z0
	VCVTPS2PD (DX), Z1
	VSUBPD Z14, Z0, Z0
	VSUBPD Z12, Z1, Z1
	VFNMADD231PD Z15, Z1, Z0
	VMULPD Z13, Z0, Z0
	VCVTPD2PS Z0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP bwdloop

bwddone:
	VZEROUPPER
	RET
