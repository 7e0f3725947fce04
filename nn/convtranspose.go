package nn

import (
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/tensor"
)

// ConvTransposeOptions configures [Tape.ConvTranspose]. Nil or empty slices mean
// stride 1, padding 0, output padding 0 and dilation 1; a slice with one entry applies
// to every spatial axis. Groups 0 means 1.
type ConvTransposeOptions struct {
	Stride        []int // per spatial axis; nil/empty → 1, one entry → all axes
	Padding       []int // removed from both sides of each output axis; nil/empty → 0
	OutputPadding []int // extra size added on the high side of each output axis; must be < stride; nil/empty → 0
	Dilation      []int // spacing between kernel taps per spatial axis; nil/empty → 1
	Groups        int   // channel groups; Cin must be divisible by it; 0 → 1
}

// ConvTranspose is PyTorch's transposed convolution (conv_transpose1d/2d/3d), the
// adjoint of [Tape.Conv] in its input: x: [N, Cin, *in] with 1–3 spatial axes,
// w: [Cin, Cout/groups, *k] (PyTorch layout), b: [Cout] or nil → [N, Cout, *out] with
// out = (in−1)·stride − 2·pad + dilation·(k−1) + output_padding + 1.
// Per group it computes col = w_gᵀ·x_g with one batched GEMM and folds col (col2im)
// into the output.
func (tp *Tape) ConvTranspose(x, w, b *Var, o ConvTransposeOptions) *Var {
	xs, ws := slices.Clone(x.Shape()), slices.Clone(w.Shape())
	r := len(xs)
	groups := max(o.Groups, 1)
	if r < 3 || r > 5 || len(ws) != r {
		panic(fmt.Sprintf("nn: ConvTranspose: x %v, w %v: need [N, Cin, *s] and [Cin, Cout/groups, *k] with 1–3 spatial axes", xs, ws))
	}
	cin := xs[1]
	if ws[0] != cin || cin%groups != 0 {
		panic(fmt.Sprintf("nn: ConvTranspose: x %v, w %v, groups %d: channel mismatch", xs, ws, groups))
	}
	cout := ws[1] * groups
	checkBias("ConvTranspose", b, cout)
	nd := r - 2
	in, kernel := xs[2:], ws[2:]
	stride := expandInts("ConvTranspose", "stride", o.Stride, nd, 1)
	pad := expandInts("ConvTranspose", "padding", o.Padding, nd, 0)
	opad := expandInts("ConvTranspose", "output padding", o.OutputPadding, nd, 0)
	dil := expandInts("ConvTranspose", "dilation", o.Dilation, nd, 1)
	outSp := make([]int, nd)
	for i := range nd {
		outSp[i] = (in[i]-1)*stride[i] - 2*pad[i] + dil[i]*(kernel[i]-1) + opad[i] + 1
		if outSp[i] < 1 || opad[i] < 0 {
			panic(fmt.Sprintf("nn: ConvTranspose: input %v kernel %v stride %v padding %v output padding %v dilation %v: output size %v", in, kernel, stride, pad, opad, dil, outSp))
		}
	}
	// The transposed convolution is the data gradient of the convolution whose input
	// has the output's size; that convolution's output must have x's size.
	g := tensor.NewConvGeom(outSp, kernel, stride, pad, dil)
	if !slices.Equal(g.Out, in) {
		panic(fmt.Sprintf("nn: ConvTranspose: output padding %v must be smaller than stride %v (input %v, output %v)", opad, stride, in, outSp))
	}
	xv, wv := x.Value.Contiguous(), w.Value.Contiguous()
	yShape := append([]int{xs[0], cout}, outSp...)

	y := convImage(xv, wv, g, groups, yShape)
	if b != nil {
		addChannelBias(y, b.Value)
	}
	out := tp.result(y, x, w, b)
	tp.keepTemp(xv, x.Value, tp.needsGrad(x, w, b))
	tp.keepTemp(wv, w.Value, tp.needsGrad(x, w, b))
	if tp.needsGrad(x, w, b) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			dy := out.Grad
			dx, dw := convTransposeBackward(dy, xv, wv, g, groups, x.RequiresGrad(), w.RequiresGrad())
			if dx != nil {
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

// convTransposeBackward returns the gradients of the transposed convolution
// y = convImage(x, w) for dy (y's shape): dx = conv(dy, w) (when wantX) and
// dw = Σ_n x_n·im2col(dy_n)ᵀ (when wantW), sharing one im2col of dy per chunk.
func convTransposeBackward(dy, x, w *tensor.Tensor, g tensor.ConvGeom, groups int, wantX, wantW bool) (dx, dw *tensor.Tensor) {
	n := dy.Dim(0)
	p := newConvPlan(dy.Device(), g, groups, w.Shape(), n, dy.Dim(1))
	defer p.release()
	var dwT *tensor.Tensor
	if wantX {
		dx = tensor.New(p.dev, x.Shape()...)
	}
	if wantW {
		dwT = p.newFilterT()
	}
	for n0 := 0; n0 < n; n0 += p.nb {
		m := min(p.nb, n-n0)
		c := p.unfold(dy, n0, m)
		if wantX {
			p.dev.MatMul(p.feat(dx, n0, m), p.weight(w, m), c, false, false, 1, 0)
		}
		if wantW {
			p.accumFilterT(dwT, c, p.feat(x, n0, m), n0 == 0)
		}
	}
	if wantW {
		dw = p.finishFilter(dwT, w.Shape(), n)
	}
	return dx, dw
}
