//go:build !purego

package tensor

import "golang.org/x/sys/cpu"

// winogradAvailable reports whether the Winograd transforms' assembly can run here.
var winogradAvailable = cpu.X86.HasAVX512F

// winoInputAVX512 writes the input transforms V = Bᵀ·d·B of 16 horizontally adjacent
// tiles for nch channels: the patch of tile k in channel c is the 4×4 block at
// x + c·xci + 2k (row stride ldx), and V_ξ of tile k goes to v[c·vci + ξ·vxi + k],
// ξ = 4i + j (strides in elements). It reads 34 values of each patch row.
//
//go:noescape
func winoInputAVX512(v *float32, vxi, vci int, x *float32, ldx, xci, nch int)

// winoOutputAVX512 writes the output transforms Y = Aᵀ·M·A of ngroups groups of 16
// horizontally adjacent tiles for ncout channels: M_ξ of tile k in channel co is
// m[co·mco + ξ·mxi + k], and tile k's 2×2 outputs go to y[co·yco + r·ldy + 2k + c],
// plus bias[co] when bias is not nil, plus the values already there when acc ≠ 0.
//
//go:noescape
func winoOutputAVX512(y *float32, ldy, yco int, m *float32, mxi, mco, ncout, ngroups int, bias *float32, acc int)

// winoGradOutAVX512 writes the adjoint output transforms dM = A·dY·Aᵀ of ngroups groups
// of 16 horizontally adjacent tiles for ncout channels: tile k's 2×2 output gradients
// are dy[co·yco + r·ldy + 2k + c], and dM_ξ of tile k goes to m[co·mco + ξ·mxi + k].
//
//go:noescape
func winoGradOutAVX512(m *float32, mxi, mco int, dy *float32, ldy, yco, ncout, ngroups int)

// transpose16AVX512 sets dst[r·ldd + c] = src[c·lds + r] for r, c < 16.
//
//go:noescape
func transpose16AVX512(dst *float32, ldd int, src *float32, lds int)
