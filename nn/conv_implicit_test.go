package nn

import (
	"fmt"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// implicitExtraCases are convolutions beyond convCases that matter to the implicit
// path: padding larger than dilation·(k−1) (the input gradient falls back to col2im),
// a 1×1 kernel with padding, and sizes that run on several threads.
var implicitExtraCases = []convCase{
	{"2d pad > d(k-1)", []int{2, 3, 5, 6}, []int{4, 3, 3, 3}, true, ConvOptions{Padding: []int{3}}, nil, nil},
	{"2d 1x1 pad1", []int{1, 3, 4, 4}, []int{2, 3, 1, 1}, false, ConvOptions{Padding: []int{1}}, nil, nil},
	{"2d threads", []int{3, 16, 24, 40}, []int{32, 16, 3, 3}, true, ConvOptions{Padding: []int{1}}, nil, nil},
	{"2d threads groups2 same even", []int{2, 32, 20, 31}, []int{64, 16, 2, 2}, false, ConvOptions{Same: true, Groups: 2}, nil, nil},
	{"3d threads stride2", []int{2, 8, 10, 12, 14}, []int{16, 8, 3, 3, 3}, true, ConvOptions{Stride: []int{2}, Padding: []int{1}}, nil, nil},
}

// TestConvImplicit runs every Conv and ConvTranspose case with the implicit GEMM and
// with im2col (useImplicit off) and compares values and gradients.
func TestConvImplicit(t *testing.T) {
	if _, ok := implicitConv(tensor.CPU{}); !ok {
		t.Fatal("the CPU device has no implicit convolution")
	}
	ops := allConvOps()
	for _, c := range implicitExtraCases {
		ops = append(ops, convOp{"conv " + c.name, c.inputs(), c.apply})
	}
	for _, o := range ops {
		run := func(implicit bool) []*Var {
			saved := useImplicit
			useImplicit = implicit
			defer func() { useImplicit = saved }()
			tp := NewTape()
			vars := make([]*Var, len(o.in))
			for i, x := range o.in {
				vars[i] = NewLeaf(x)
			}
			y := o.f(tp, vars)
			tp.BackwardWith(y, cvRand(9, y.Shape()...))
			return append(vars, y)
		}
		t.Run(o.name, func(t *testing.T) {
			ref, got := run(false), run(true)
			n := len(o.in)
			cvClose(t, "value", got[n].Value, ref[n].Value, 1e-5)
			for i := range n {
				cvClose(t, fmt.Sprintf("grad %d", i), got[i].Grad, ref[i].Grad, 1e-5)
			}
		})
	}
}
