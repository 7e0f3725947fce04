package nn

import (
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/tensor"
)

// ConvOptions configures [Tape.Conv]. Nil or empty slices mean stride 1, padding 0 and
// dilation 1; a slice with one entry applies to every spatial axis. Groups 0 means 1.
// Same is PyTorch's padding='same': the stride must be 1 and Padding empty; when the
// total padding Dilation·(k−1) of an axis is odd, the extra zero goes on the high side.
type ConvOptions struct {
	Stride   []int // per spatial axis; nil/empty → 1, one entry → all axes
	Padding  []int // zeros added on both sides of each spatial axis; nil/empty → 0
	Dilation []int // spacing between kernel taps per spatial axis; nil/empty → 1
	Groups   int   // channel groups; Cin and Cout must be divisible by it; 0 → 1
	Same     bool  // output spatial size equals the input's; needs stride 1 and zero Padding
}

// colBudget bounds the elements of one im2col buffer on the CPU: batches whose columns
// would be larger are processed a few samples at a time. gpuColBudget is the bound on
// other devices (1 GiB of columns), where a whole batch per GEMM matters far more than
// the memory.
var (
	colBudget    = 1 << 24
	gpuColBudget = 1 << 28
)

// batchedConv reports whether convolutions on dev use the accelerator strategy: the
// large column budget and the filter gradient as one batched split-K GEMM over samples
// and spatial slices followed by a reduction (see accumFilterTBatched), instead of one
// GEMM per sample with a long inner dimension (a handful of thread blocks on a GPU). It
// is a variable so that the CPU tests can exercise that path.
var batchedConv = func(dev tensor.Device) bool {
	_, cpu := dev.(tensor.CPU)
	return !cpu
}

// directFilter reports whether the filter gradient on dev is accumulated directly in
// the weight layout, dw: [G, Cout/G, rows] = feat·colsᵀ, instead of transposed. It is
// chosen on devices with TF32 GEMMs switched on (a TF32() bool method returning true)
// for 16 ≤ Cout/G < 64 ≤ rows: the GEMM's N side is then the long rows axis, which
// the TF32 kernels need (N ≥ 64), where the transposed product has N = Cout/G and runs
// in exact fp32; it also saves the final transposing copy. Exact fp32 devices keep the
// transposed form. A variable so that the CPU tests can exercise that path.
var directFilter = func(dev tensor.Device, cpg, rows int) bool {
	t, ok := dev.(interface{ TF32() bool })
	return ok && t.TF32() && batchedConv(dev) && cpg >= 16 && cpg < 64 && rows >= 64
}

// useImplicit switches the implicit-GEMM convolution of devices that have it (see
// implicitConv); a variable so that tests can compare it with the im2col path.
var useImplicit = true

// implicitConv returns dev's implicit-GEMM convolution ([tensor.ImplicitConver]: no
// column buffer, the GEMM gathers the columns from the image) when it has one: always
// on the CPU; on accelerators (see batchedConv) only with TF32 switched on (a TF32()
// bool method returning true), where it runs on tensor cores — in exact fp32 the
// im2col path's tuned GEMMs are kept.
func implicitConv(dev tensor.Device) (tensor.ImplicitConver, bool) {
	if !useImplicit {
		return nil, false
	}
	if batchedConv(dev) {
		if t, ok := dev.(interface{ TF32() bool }); !ok || !t.TF32() {
			return nil, false
		}
	}
	ic, ok := dev.(tensor.ImplicitConver)
	return ic, ok
}

// convInputGradAdder returns dev's in-place input gradient ([tensor.ConvInputGradAdder])
// when the convolutions of dev use the implicit GEMM and g suits it.
func convInputGradAdder(dev tensor.Device, g tensor.ConvGeom) (tensor.ConvInputGradAdder, bool) {
	ic, ok := implicitConv(dev)
	if !ok || !tensor.ConvInputGradOK(g) {
		return nil, false
	}
	a, ok := ic.(tensor.ConvInputGradAdder)
	return a, ok
}

// Split-K targets of accumFilterTBatched: about filterTargetBlocks 64×64 output tiles
// in all, slices of at least filterMinSlice positions, and a partial-product buffer of
// at most filterPartBudget elements (variables so that tests can force small slices).
const filterTargetBlocks = 2048

var (
	filterMinSlice   = 256
	filterPartBudget = 1 << 26
)

// Conv is the N-d convolution of PyTorch (torch.nn.functional.conv1d/2d/3d, i.e.
// cross-correlation): x: [N, Cin, *in] with 1–3 spatial axes (rank 3, 4 or 5),
// w: [Cout, Cin/groups, *k], b: [Cout] or nil → [N, Cout, *out] with
// out = ⌊(in + 2·pad − dilation·(k−1) − 1)/stride⌋ + 1 (out = in when o.Same).
// It is computed as an implicit GEMM on devices that have one (the CPU; a GPU with TF32), else as
// im2col followed by one batched GEMM per group.
func (tp *Tape) Conv(x, w, b *Var, o ConvOptions) *Var {
	xs, ws := x.Shape(), slices.Clone(w.Shape())
	r := len(xs)
	groups := max(o.Groups, 1)
	if r < 3 || r > 5 || len(ws) != r {
		panic(fmt.Sprintf("nn: Conv: x %v, w %v: need [N, C, *s] and [Cout, Cin/groups, *k] with 1–3 spatial axes", xs, ws))
	}
	cin, cout := xs[1], ws[0]
	if cin%groups != 0 || cout%groups != 0 || ws[1] != cin/groups {
		panic(fmt.Sprintf("nn: Conv: x %v, w %v, groups %d: channel mismatch", xs, ws, groups))
	}
	checkBias("Conv", b, cout)
	nd := r - 2
	in, kernel := xs[2:], ws[2:]
	stride := expandInts("Conv", "stride", o.Stride, nd, 1)
	pad := expandInts("Conv", "padding", o.Padding, nd, 0)
	dil := expandInts("Conv", "dilation", o.Dilation, nd, 1)

	xv := x.Value.Contiguous()
	var extra []int // Same with odd total padding: zeros added on the high side
	if o.Same {
		for i := range nd {
			if stride[i] != 1 || pad[i] != 0 {
				panic(fmt.Sprintf("nn: Conv: padding 'same' needs stride 1 and no explicit padding (stride %v, padding %v)", o.Stride, o.Padding))
			}
			total := dil[i] * (kernel[i] - 1)
			pad[i] = total / 2
			if total%2 == 1 {
				if extra == nil {
					extra = make([]int, nd)
				}
				extra[i] = 1
			}
		}
		if extra != nil {
			xp := padHigh(xv, extra)
			freeCopy(xv, x.Value)
			xv = xp
		}
	}
	g := tensor.NewConvGeom(xv.Shape()[2:], kernel, stride, pad, dil)
	wv := w.Value.Contiguous()

	var bv *tensor.Tensor
	if b != nil {
		bv = b.Value
	}
	y := convForward(xv, wv, bv, g, groups)
	out := tp.result(y, x, w, b)
	// The input and weight copies (contiguous, padded) live until the backward pass.
	tp.keepTemp(xv, x.Value, tp.needsGrad(x, w, b))
	tp.keepTemp(wv, w.Value, tp.needsGrad(x, w, b))
	if tp.needsGrad(x, w, b) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			dy := out.Grad
			// An input that already has a gradient (a residual connection) takes the
			// input gradient added in place where the device can.
			adder, addX := convInputGradAdder(xv.Device(), g)
			addX = addX && extra == nil && x.RequiresGrad() && x.Grad != nil && x.Grad.IsContiguous()
			dx, dw := convBackward(dy, xv, wv, g, groups, x.RequiresGrad() && !addX, w.RequiresGrad())
			if addX {
				dc := dy.Contiguous()
				adder.ConvInputGradAdd(x.Grad, dc, wv, g, groups)
				freeCopy(dc, dy)
			}
			if dx != nil {
				if extra != nil {
					full := dx
					dx = cropTo(dx, in)
					full.Device().Free(full.Buffer())
				}
				accumulateOwned(x, dx)
			}
			if dw != nil {
				accumulateOwned(w, dw)
			}
			if b != nil && b.RequiresGrad() {
				accumulateOwned(b, channelBiasGrad(dy))
			}
		})
	}
	return out
}

// convPlan holds what the im2col-based convolution helpers share: the geometry, the
// group sizes and one reusable column buffer. "Image" is the convolution's input side
// (x: [N, Cin, *g.In]) and "feature" its output side ([N, Cout, *g.Out]); the weight is
// w: [Cout, Cin/G, *g.Kernel]. The transposed convolution uses the same plan with the
// roles of its input and output exchanged.
type convPlan struct {
	dev       tensor.Device
	g         tensor.ConvGeom
	groups    int
	cpg       int // Cout/G
	rows      int // (Cin/G)·∏K: rows of one group's columns
	outSize   int // ∏Out
	nb        int // samples per chunk
	pointwise bool
	direct    bool           // filter gradient accumulated as dw: [G, Cout/G, rows] (see directFilter)
	col       *tensor.Tensor // [nb, Cin·∏K, ∏Out]; nil when pointwise
}

// newConvPlan plans a convolution of n samples with cin image channels.
func newConvPlan(dev tensor.Device, g tensor.ConvGeom, groups int, wShape []int, n, cin int) *convPlan {
	p := &convPlan{dev: dev, g: g, groups: groups, cpg: wShape[0] / groups,
		rows: cin / groups * g.KernelSize(), outSize: g.OutSize(), pointwise: isPointwise(g)}
	p.nb = max(n, 1)
	p.direct = directFilter(dev, p.cpg, p.rows)
	if !p.pointwise {
		budget := colBudget
		if batchedConv(dev) {
			budget = gpuColBudget
		}
		if per := cin * g.KernelSize() * p.outSize; per > 0 {
			p.nb = min(p.nb, max(budget/per, 1))
		}
		p.col = tensor.New(dev, p.nb, cin*g.KernelSize(), p.outSize)
	}
	return p
}

// release frees the column buffer (on the CPU it goes back to the buffer cache for the
// next convolution).
func (p *convPlan) release() {
	if p.col != nil {
		free(p.col)
		p.col = nil
	}
}

// weight returns w viewed [m, G, Cout/G, rows], broadcast over the m samples.
func (p *convPlan) weight(w *tensor.Tensor, m int) *tensor.Tensor {
	return w.Reshape(1, p.groups, p.cpg, p.rows).Expand(m, p.groups, p.cpg, p.rows)
}

// feat returns samples [n0, n0+m) of a feature tensor viewed [m, G, Cout/G, ∏Out].
func (p *convPlan) feat(t *tensor.Tensor, n0, m int) *tensor.Tensor {
	return t.Slice(0, n0, n0+m).Reshape(m, p.groups, p.cpg, p.outSize)
}

// unfold returns the columns of samples [n0, n0+m) of img viewed [m, G, rows, ∏Out]
// (img itself when the kernel is pointwise).
func (p *convPlan) unfold(img *tensor.Tensor, n0, m int) *tensor.Tensor {
	src := img.Slice(0, n0, n0+m)
	if p.pointwise {
		return src.Reshape(m, p.groups, p.rows, p.outSize)
	}
	cs := p.col.Slice(0, 0, m)
	p.dev.Im2Col(cs, src, p.g)
	return cs.Reshape(m, p.groups, p.rows, p.outSize)
}

// fold computes samples [n0, n0+m) of the zeroed img (or, pointwise, overwrites them)
// from the feature gradient: columns = wᵀ·feat per group, then col2im.
func (p *convPlan) fold(img, w, feat *tensor.Tensor, n0, m int) {
	f := p.feat(feat, n0, m)
	if p.pointwise {
		p.dev.MatMul(img.Slice(0, n0, n0+m).Reshape(m, p.groups, p.rows, p.outSize), p.weight(w, m), f, true, false, 1, 0)
		return
	}
	cs := p.col.Slice(0, 0, m)
	p.dev.MatMul(cs.Reshape(m, p.groups, p.rows, p.outSize), p.weight(w, m), f, true, false, 1, 0)
	p.dev.Col2Im(img.Slice(0, n0, n0+m), cs, p.g)
}

// newImage returns an image-side tensor ready for fold: zeroed unless pointwise.
func (p *convPlan) newImage(shape []int) *tensor.Tensor {
	if p.pointwise {
		return tensor.New(p.dev, shape...)
	}
	return tensor.Zeros(p.dev, shape...)
}

// newFilterT returns the accumulator of the filter gradient, stored transposed:
// dwᵀ: [G, rows, Cout/G]. Accumulating cols·featᵀ is the faster GEMM shape (the long
// ∏Out axis is contiguous in both operands); finishFilter transposes it once. With
// p.direct it is dw: [G, Cout/G, rows] instead (see directFilter).
func (p *convPlan) newFilterT() *tensor.Tensor {
	if p.direct {
		return tensor.New(p.dev, p.groups, p.cpg, p.rows)
	}
	return tensor.New(p.dev, p.groups, p.rows, p.cpg)
}

// filterProduct computes dst = a·bᵀ + beta·dst for the filter gradient from the column
// operand cols: [..., rows, L] and the feature operand feat: [..., Cout/G, L]:
// cols·featᵀ (dst [..., rows, Cout/G]), or feat·colsᵀ (dst [..., Cout/G, rows]) when
// p.direct.
func (p *convPlan) filterProduct(dst, cols, feat *tensor.Tensor, beta float32) {
	if p.direct {
		p.dev.MatMul(dst, feat, cols, false, true, 1, beta)
		return
	}
	p.dev.MatMul(dst, cols, feat, false, true, 1, beta)
}

// accumFilterT adds Σ_i colsᵢ·featᵢᵀ over the m samples of c: [m, G, rows, ∏Out] and
// f: [m, G, Cout/G, ∏Out] into dwT: [G, rows, Cout/G] ([G, Cout/G, rows] with p.direct:
// Σ_i featᵢ·colsᵢᵀ); first overwrites it instead.
func (p *convPlan) accumFilterT(dwT, c, f *tensor.Tensor, first bool) {
	if batchedConv(p.dev) {
		p.accumFilterTBatched(dwT, c, f, first)
		return
	}
	for i := range c.Dim(0) {
		beta := float32(1)
		if first && i == 0 {
			beta = 0
		}
		a := c.Slice(0, i, i+1).Reshape(p.groups, p.rows, p.outSize)
		b := f.Slice(0, i, i+1).Reshape(p.groups, p.cpg, p.outSize)
		p.filterProduct(dwT, a, b, beta)
	}
}

// accumFilterTBatched is accumFilterT as one GEMM launch: the ∏Out axis is cut into S
// slices of length L (S divides ∏Out), the partial products
// part[i, s, g] = c[i, g, :, sL:(s+1)L]·f[i, g, :, sL:(s+1)L]ᵀ: [m, S, G, rows, Cout/G]
// come from one batched MatMul and are summed over (i, s) by ReduceSum.
func (p *convPlan) accumFilterTBatched(dwT, c, f *tensor.Tensor, first bool) {
	m := c.Dim(0)
	beta := float32(1)
	if first {
		beta = 0
	}
	s := filterSplits(m, p.groups, p.rows, p.cpg, p.outSize)
	if m*s == 1 {
		p.filterProduct(dwT, c.Reshape(p.groups, p.rows, p.outSize), f.Reshape(p.groups, p.cpg, p.outSize), beta)
		return
	}
	fr, fc := p.rows, p.cpg // the two axes of dwT
	if p.direct {
		fr, fc = p.cpg, p.rows
	}
	l := p.outSize / s
	a := c.Reshape(m, p.groups, p.rows, s, l).Permute(0, 3, 1, 2, 4) // [m, S, G, rows, L]
	b := f.Reshape(m, p.groups, p.cpg, s, l).Permute(0, 3, 1, 2, 4)  // [m, S, G, Cout/G, L]
	part := tensor.New(p.dev, m, s, p.groups, fr, fc)
	p.filterProduct(part, a, b, 0)
	if first {
		p.dev.ReduceSum(dwT.Reshape(1, 1, p.groups, fr, fc), part)
	} else {
		sum := tensor.New(p.dev, 1, 1, p.groups, fr, fc)
		p.dev.ReduceSum(sum, part)
		p.dev.Binary(tensor.Add, dwT, dwT, sum.Reshape(p.groups, fr, fc))
		p.dev.Free(sum.Buffer())
	}
	p.dev.Free(part.Buffer())
}

// filterSplits returns the number S of slices (a divisor of outSize, built from the
// factors 2, 3, 5 and 7) that accumFilterTBatched cuts the ∏Out axis into: grown while
// the GEMM grid of m·S·G products of rows×cpg (in 64×64 tiles) is below
// filterTargetBlocks, slices stay ≥ filterMinSlice and the partial products fit in
// filterPartBudget elements.
func filterSplits(m, groups, rows, cpg, outSize int) int {
	tiles := m * groups * ((rows + 63) / 64) * ((cpg + 63) / 64)
	part := m * groups * rows * cpg
	s := 1
	for tiles*s < filterTargetBlocks {
		f := 0
		for _, q := range []int{2, 3, 5, 7} {
			if (outSize/s)%q == 0 {
				f = q
				break
			}
		}
		if f == 0 || outSize/(s*f) < filterMinSlice || part*s*f > filterPartBudget {
			break
		}
		s *= f
	}
	return s
}

// finishFilter returns dw: wShape = [Cout, Cin/G, *K] from the accumulated dwT (which
// it frees, or with p.direct returns reshaped); n == 0 samples gives zeros.
func (p *convPlan) finishFilter(dwT *tensor.Tensor, wShape []int, n int) *tensor.Tensor {
	if p.direct {
		if n == 0 {
			p.dev.Fill(dwT, 0)
		}
		return dwT.Reshape(wShape...)
	}
	dw := tensor.New(p.dev, wShape...)
	if n == 0 {
		p.dev.Fill(dw, 0)
	} else {
		p.dev.CopyStrided(dw.Reshape(p.groups, p.cpg, p.rows), dwT.Transpose(1, 2))
	}
	p.dev.Free(dwT.Buffer())
	return dw
}

// convForward computes y: [N, Cout, *g.Out] = conv(x: [N, Cin, *g.In], w: [Cout,
// Cin/groups, *g.Kernel]) without bias: per chunk of samples, columns = im2col(x) viewed
// [m, G, (Cin/G)·∏K, ∏Out], w viewed [G, Cout/G, (Cin/G)·∏K] broadcast over m, and one
// batched MatMul. A 1×1 kernel with stride 1 and no padding uses x as its columns.
// x and w must be contiguous. Devices with an implicit GEMM (see implicitConv) use it
// instead. A non-nil bias b: [Cout] is added per channel, in the same pass where the
// device has [tensor.ConvBiasForwarder].
func convForward(x, w, b *tensor.Tensor, g tensor.ConvGeom, groups int) *tensor.Tensor {
	n := x.Dim(0)
	if ic, ok := implicitConv(x.Device()); ok {
		y := tensor.New(x.Device(), append([]int{n, w.Dim(0)}, g.Out...)...)
		if bf, ok := ic.(tensor.ConvBiasForwarder); ok && b != nil {
			bc := b.Contiguous()
			bf.ConvForwardBias(y, x, w, bc, g, groups)
			freeCopy(bc, b)
			return y
		}
		ic.ConvForward(y, x, w, g, groups)
		if b != nil {
			addChannelBias(y, b)
		}
		return y
	}
	p := newConvPlan(x.Device(), g, groups, w.Shape(), n, x.Dim(1))
	defer p.release()
	y := tensor.New(p.dev, append([]int{n, w.Dim(0)}, g.Out...)...)
	for n0 := 0; n0 < n; n0 += p.nb {
		m := min(p.nb, n-n0)
		c := p.unfold(x, n0, m)
		p.dev.MatMul(p.feat(y, n0, m), p.weight(w, m), c, false, false, 1, 0)
	}
	if b != nil {
		addChannelBias(y, b)
	}
	return y
}

// convImage computes the image-side tensor of shape imgShape = [N, Cin, *g.In] from
// feat: [N, Cout, *g.Out]: wᵀ·feat per group folded by col2im. It is the input gradient
// of the convolution and the forward pass of the transposed convolution. w must be
// contiguous. With an implicit GEMM (see implicitConv) and stride 1 (and padding ≤
// dilation·(k−1)) it is a forward convolution of feat with the flipped weight.
func convImage(feat, w *tensor.Tensor, g tensor.ConvGeom, groups int, imgShape []int) *tensor.Tensor {
	n := imgShape[0]
	if ic, ok := implicitConv(feat.Device()); ok && tensor.ConvInputGradOK(g) {
		fc := feat.Contiguous()
		img := tensor.New(feat.Device(), imgShape...)
		ic.ConvInputGrad(img, fc, w, g, groups)
		freeCopy(fc, feat)
		return img
	}
	p := newConvPlan(feat.Device(), g, groups, w.Shape(), n, imgShape[1])
	defer p.release()
	img := p.newImage(imgShape)
	for n0 := 0; n0 < n; n0 += p.nb {
		p.fold(img, w, feat, n0, min(p.nb, n-n0))
	}
	return img
}

// convBackward returns the gradients of the convolution y = conv(x, w) for dy:
// dx (when wantX) and dw = Σ_n dy_n·im2col(x_n)ᵀ (when wantW); nil when not wanted.
// Both share one column buffer per chunk. x and w must be contiguous. With an implicit
// GEMM (see implicitConv) there is no column buffer: dw comes from ConvFilterGrad and
// dx from convImage.
func convBackward(dy, x, w *tensor.Tensor, g tensor.ConvGeom, groups int, wantX, wantW bool) (dx, dw *tensor.Tensor) {
	n := x.Dim(0)
	if ic, ok := implicitConv(x.Device()); ok {
		dc := dy.Contiguous()
		if wantW {
			dw = tensor.New(x.Device(), w.Shape()...)
			ic.ConvFilterGrad(dw, x, dc, g, groups, 0)
		}
		if wantX {
			dx = convImage(dc, w, g, groups, x.Shape())
		}
		freeCopy(dc, dy)
		return dx, dw
	}
	p := newConvPlan(x.Device(), g, groups, w.Shape(), n, x.Dim(1))
	defer p.release()
	var dwT *tensor.Tensor
	if wantX {
		dx = p.newImage(x.Shape())
	}
	if wantW {
		dwT = p.newFilterT()
	}
	for n0 := 0; n0 < n; n0 += p.nb {
		m := min(p.nb, n-n0)
		if wantW {
			p.accumFilterT(dwT, p.unfold(x, n0, m), p.feat(dy, n0, m), n0 == 0)
		}
		if wantX {
			p.fold(dx, w, dy, n0, m)
		}
	}
	if wantW {
		dw = p.finishFilter(dwT, w.Shape(), n)
	}
	return dx, dw
}

// accumulateOwned is accumulate for a fresh gradient g that nothing else uses: when v
// needs no gradient, g's buffer is freed at once; otherwise v adopts g, or adds it and
// the tape frees it at the next Reset.
func accumulateOwned(v *Var, g *tensor.Tensor) {
	if v == nil || !v.requiresGrad {
		g.Device().Free(g.Buffer())
		return
	}
	accumulate(v, g)
}

// isPointwise reports whether im2col is the identity: 1×1 kernel, stride 1, no padding.
func isPointwise(g tensor.ConvGeom) bool {
	for i := range g.Kernel {
		if g.Kernel[i] != 1 || g.Stride[i] != 1 || g.Pad[i] != 0 {
			return false
		}
	}
	return true
}

// checkBias panics unless b is nil or has shape [c].
func checkBias(op string, b *Var, c int) {
	if b != nil && (b.Value.Rank() != 1 || b.Shape()[0] != c) {
		panic(fmt.Sprintf("nn: %s: bias %v, want [%d]", op, b.Shape(), c))
	}
}

// addChannelBias adds b: [C] to y: [N, C, *s] in place, broadcasting over N and s.
func addChannelBias(y, b *tensor.Tensor) {
	shape := make([]int, y.Rank())
	for i := range shape {
		shape[i] = 1
	}
	shape[1] = y.Dim(1)
	bc := b.Contiguous()
	y.Device().Binary(tensor.Add, y, y, bc.Reshape(shape...).Expand(y.Shape()...))
	freeCopy(bc, b)
}

// channelBiasGrad returns db: [C] = Σ dy over N and the spatial axes of dy: [N, C, *s].
func channelBiasGrad(dy *tensor.Tensor) *tensor.Tensor {
	shape := make([]int, dy.Rank())
	for i := range shape {
		shape[i] = 1
	}
	shape[1] = dy.Dim(1)
	db := tensor.New(dy.Device(), shape...)
	dy.Device().ReduceSum(db, dy)
	return db.Reshape(dy.Dim(1))
}

// padHigh returns x: [N, C, *s] zero-padded by extra[i] elements at the high end of
// spatial axis i.
func padHigh(x *tensor.Tensor, extra []int) *tensor.Tensor {
	shape := slices.Clone(x.Shape())
	for i, e := range extra {
		shape[2+i] += e
	}
	xp := tensor.Zeros(x.Device(), shape...)
	inner := xp
	for i := range extra {
		inner = inner.Slice(2+i, 0, x.Dim(2+i))
	}
	x.Device().CopyStrided(inner, x)
	return xp
}

// cropTo returns a contiguous copy of the low corner of x: [N, C, *s] with spatial size
// in (the adjoint of padHigh).
func cropTo(x *tensor.Tensor, in []int) *tensor.Tensor {
	v := x
	for i, d := range in {
		v = v.Slice(2+i, 0, d)
	}
	return v.Clone()
}

// expandInts returns v with one entry per spatial axis: def when v is empty, v[0]
// repeated when it has one entry, v itself (copied) when it has n.
func expandInts(op, name string, v []int, n, def int) []int {
	out := make([]int, n)
	switch len(v) {
	case 0:
		for i := range out {
			out[i] = def
		}
	case 1:
		for i := range out {
			out[i] = v[0]
		}
	case n:
		copy(out, v)
	default:
		panic(fmt.Sprintf("nn: %s: %s %v for %d spatial axes", op, name, v, n))
	}
	return out
}
