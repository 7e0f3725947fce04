//go:build !purego

package tensor

import "golang.org/x/sys/cpu"

// useAVX512Pack selects the AVX-512 packers of cpu_conv_pack_amd64.s (they also use
// BMI2's SHRX). Tests switch it off to cover the Go packers.
var useAVX512Pack = cpu.X86.HasAVX512F && cpu.X86.HasBMI2

// packRowsB32AVX512 is packRowsBGo for nr = 32: kc rows of 32 lanes at dst, row p made
// of the runs ents[k·np : k·np+np] of tap k (k wraps at ks, and then the channel base
// x advances by inSize elements), each a masked load of x[off : off+32].
//
//go:noescape
func packRowsB32AVX512(dst *float32, kc int, x *float32, inSize int, ents *packEnt, np, ks, k int)

// packT32AVX512 is packTGo for nr = 32 and l ≤ 64: l rows of 32 lanes at dst, lane
// jj of row r is x[offs[jj]+r] where bit r of masks[jj] is set and zero elsewhere,
// built from 16×16 blocks transposed in registers. It uses BMI2 (SHRX).
//
//go:noescape
func packT32AVX512(dst *float32, x *float32, offs *int, masks *uint64, l int)
