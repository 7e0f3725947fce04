//go:build cuda

package cuda

import (
	"fmt"
	"slices"
	"unsafe"

	"github.com/selfsup/selfsup/tensor"
)

// The implicit-GEMM convolution (kernels/igemm.cu): [tensor.ImplicitConver] on the GPU.
// The GEMM gathers the im2col columns from the image into shared memory, so no column
// buffer is written to or read from global memory. With TF32 on (see [Device.SetTF32])
// it runs on tensor cores; otherwise in exact fp32.

var (
	_ tensor.ImplicitConver    = (*Device)(nil)
	_ tensor.ConvBiasForwarder = (*Device)(nil)
)

// igemmTabKey identifies a row table: input channels per group and the padded 3-D
// window geometry (input size, kernel, dilation).
type igemmTabKey struct {
	cinG      int
	in, k, dl [3]int
}

// igemmTab returns the device copy of igemmTable(q, cinG), uploading it on first use,
// and its padded row count.
func (d *Device) igemmTab(q *winGeom, cinG int) (tensor.Buffer, int) {
	key := igemmTabKey{cinG: cinG, in: q.in, k: q.k, dl: q.d}
	d.mu.Lock()
	b, ok := d.igemmTabs[key]
	d.mu.Unlock()
	if ok {
		return b, b.Len() / 6
	}
	tab, rows := igemmTable(q, cinG)
	b = d.Alloc(len(tab))
	d.FromHost(b, 0, unsafe.Slice((*float32)(unsafe.Pointer(&tab[0])), len(tab)))
	d.mu.Lock()
	if old, ok := d.igemmTabs[key]; ok { // another goroutine got there first
		d.mu.Unlock()
		d.Free(b)
		return old, rows
	}
	d.igemmTabs[key] = b
	d.mu.Unlock()
	return b, rows
}

// igemmShapes checks x: [N, Cin, *g.In], w: [Cout, Cin/groups, *g.Kernel] and the
// feature tensor f: [N, Cout, *g.Out], all contiguous, and returns N, Cin and Cout.
func igemmShapes(op string, x, w, f *tensor.Tensor, g tensor.ConvGeom, groups int) (n, cin, cout int) {
	winCheckGeom(op, g)
	n, cin = winCheckNCS(op, "x", x, -1, 0, g.In)
	ws := w.Shape()
	if groups < 1 || len(ws) != 2+g.Dims() || cin%groups != 0 || ws[0]%groups != 0 || ws[1] != cin/groups {
		panic(fmt.Sprintf("cuda: %s: x %v, w %v, groups %d: want w [Cout, Cin/groups, *k]", op, x.Shape(), ws, groups))
	}
	winCheckNCS(op, "w", w, ws[0], ws[1], g.Kernel)
	cout = ws[0]
	winCheckNCS(op, "y", f, n, cout, g.Out)
	if groups > igemmMaxGridZ {
		panic(fmt.Sprintf("cuda: %s: %d groups exceed the launch limit %d", op, groups, igemmMaxGridZ))
	}
	return n, cin, cout
}

// ConvForward sets y = conv(x, w) for x: [N, Cin, *g.In], w: [Cout, Cin/groups,
// *g.Kernel], y: [N, Cout, *g.Out] (cross-correlation, no bias); see
// [tensor.ImplicitConver.ConvForward].
func (d *Device) ConvForward(y, x, w *tensor.Tensor, g tensor.ConvGeom, groups int) {
	n, cin, cout := igemmShapes("ConvForward", x, w, y, g, groups)
	d.igemmForward("ConvForward", y, x, w, nil, g, groups, n, cin, cout)
}

// ConvForwardBias sets y = conv(x, w) + b with b: [Cout] added per channel in the
// GEMM's epilogue; see [tensor.ConvBiasForwarder].
func (d *Device) ConvForwardBias(y, x, w, b *tensor.Tensor, g tensor.ConvGeom, groups int) {
	n, cin, cout := igemmShapes("ConvForwardBias", x, w, y, g, groups)
	if !slices.Equal(b.Shape(), []int{cout}) {
		panic(fmt.Sprintf("cuda: ConvForwardBias: b %v, want [%d]", b.Shape(), cout))
	}
	winCheckContig("ConvForwardBias", "b", b)
	d.igemmForward("ConvForwardBias", y, x, w, b, g, groups, n, cin, cout)
}

// igemmForward launches the forward kernel: y: [n, cout, *g.Out] from x: [n, cin,
// *g.In], w: [cout, cin/groups, *g.Kernel] and a bias b: [cout] or nil, all checked by
// the caller.
func (d *Device) igemmForward(op string, y, x, w, b *tensor.Tensor, g tensor.ConvGeom, groups, n, cin, cout int) {
	q := toWinGeom(g)
	igemmCheck(op, n, cin, cout, &q)
	cpg, cinG := cout/groups, cin/groups
	rows, positions := cinG*g.KernelSize(), g.OutSize()
	cols := n * positions
	if cols == 0 || cpg == 0 {
		return
	}
	if rows == 0 {
		d.Fill(y, 0)
		if b != nil {
			d.Binary(tensor.Add, y, y, b.Reshape(append([]int{1, cout}, ones(g.Dims())...)...).Expand(y.Shape()...))
		}
		return
	}
	tab, tabRows := d.igemmTab(&q, cinG)
	ySize := y.Numel()
	bm, splits, kPer := igemmForwardPlan(cols, cpg, groups, rows, ySize)
	var out any = y
	var part tensor.Buffer
	if splits > 1 { // partial outputs, summed into y below
		part = d.Alloc(splits * ySize)
		defer d.Free(part)
		out = part
	}
	grid := [3]int{(cols + igemmBN - 1) / igemmBN, (cpg + bm - 1) / bm, groups * splits}
	d.launch("igemm", igemmKernel("fwd", d.TF32(), bm), grid, [3]int{igemmThreads}, 0,
		out, x, w, tab, cpg, cols, rows, positions, cout, cin, cinG,
		q.out[0], q.out[1], q.out[2], q.in[0], q.in[1], q.in[2],
		q.s[0], q.s[1], q.s[2], q.p[0], q.p[1], q.p[2], splits, kPer, int64(ySize), b,
		tabRows, d.igemmMask(g.KernelSize()))
	if splits > 1 {
		d.launch("igemm", "igemm_wgrad_reduce", [3]int{blocks(ySize, threadsPerBlock)}, [3]int{threadsPerBlock}, 0,
			y, part, int64(ySize), 1, splits, float32(0))
	}
}

// ConvInputGrad sets dx: [N, Cin, *g.In] to the input gradient of y = conv(x, w) for
// dy: [N, Cout, *g.Out]: the forward kernel on dy with the spatially flipped weight
// and padding Dilation·(Kernel−1) − Pad; it needs stride 1 and Pad ≤
// Dilation·(Kernel−1) (see [tensor.ConvInputGradOK]).
func (d *Device) ConvInputGrad(dx, dy, w *tensor.Tensor, g tensor.ConvGeom, groups int) {
	n, cin, cout := igemmShapes("ConvInputGrad", dx, w, dy, g, groups)
	if !tensor.ConvInputGradOK(g) {
		panic(fmt.Sprintf("cuda: ConvInputGrad: stride %v pad %v kernel %v dilation %v: need stride 1 and pad ≤ dilation·(kernel−1)",
			g.Stride, g.Pad, g.Kernel, g.Dilation))
	}
	pad := make([]int, g.Dims())
	for i := range pad {
		pad[i] = g.Dilation[i]*(g.Kernel[i]-1) - g.Pad[i]
	}
	gf := tensor.NewConvGeom(g.Out, g.Kernel, nil, pad, g.Dilation)
	if !slices.Equal(gf.Out, g.In) {
		panic(fmt.Sprintf("cuda: ConvInputGrad: flipped geometry gives %v, want the input size %v", gf.Out, g.In))
	}
	cpg, cinG, ks := cout/groups, cin/groups, g.KernelSize()
	wf := tensor.New(d, append([]int{cin, cpg}, g.Kernel...)...)
	defer d.Free(wf.Buffer()) // queued kernels still see it (see Free)
	if total := w.Numel(); total > 0 {
		d.launch("igemm", "conv_flip_weights", [3]int{blocks(total, threadsPerBlock)}, [3]int{threadsPerBlock}, 0,
			wf, w, int64(total), cpg, cinG, ks)
	}
	d.igemmForward("ConvInputGrad", dx, dy, wf, nil, gf, groups, n, cout, cin)
}

// ConvFilterGrad sets dw: [Cout, Cin/groups, *g.Kernel] = beta·dw + Σ_n dy_n·cols(x_n)ᵀ
// per group for x: [N, Cin, *g.In] and dy: [N, Cout, *g.Out] (beta = 0 ignores dw's
// contents): the positions are split into chunks whose partial products are summed
// in a fixed order, so results are deterministic.
func (d *Device) ConvFilterGrad(dw, x, dy *tensor.Tensor, g tensor.ConvGeom, groups int, beta float32) {
	n, cin, cout := igemmShapes("ConvFilterGrad", x, dw, dy, g, groups)
	q := toWinGeom(g)
	igemmCheck("ConvFilterGrad", n, cin, cout, &q)
	cpg, cinG := cout/groups, cin/groups
	rows, positions := cinG*g.KernelSize(), g.OutSize()
	mr := cpg * rows
	if mr == 0 {
		return
	}
	bm := igemmTileRows(cpg)
	tilesX, tilesY := (rows+igemmBN-1)/igemmBN, (cpg+bm-1)/bm
	if groups*n > igemmMaxGridZ {
		panic(fmt.Sprintf("cuda: ConvFilterGrad: %d groups × %d samples exceed the launch limit %d", groups, n, igemmMaxGridZ))
	}
	l, chunks := igemmChunks(tilesX*tilesY*groups, groups, n, positions, mr)
	part := dw.Buffer() // unused when there is nothing to sum
	if chunks > 0 {
		part = d.Alloc(groups * n * chunks * mr)
		defer d.Free(part)
		tab, _ := d.igemmTab(&q, cinG)
		grid := [3]int{tilesX, tilesY, groups * n * chunks}
		d.launch("igemm", igemmKernel("wgrad", d.TF32(), bm), grid, [3]int{igemmThreads}, 0,
			part, x, dy, tab, cpg, rows, positions, cout, cin, cinG,
			q.out[0], q.out[1], q.out[2], q.in[0], q.in[1], q.in[2],
			q.s[0], q.s[1], q.s[2], q.p[0], q.p[1], q.p[2], n, chunks, l, igemmPackTaps(&q))
	}
	total := groups * mr
	d.launch("igemm", "igemm_wgrad_reduce", [3]int{blocks(total, threadsPerBlock)}, [3]int{threadsPerBlock}, 0,
		dw, part, int64(mr), groups, n*chunks, beta)
}

// igemmMask returns the KS argument of the forward kernel for windows of ks taps (see
// igemmMaskTaps); SELFSUP_IGEMM_COORD=1 turns the tap masks off (coordinate tests per
// element), for comparing the two in benchmarks.
func (d *Device) igemmMask(ks int) int {
	if d.igemmCoord {
		return 0
	}
	return igemmMaskTaps(ks)
}

// ones returns n ones.
func ones(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = 1
	}
	return s
}
