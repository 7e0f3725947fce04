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
	Stride, Padding, Dilation []int
	Groups                    int
	Same                      bool
}

// colBudget bounds the elements of one im2col buffer: batches whose columns would be
// larger are processed a few samples at a time.
var colBudget = 1 << 24

// Conv is the N-d convolution of PyTorch (torch.nn.functional.conv1d/2d/3d, i.e.
// cross-correlation): x: [N, Cin, *in] with 1–3 spatial axes (rank 3, 4 or 5),
// w: [Cout, Cin/groups, *k], b: [Cout] or nil → [N, Cout, *out] with
// out = ⌊(in + 2·pad − dilation·(k−1) − 1)/stride⌋ + 1 (out = in when o.Same).
// It is computed as im2col followed by one batched GEMM per group.
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
			xv = padHigh(xv, extra)
		}
	}
	g := tensor.NewConvGeom(xv.Shape()[2:], kernel, stride, pad, dil)
	wv := w.Value.Contiguous()

	y := convForward(xv, wv, g, groups)
	if b != nil {
		addChannelBias(y, b.Value)
	}
	out := tp.result(y, x, w, b)
	if tp.needsGrad(x, w, b) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			dy := out.Grad
			if x.RequiresGrad() {
				dx := convDataGrad(dy, wv, g, groups, xv.Shape())
				if extra != nil {
					dx = cropTo(dx, in)
				}
				accumulate(x, dx)
			}
			if w.RequiresGrad() {
				accumulate(w, convFilterGrad(dy, xv, g, groups, ws))
			}
			if b != nil && b.RequiresGrad() {
				accumulate(b, channelBiasGrad(dy))
			}
		})
	}
	return out
}

// convForward computes y: [N, Cout, *g.Out] = conv(x: [N, Cin, *g.In], w: [Cout,
// Cin/groups, *g.Kernel]) without bias. Per chunk of samples: col = im2col(x) viewed
// [m, G, (Cin/G)·∏K, ∏Out], w viewed [1, G, Cout/G, (Cin/G)·∏K] broadcast over m, and
// one batched MatMul. A 1×1 kernel with stride 1 and no padding uses x as col.
func convForward(x, w *tensor.Tensor, g tensor.ConvGeom, groups int) *tensor.Tensor {
	dev := x.Device()
	n, cin := x.Dim(0), x.Dim(1)
	cout := w.Dim(0)
	cpg := cout / groups
	rows := w.Numel() / cout // (Cin/G)·∏K
	outSize := g.OutSize()
	y := tensor.New(dev, append([]int{n, cout}, g.Out...)...)
	wv := w.Reshape(1, groups, cpg, rows)
	pointwise := isPointwise(g)
	nb := colChunk(n, cin*g.KernelSize()*outSize, pointwise)
	var col *tensor.Tensor
	if !pointwise {
		col = tensor.New(dev, nb, cin*g.KernelSize(), outSize)
		defer dev.Free(col.Buffer())
	}
	for n0 := 0; n0 < n; n0 += nb {
		m := min(nb, n-n0)
		xs := x.Slice(0, n0, n0+m)
		var c *tensor.Tensor
		if pointwise {
			c = xs.Reshape(m, groups, rows, outSize)
		} else {
			cs := col.Slice(0, 0, m)
			dev.Im2Col(cs, xs, g)
			c = cs.Reshape(m, groups, rows, outSize)
		}
		ys := y.Slice(0, n0, n0+m).Reshape(m, groups, cpg, outSize)
		dev.MatMul(ys, wv.Expand(m, groups, cpg, rows), c, false, false, 1, 0)
	}
	return y
}

// convDataGrad computes dx: xShape = [N, Cin, *g.In] from dy: [N, Cout, *g.Out] for the
// convolution with w: [Cout, Cin/groups, *g.Kernel]: dcol = wᵀ·dy per group, then
// col2im into a zeroed dx. (It is also the forward pass of the transposed convolution.)
func convDataGrad(dy, w *tensor.Tensor, g tensor.ConvGeom, groups int, xShape []int) *tensor.Tensor {
	dev := dy.Device()
	n, cin := xShape[0], xShape[1]
	cout := w.Dim(0)
	cpg := cout / groups
	rows := w.Numel() / cout
	outSize := g.OutSize()
	wv := w.Reshape(1, groups, cpg, rows)
	pointwise := isPointwise(g)
	nb := colChunk(n, cin*g.KernelSize()*outSize, pointwise)
	var dx, col *tensor.Tensor
	if pointwise {
		dx = tensor.New(dev, xShape...)
	} else {
		dx = tensor.Zeros(dev, xShape...)
		col = tensor.New(dev, nb, cin*g.KernelSize(), outSize)
		defer dev.Free(col.Buffer())
	}
	for n0 := 0; n0 < n; n0 += nb {
		m := min(nb, n-n0)
		dys := dy.Slice(0, n0, n0+m).Reshape(m, groups, cpg, outSize)
		we := wv.Expand(m, groups, cpg, rows)
		if pointwise {
			dev.MatMul(dx.Slice(0, n0, n0+m).Reshape(m, groups, rows, outSize), we, dys, true, false, 1, 0)
			continue
		}
		cs := col.Slice(0, 0, m)
		dev.MatMul(cs.Reshape(m, groups, rows, outSize), we, dys, true, false, 1, 0)
		dev.Col2Im(dx.Slice(0, n0, n0+m), cs, g)
	}
	return dx
}

// convFilterGrad computes dw: wShape = [Cout, Cin/groups, *g.Kernel] = Σ_n dy_n·col_nᵀ
// per group, from dy: [N, Cout, *g.Out] and x: [N, Cin, *g.In].
func convFilterGrad(dy, x *tensor.Tensor, g tensor.ConvGeom, groups int, wShape []int) *tensor.Tensor {
	dev := dy.Device()
	n, cin := x.Dim(0), x.Dim(1)
	cout := wShape[0]
	cpg := cout / groups
	dw := tensor.New(dev, wShape...)
	rows := dw.Numel() / cout
	outSize := g.OutSize()
	dwv := dw.Reshape(groups, cpg, rows)
	pointwise := isPointwise(g)
	nb := colChunk(n, cin*g.KernelSize()*outSize, pointwise)
	var col *tensor.Tensor
	if !pointwise {
		col = tensor.New(dev, nb, cin*g.KernelSize(), outSize)
		defer dev.Free(col.Buffer())
	}
	if n == 0 {
		dev.Fill(dw, 0)
	}
	for n0 := 0; n0 < n; n0 += nb {
		m := min(nb, n-n0)
		var c *tensor.Tensor
		if pointwise {
			c = x.Slice(0, n0, n0+m).Reshape(m, groups, rows, outSize)
		} else {
			cs := col.Slice(0, 0, m)
			dev.Im2Col(cs, x.Slice(0, n0, n0+m), g)
			c = cs.Reshape(m, groups, rows, outSize)
		}
		dys := dy.Slice(0, n0, n0+m).Reshape(m, groups, cpg, outSize)
		for i := range m {
			beta := float32(1)
			if n0+i == 0 {
				beta = 0
			}
			a := dys.Slice(0, i, i+1).Reshape(groups, cpg, outSize)
			bm := c.Slice(0, i, i+1).Reshape(groups, rows, outSize)
			dev.MatMul(dwv, a, bm, false, true, 1, beta)
		}
	}
	return dw
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

// colChunk returns how many samples of perSample column elements to unfold at once.
func colChunk(n, perSample int, pointwise bool) int {
	if pointwise || perSample == 0 {
		return max(n, 1)
	}
	return min(max(n, 1), max(colBudget/perSample, 1))
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
	bv := b.Contiguous().Reshape(shape...).Expand(y.Shape()...)
	y.Device().Binary(tensor.Add, y, y, bv)
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
