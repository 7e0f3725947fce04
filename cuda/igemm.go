package cuda

import (
	"fmt"
	"math"

	"github.com/selfsup/selfsup/tensor"
)

// Launch geometry of the implicit-GEMM convolution kernels (kernels/igemm.cu). This file
// has no build tag: the CPU test suite checks its arithmetic and that every kernel name
// it produces is an .entry of igemm.ptx.

const (
	igemmBK     = 16  // k slice per pipeline stage
	igemmBN     = 128 // block tile columns
	igemmTabPad = 256 // row tables are padded to a multiple of this many rows
	igemmPadTap = 1 << 30
	// igemmMaskPadTap is the tap index of padding rows in the mask table; windows with
	// fewer taps use the mask path.
	igemmMaskPadTap = 31
	igemmThreads    = 256
)

// igemm filter-gradient split targets: about igemmTargetBlocks thread blocks in all,
// chunks of at least igemmMinChunk positions, partial sums of at most igemmPartBudget
// elements.
const (
	igemmTargetBlocks = 1024
	igemmMinChunk     = 256
	igemmPartBudget   = 1 << 26
	igemmMaxGridZ     = 65535
)

// igemmTileRows returns the block tile rows BM (16, 32, 64 or 128) for cpg output
// channels per group: the smallest tile that holds them, 128 beyond.
func igemmTileRows(cpg int) int {
	switch {
	case cpg <= 16:
		return 16
	case cpg <= 32:
		return 32
	case cpg <= 64:
		return 64
	}
	return 128
}

// igemmWantBlocks is the number of thread blocks a forward convolution should launch
// to fill the GPU: 4 per SM of a 132-SM H100/H200 (two waves of the 64-row tile);
// a split over k (partial outputs and a reduction) pays only below igemmSplitBelow
// blocks (one wave of the 64-row tile). igemmMinSplitSlices is the fewest k slices a
// split of the forward may have.
const (
	igemmWantBlocks     = 528
	igemmSplitBelow     = 264
	igemmMinSplitSlices = 8
)

// igemmForwardPlan chooses the forward launch for cols = S·∏Out columns, cpg output
// channels per group, groups and rows = (Cin/G)·∏K column rows, ySize output
// elements: the tile rows bm (igemmTileRows, halved down to 64 while the tiles are
// fewer than igemmWantBlocks) and a split over the k slices (splits of kPer slices,
// splits = 1 for none) when the blocks are still fewer than igemmSplitBelow, into
// about igemmWantBlocks blocks, with at least
// igemmMinSplitSlices slices per split and the partial outputs within
// igemmPartBudget elements.
func igemmForwardPlan(cols, cpg, groups, rows, ySize int) (bm, splits, kPer int) {
	colTiles := (cols + igemmBN - 1) / igemmBN
	blocks := func(bm int) int { return colTiles * ((cpg + bm - 1) / bm) * groups }
	bm = igemmTileRows(cpg)
	for bm > 64 && blocks(bm) < igemmWantBlocks {
		bm /= 2
	}
	nk := (rows + igemmBK - 1) / igemmBK
	splits = 1
	if b := blocks(bm); b < igemmSplitBelow && b > 0 {
		splits = (igemmWantBlocks + b - 1) / b
		splits = min(splits, nk/igemmMinSplitSlices)
		splits = min(splits, igemmPartBudget/max(ySize, 1))
		splits = min(splits, igemmMaxGridZ/max(groups, 1))
		splits = max(splits, 1)
	}
	kPer = (nk + splits - 1) / splits
	if kPer > 0 {
		splits = (nk + kPer - 1) / kPer
	}
	return bm, splits, kPer
}

// igemmKernel returns the name of the igemm.cu kernel for pass "fwd" or "wgrad",
// TF32 tensor cores or exact fp32, and bm tile rows (16, 32, 64 or 128).
func igemmKernel(pass string, tf32 bool, bm int) string {
	prec := "f32"
	if tf32 {
		prec = "tf32"
	}
	return fmt.Sprintf("igemm_%s_%s_%d", pass, prec, bm)
}

// igemmTable returns the row tables of igemm.cu for cinG input channels per group and
// window geometry q, padded to rows (a multiple of igemmTabPad) rows. First, four
// int32 per column row r = (c, kd, kh, kw): the element offset c·D·H·W + kd·dd·H·W +
// kh·dh·W + kw·dw and the tap offsets kd·dd, kh·dh, kw·dw, padding rows with taps of
// igemmPadTap, which fall outside every image (so the kernels read zeros there without
// a bounds check on r). Then two int32 per row: the element offset and the tap index
// (kd·KH + kh)·KW + kw, padding rows with tap igemmMaskPadTap (never in a mask).
func igemmTable(q *winGeom, cinG int) (tab []int32, rows int) {
	ks := q.k[0] * q.k[1] * q.k[2]
	used := cinG * ks
	rows = max((used+igemmTabPad-1)/igemmTabPad*igemmTabPad, igemmTabPad)
	tab = make([]int32, 6*rows)
	taps := tab[4*rows:]
	hw := q.in[1] * q.in[2]
	plane := q.in[0] * hw
	r := 0
	for c := range cinG {
		kk := 0
		for kd := range q.k[0] {
			for kh := range q.k[1] {
				for kw := range q.k[2] {
					dz, dy, dx := kd*q.d[0], kh*q.d[1], kw*q.d[2]
					off := int32(c*plane + dz*hw + dy*q.in[2] + dx)
					tab[4*r] = off
					tab[4*r+1], tab[4*r+2], tab[4*r+3] = int32(dz), int32(dy), int32(dx)
					taps[2*r], taps[2*r+1] = off, int32(kk)
					r++
					kk++
				}
			}
		}
	}
	for ; r < rows; r++ {
		tab[4*r+1] = igemmPadTap
		taps[2*r+1] = igemmMaskPadTap
	}
	return tab, rows
}

// igemmMaskTaps returns the KS argument of the forward kernel for a window of ks taps:
// ks when the per-column tap mask applies (fewer than 32 taps), else 0 (the kernel
// then tests coordinates per element).
func igemmMaskTaps(ks int) int {
	if ks < igemmMaskPadTap {
		return ks
	}
	return 0
}

// igemmPackTaps reports whether the filter-gradient kernel may keep its table rows in
// registers with the tap offsets packed in 10 bits each: Dilation·(Kernel−1) < 1024
// on every axis.
func igemmPackTaps(q *winGeom) bool {
	for i := range q.k {
		if q.d[i]*(q.k[i]-1) >= 1<<10 {
			return false
		}
	}
	return true
}

// igemmCheck panics when a convolution's sizes overflow the 32-bit index math of
// igemm.cu: the columns S·∏Out, a sample's elements and the row-table offsets.
func igemmCheck(op string, n, cin, cout int, q *winGeom) {
	in := int64(q.in[0]) * int64(q.in[1]) * int64(q.in[2])
	out := int64(q.out[0]) * int64(q.out[1]) * int64(q.out[2])
	if int64(n)*out > math.MaxInt32 || int64(cin)*in > math.MaxInt32 ||
		int64(cout)*out > math.MaxInt32 {
		panic(fmt.Sprintf("cuda: %s: N %d, Cin %d, Cout %d, input %v, output %v exceed the 32-bit index range of the implicit GEMM",
			op, n, cin, cout, q.in, q.out))
	}
}

// igemmChunks plans the split over positions of the filter gradient: tiles block
// tiles per chunk (row tiles × column tiles × groups), samples × positions positions,
// mr = cpg·R partial elements per group and chunk. It returns the chunk length L (a
// multiple of igemmBK) and the chunks per sample, about igemmTargetBlocks blocks in
// all, chunks of at least igemmMinChunk positions (or the whole sample), the partial
// buffer within igemmPartBudget elements and grid z = groups·samples·chunks within the
// launch limit.
func igemmChunks(tiles, groups, samples, positions, mr int) (l, chunks int) {
	if samples <= 0 || positions <= 0 {
		return igemmBK, 0
	}
	want := max((igemmTargetBlocks+tiles-1)/tiles, 1) // chunks in all
	per := max((want+samples-1)/samples, 1)           // chunks per sample
	per = min(per, max(positions/igemmMinChunk, 1))
	per = min(per, max(igemmPartBudget/max(groups*samples*mr, 1), 1))
	per = min(per, max(igemmMaxGridZ/max(groups*samples, 1), 1))
	l = (positions + per - 1) / per
	l = (l + igemmBK - 1) / igemmBK * igemmBK
	return l, (positions + l - 1) / l
}

// winGeom is a [tensor.ConvGeom] padded to three spatial axes (D, H, W) by leading
// size-1 axes (in 1, kernel 1, stride 1, pad 0, dilation 1, out 1), the layout the
// window kernels of conv.cu and pool.cu take.
type winGeom struct {
	in, k, s, p, d, out [3]int
}

func toWinGeom(g tensor.ConvGeom) winGeom {
	q := winGeom{in: [3]int{1, 1, 1}, k: [3]int{1, 1, 1}, s: [3]int{1, 1, 1}, d: [3]int{1, 1, 1}, out: [3]int{1, 1, 1}}
	off := 3 - len(g.In)
	for i := range g.In {
		q.in[off+i], q.k[off+i], q.s[off+i] = g.In[i], g.Kernel[i], g.Stride[i]
		q.p[off+i], q.d[off+i], q.out[off+i] = g.Pad[i], g.Dilation[i], g.Out[i]
	}
	return q
}

// args returns the 18 geometry arguments of a window kernel (GEOM_PARAMS) in order:
// in, kernel, stride, pad, dilation, out, each (D, H, W).
func (q *winGeom) args() []any {
	out := make([]any, 0, 18)
	for _, v := range [][3]int{q.in, q.k, q.s, q.p, q.d, q.out} {
		out = append(out, v[0], v[1], v[2])
	}
	return out
}
