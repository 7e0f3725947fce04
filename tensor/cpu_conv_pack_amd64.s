//go:build !purego

#include "textflag.h"
#include "transpose16_amd64.h"
// func packRowsB32AVX512(dst *float32, kc int, x *float32, inSize int, ents *packEnt, np, ks, k int)
// Row loop: Z0, Z1 (lanes 0–15, 16–31) start at zero and take each run of the row's
// tap as a merge-masked load (masked-off lanes are never read); K1, K2 are the halves
// of the run's mask.
TEXT ·packRowsB32AVX512(SB), NOSPLIT, $0-64
	MOVQ dst+0(FP), DI
	MOVQ kc+8(FP), CX
	MOVQ x+16(FP), R8
	MOVQ inSize+24(FP), R12
	SHLQ $2, R12
	MOVQ ents+32(FP), SI
	MOVQ np+40(FP), R9
	MOVQ ks+48(FP), R10
	MOVQ k+56(FP), R11
	MOVQ R9, R13
	SHLQ $4, R13
	MOVQ R11, AX
	IMULQ R13, AX
	ADDQ SI, AX
	TESTQ CX, CX
	JLE rowsdone
	CMPQ R9, $1
	JNE row

	// One run per row (the strip lies in one output row): zero-masked loads.
row1:
	MOVQ (AX), DX
	KMOVW 8(AX), K1
	KMOVW 10(AX), K2
	VMOVUPS.Z (R8)(DX*4), K1, Z0
	VMOVUPS.Z 64(R8)(DX*4), K2, Z1
	ADDQ $16, AX
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $128, DI
	INCQ R11
	CMPQ R11, R10
	JNE nextrow1
	XORQ R11, R11
	MOVQ SI, AX
	ADDQ R12, R8

nextrow1:
	DECQ CX
	JNZ row1
	JMP rowsdone

row:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	MOVQ R9, BX

piece:
	MOVQ (AX), DX
	KMOVW 8(AX), K1
	KMOVW 10(AX), K2
	VMOVUPS (R8)(DX*4), K1, Z0
	VMOVUPS 64(R8)(DX*4), K2, Z1
	ADDQ $16, AX
	DECQ BX
	JNZ piece
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $128, DI
	INCQ R11
	CMPQ R11, R10
	JNE nextrow
	XORQ R11, R11
	MOVQ SI, AX
	ADDQ R12, R8

nextrow:
	DECQ CX
	JNZ row

rowsdone:
	VZEROUPPER
	RET

// LOADT loads 16 positions [c0, c0+16) of tap i: K1 = bits c0… of masks[i] (read as
// the 16-bit word at byte c0/8 of the little-endian uint64), then a zero-masked load
// of x[offs[i]+c0:] into REG. Uses R9 = offs, R10 = masks + c0/8, SI = &x[c0].
#define LOADT(i, REG) \
	KMOVW (i*8)(R10), K1; \
	MOVQ (i*8)(R9), AX; \
	VMOVUPS.Z (SI)(AX*4), K1, REG

// LOADT16 loads taps 0–15 into Z0–Z15.
#define LOADT16 \
	LOADT(0, Z0); \
	LOADT(1, Z1); \
	LOADT(2, Z2); \
	LOADT(3, Z3); \
	LOADT(4, Z4); \
	LOADT(5, Z5); \
	LOADT(6, Z6); \
	LOADT(7, Z7); \
	LOADT(8, Z8); \
	LOADT(9, Z9); \
	LOADT(10, Z10); \
	LOADT(11, Z11); \
	LOADT(12, Z12); \
	LOADT(13, Z13); \
	LOADT(14, Z14); \
	LOADT(15, Z15)

// func packT32AVX512(dst *float32, x *float32, offs *int, masks *uint64, l int)
// Per chunk of 16 positions: taps 0–15, then 16–31, are loaded, transposed and
// stored as the chunk's rows (32 lanes each); DX = rows left.
TEXT ·packT32AVX512(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ offs+16(FP), R9
	MOVQ masks+24(FP), R10
	MOVQ l+32(FP), CX
	XORQ R13, R13
	TESTQ CX, CX
	JLE tdone

chunk:
	MOVQ CX, DX
	SUBQ R13, DX
	LOADT16
	// Transpose Z0–Z15: pairs, then 4×4 blocks within 128-bit lanes, then lanes.
	TRANSPOSE16
	CMPQ DX, $16
	JLT part0
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 128(DI)
	VMOVUPS Z2, 256(DI)
	VMOVUPS Z3, 384(DI)
	VMOVUPS Z4, 512(DI)
	VMOVUPS Z5, 640(DI)
	VMOVUPS Z6, 768(DI)
	VMOVUPS Z7, 896(DI)
	VMOVUPS Z8, 1024(DI)
	VMOVUPS Z9, 1152(DI)
	VMOVUPS Z10, 1280(DI)
	VMOVUPS Z11, 1408(DI)
	VMOVUPS Z12, 1536(DI)
	VMOVUPS Z13, 1664(DI)
	VMOVUPS Z14, 1792(DI)
	VMOVUPS Z15, 1920(DI)
	JMP stored0

part0:
	MOVQ DI, AX
	VMOVUPS Z0, 0(AX)
	CMPQ DX, $1
	JLE stored0
	ADDQ $128, AX
	VMOVUPS Z1, 0(AX)
	CMPQ DX, $2
	JLE stored0
	ADDQ $128, AX
	VMOVUPS Z2, 0(AX)
	CMPQ DX, $3
	JLE stored0
	ADDQ $128, AX
	VMOVUPS Z3, 0(AX)
	CMPQ DX, $4
	JLE stored0
	ADDQ $128, AX
	VMOVUPS Z4, 0(AX)
	CMPQ DX, $5
	JLE stored0
	ADDQ $128, AX
	VMOVUPS Z5, 0(AX)
	CMPQ DX, $6
	JLE stored0
	ADDQ $128, AX
	VMOVUPS Z6, 0(AX)
	CMPQ DX, $7
	JLE stored0
	ADDQ $128, AX
	VMOVUPS Z7, 0(AX)
	CMPQ DX, $8
	JLE stored0
	ADDQ $128, AX
	VMOVUPS Z8, 0(AX)
	CMPQ DX, $9
	JLE stored0
	ADDQ $128, AX
	VMOVUPS Z9, 0(AX)
	CMPQ DX, $10
	JLE stored0
	ADDQ $128, AX
	VMOVUPS Z10, 0(AX)
	CMPQ DX, $11
	JLE stored0
	ADDQ $128, AX
	VMOVUPS Z11, 0(AX)
	CMPQ DX, $12
	JLE stored0
	ADDQ $128, AX
	VMOVUPS Z12, 0(AX)
	CMPQ DX, $13
	JLE stored0
	ADDQ $128, AX
	VMOVUPS Z13, 0(AX)
	CMPQ DX, $14
	JLE stored0
	ADDQ $128, AX
	VMOVUPS Z14, 0(AX)
	CMPQ DX, $15
	JLE stored0
	ADDQ $128, AX
	VMOVUPS Z15, 0(AX)

stored0:
	ADDQ $128, R9
	ADDQ $128, R10
	LOADT16
	SUBQ $128, R9
	SUBQ $128, R10
	// Transpose Z0–Z15: pairs, then 4×4 blocks within 128-bit lanes, then lanes.
	TRANSPOSE16
	CMPQ DX, $16
	JLT part64
	VMOVUPS Z0, 64(DI)
	VMOVUPS Z1, 192(DI)
	VMOVUPS Z2, 320(DI)
	VMOVUPS Z3, 448(DI)
	VMOVUPS Z4, 576(DI)
	VMOVUPS Z5, 704(DI)
	VMOVUPS Z6, 832(DI)
	VMOVUPS Z7, 960(DI)
	VMOVUPS Z8, 1088(DI)
	VMOVUPS Z9, 1216(DI)
	VMOVUPS Z10, 1344(DI)
	VMOVUPS Z11, 1472(DI)
	VMOVUPS Z12, 1600(DI)
	VMOVUPS Z13, 1728(DI)
	VMOVUPS Z14, 1856(DI)
	VMOVUPS Z15, 1984(DI)
	JMP stored1

part64:
	MOVQ DI, AX
	VMOVUPS Z0, 64(AX)
	CMPQ DX, $1
	JLE stored1
	ADDQ $128, AX
	VMOVUPS Z1, 64(AX)
	CMPQ DX, $2
	JLE stored1
	ADDQ $128, AX
	VMOVUPS Z2, 64(AX)
	CMPQ DX, $3
	JLE stored1
	ADDQ $128, AX
	VMOVUPS Z3, 64(AX)
	CMPQ DX, $4
	JLE stored1
	ADDQ $128, AX
	VMOVUPS Z4, 64(AX)
	CMPQ DX, $5
	JLE stored1
	ADDQ $128, AX
	VMOVUPS Z5, 64(AX)
	CMPQ DX, $6
	JLE stored1
	ADDQ $128, AX
	VMOVUPS Z6, 64(AX)
	CMPQ DX, $7
	JLE stored1
	ADDQ $128, AX
	VMOVUPS Z7, 64(AX)
	CMPQ DX, $8
	JLE stored1
	ADDQ $128, AX
	VMOVUPS Z8, 64(AX)
	CMPQ DX, $9
	JLE stored1
	ADDQ $128, AX
	VMOVUPS Z9, 64(AX)
	CMPQ DX, $10
	JLE stored1
	ADDQ $128, AX
	VMOVUPS Z10, 64(AX)
	CMPQ DX, $11
	JLE stored1
	ADDQ $128, AX
	VMOVUPS Z11, 64(AX)
	CMPQ DX, $12
	JLE stored1
	ADDQ $128, AX
	VMOVUPS Z12, 64(AX)
	CMPQ DX, $13
	JLE stored1
	ADDQ $128, AX
	VMOVUPS Z13, 64(AX)
	CMPQ DX, $14
	JLE stored1
	ADDQ $128, AX
	VMOVUPS Z14, 64(AX)
	CMPQ DX, $15
	JLE stored1
	ADDQ $128, AX
	VMOVUPS Z15, 64(AX)

stored1:
	ADDQ $2048, DI
	ADDQ $64, SI
	ADDQ $2, R10
	ADDQ $16, R13
	CMPQ R13, CX
	JLT chunk

tdone:
	VZEROUPPER
	RET
