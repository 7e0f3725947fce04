//go:build cuda

package cuda

import (
	"fmt"

	"github.com/selfsup/selfsup/tensor"
)

// SetTF32 turns TF32 tensor-core GEMMs on or off for [Device.MatMul] (off by default;
// New turns it on when the environment has SELFSUP_TF32=1). TF32 keeps 10 mantissa bits
// of each operand (fp32 accumulation), like PyTorch's allow_tf32: several times faster,
// relative errors near 1e-3, so the conformance suite runs with it off.
func (d *Device) SetTF32(on bool) { d.tf32.Store(on) }

// TF32 reports whether [Device.MatMul] may use TF32 tensor cores.
func (d *Device) TF32() bool { return d.tf32.Load() }

// gemmBatchAxes is the number of batch axes the GEMM kernels unravel; more (after
// merging) are looped over on the host.
const gemmBatchAxes = 4

// Launch limits of the GEMM grids: y and z loop with a grid stride in the kernels.
const (
	gemmMaxGridY = 65535
	gemmMaxGridZ = 65535
)

// MatMul computes dst: [..., M, N] = alpha·op(a)·op(b) + beta·dst with a: [..., M, K]
// ([..., K, M] if transA), b: [..., K, N] ([..., N, K] if transB); see
// [tensor.Device.MatMul]. dst is contiguous; the last axis of a and b has stride 1; the
// batch axes of a and b may have any strides (0 broadcasts). beta = 0 ignores dst's old
// contents. Exact fp32 unless TF32 is on (see [Device.SetTF32]) and the product is large
// enough (M ≥ 16, N ≥ 64, K ≥ 8) with 16-byte aligned operands.
func (d *Device) MatMul(dst, a, b *tensor.Tensor, transA, transB bool, alpha, beta float32) {
	as, bs, ds := a.Shape(), b.Shape(), dst.Shape()
	ra, rb, rd := len(as), len(bs), len(ds)
	if ra < 2 || rb < 2 || rd < 2 || ra != rd || rb != rd {
		panic(fmt.Sprintf("cuda: MatMul: %v×%v→%v: operands need equal rank ≥ 2", as, bs, ds))
	}
	m, ka := as[ra-2], as[ra-1]
	if transA {
		m, ka = ka, m
	}
	kb, n := bs[rb-2], bs[rb-1]
	if transB {
		kb, n = n, kb
	}
	if ka != kb {
		panic(fmt.Sprintf("cuda: MatMul: %v×%v (transA=%v transB=%v): inner dims %d≠%d", as, bs, transA, transB, ka, kb))
	}
	if ds[rd-2] != m || ds[rd-1] != n {
		panic(fmt.Sprintf("cuda: MatMul: %v×%v→%v: want output [..., %d, %d]", as, bs, ds, m, n))
	}
	for i := range rd - 2 {
		if as[i] != ds[i] || bs[i] != ds[i] {
			panic(fmt.Sprintf("cuda: MatMul: %v×%v→%v: batch axes differ (expand operands first)", as, bs, ds))
		}
	}
	ast, bst := a.Strides(), b.Strides()
	if (ast[ra-1] != 1 && as[ra-1] > 1) || (bst[rb-1] != 1 && bs[rb-1] > 1) {
		panic(fmt.Sprintf("cuda: MatMul: %v×%v: last axis of each operand must have stride 1 (strides %v, %v)", as, bs, ast, bst))
	}
	if !dst.IsContiguous() {
		panic(fmt.Sprintf("cuda: MatMul: dst %v strides %v is not contiguous", ds, dst.Strides()))
	}
	k := ka
	// A stride-0 row axis (a broadcast row) is a valid leading dimension of 0.
	lda, ldb := ast[ra-2], bst[rb-2]
	if as[ra-2] == 1 {
		lda = max(as[ra-1], 1)
	}
	if bs[rb-2] == 1 {
		ldb = max(bs[rb-1], 1)
	}
	batch := 1
	for _, v := range ds[:rd-2] {
		batch *= v
	}
	if batch == 0 || m == 0 || n == 0 {
		return
	}
	shape, st := mergeAxes(ds[:rd-2], ast[:ra-2], bst[:rb-2])
	g := gemmCall{
		transA: transA, transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb,
		alpha: alpha, beta: beta, tf32: d.tf32.Load(),
	}
	d.matmulBatches(&g, d.ptr(dst), d.ptr(a), d.ptr(b), shape, st[0], st[1])
}

// gemmCall holds the per-matrix parameters of one MatMul.
type gemmCall struct {
	transA, transB bool
	m, n, k        int
	lda, ldb       int
	alpha, beta    float32
	tf32           bool
}

// matmulBatches launches the products over batch axes shape (strides sa for a, sb for b,
// dst contiguous), looping on the host over leading axes beyond gemmBatchAxes.
func (d *Device) matmulBatches(g *gemmCall, pc, pa, pb uint64, shape, sa, sb []int) {
	if len(shape) > gemmBatchAxes {
		inner := 1
		for _, v := range shape[1:] {
			inner *= v
		}
		for i := range shape[0] {
			d.matmulBatches(g, pc+4*uint64(i*inner*g.m*g.n), pa+4*uint64(i*sa[0]), pb+4*uint64(i*sb[0]),
				shape[1:], sa[1:], sb[1:])
		}
		return
	}
	dims := padAxes(shape, gemmBatchAxes)
	sa, sb = padAxes(sa, gemmBatchAxes), padAxes(sb, gemmBatchAxes)
	batch := dims[0] * dims[1] * dims[2] * dims[3]
	kind, bm, bn := gemmKernel(g, pa, pb, dims, sa, sb)
	grid := [3]int{(g.n + bn - 1) / bn, min((g.m+bm-1)/bm, gemmMaxGridY), min(batch, gemmMaxGridZ)}
	blk := [3]int{256}
	args := []any{pc, pa, pb, g.m, g.n, g.k, g.lda, g.ldb, g.alpha, g.beta, batch,
		dims[1], dims[2], dims[3], sa[0], sa[1], sa[2], sa[3], sb[0], sb[1], sb[2], sb[3]}
	// One literal launch per kernel, so that the CPU tests check every name.
	switch fn := kind + gemmSuffix(g.transA, g.transB); fn {
	case "sgemm64_nn":
		d.launch("gemm", "sgemm64_nn", grid, blk, 0, args...)
	case "sgemm64_nt":
		d.launch("gemm", "sgemm64_nt", grid, blk, 0, args...)
	case "sgemm64_tn":
		d.launch("gemm", "sgemm64_tn", grid, blk, 0, args...)
	case "sgemm64_tt":
		d.launch("gemm", "sgemm64_tt", grid, blk, 0, args...)
	case "sgemm128_nn":
		d.launch("gemm", "sgemm128_nn", grid, blk, 0, args...)
	case "sgemm128_nt":
		d.launch("gemm", "sgemm128_nt", grid, blk, 0, args...)
	case "sgemm128_tn":
		d.launch("gemm", "sgemm128_tn", grid, blk, 0, args...)
	case "sgemm128_tt":
		d.launch("gemm", "sgemm128_tt", grid, blk, 0, args...)
	case "sgemm32m_nn":
		d.launch("gemm", "sgemm32m_nn", grid, blk, 0, args...)
	case "sgemm32m_nt":
		d.launch("gemm", "sgemm32m_nt", grid, blk, 0, args...)
	case "sgemm32m_tn":
		d.launch("gemm", "sgemm32m_tn", grid, blk, 0, args...)
	case "sgemm32m_tt":
		d.launch("gemm", "sgemm32m_tt", grid, blk, 0, args...)
	case "sgemm32n_nn":
		d.launch("gemm", "sgemm32n_nn", grid, blk, 0, args...)
	case "sgemm32n_nt":
		d.launch("gemm", "sgemm32n_nt", grid, blk, 0, args...)
	case "sgemm32n_tn":
		d.launch("gemm", "sgemm32n_tn", grid, blk, 0, args...)
	case "sgemm32n_tt":
		d.launch("gemm", "sgemm32n_tt", grid, blk, 0, args...)
	case "tf32gemm_nn":
		d.launch("gemm", "tf32gemm_nn", grid, blk, 0, args...)
	case "tf32gemm_nt":
		d.launch("gemm", "tf32gemm_nt", grid, blk, 0, args...)
	case "tf32gemm_tn":
		d.launch("gemm", "tf32gemm_tn", grid, blk, 0, args...)
	case "tf32gemm_tt":
		d.launch("gemm", "tf32gemm_tt", grid, blk, 0, args...)
	case "tf32gemm64_nn":
		d.launch("gemm", "tf32gemm64_nn", grid, blk, 0, args...)
	case "tf32gemm64_nt":
		d.launch("gemm", "tf32gemm64_nt", grid, blk, 0, args...)
	case "tf32gemm64_tn":
		d.launch("gemm", "tf32gemm64_tn", grid, blk, 0, args...)
	case "tf32gemm64_tt":
		d.launch("gemm", "tf32gemm64_tt", grid, blk, 0, args...)
	case "tf32gemm32_nn":
		d.launch("gemm", "tf32gemm32_nn", grid, blk, 0, args...)
	case "tf32gemm32_nt":
		d.launch("gemm", "tf32gemm32_nt", grid, blk, 0, args...)
	case "tf32gemm32_tn":
		d.launch("gemm", "tf32gemm32_tn", grid, blk, 0, args...)
	case "tf32gemm32_tt":
		d.launch("gemm", "tf32gemm32_tt", grid, blk, 0, args...)
	default:
		panic("cuda: MatMul: no GEMM kernel " + fn)
	}
}

// gemmKernel picks the kernel family (see gemm.cu) and its BM×BN block tile for one
// launch. TF32 (when on) takes products with M ≥ 16, N ≥ 64, K ≥ 8 and 16-byte aligned
// operands, in the tile of 128, 64 or 32 rows that wastes the fewest rows of M.
// Otherwise exact fp32: 128×128 tiles when both sides fill them and there are still a
// couple of blocks per SM of a large GPU; 32×128 (128×32) when M (N) is at most 32,
// as in convolutions with few channels; else 64×64.
func gemmKernel(g *gemmCall, pa, pb uint64, dims, sa, sb []int) (string, int, int) {
	batch := dims[0] * dims[1] * dims[2] * dims[3]
	if g.tf32 && g.m >= 16 && g.n >= 64 && g.k >= 8 && tf32Aligned(g, pa, pb, dims, sa, sb) {
		pad := func(t int) int { return (g.m + t - 1) / t * t }
		switch {
		case 4*pad(128) <= 5*pad(64):
			return "tf32gemm", 128, 128
		case 4*pad(64) <= 5*pad(32):
			return "tf32gemm64", 64, 128
		}
		return "tf32gemm32", 32, 256
	}
	switch tiles := ((g.m + 127) / 128) * ((g.n + 127) / 128) * batch; {
	case g.m > 64 && g.n > 64 && tiles >= 256:
		return "sgemm128", 128, 128
	case g.m <= 32 && g.n > 64:
		return "sgemm32m", 32, 128
	case g.n <= 32 && g.m > 64:
		return "sgemm32n", 128, 32
	}
	return "sgemm64", 64, 64
}

// tf32Aligned reports whether every 4-float chunk the TF32 kernel copies with cp.async
// starts on a 16-byte boundary: aligned base addresses, and leading dimensions and
// batch strides (of axes longer than 1) that are multiples of 4.
func tf32Aligned(g *gemmCall, pa, pb uint64, dims, sa, sb []int) bool {
	if pa%16 != 0 || pb%16 != 0 || g.lda%4 != 0 || g.ldb%4 != 0 {
		return false
	}
	for i, v := range dims {
		if v > 1 && (sa[i]%4 != 0 || sb[i]%4 != 0) {
			return false
		}
	}
	return true
}

// gemmSuffix names the transpose variant of a GEMM kernel: _nn, _nt, _tn or _tt.
func gemmSuffix(transA, transB bool) string {
	s := []byte("_nn")
	if transA {
		s[1] = 't'
	}
	if transB {
		s[2] = 't'
	}
	return string(s)
}
