//go:build cuda

package cuda

import "github.com/selfsup/selfsup/tensor"

// Softmax computes dst = softmax(x) along axis: exp(x − max) / Σ exp(x − max), with
// float64 sums. x, dst: same shape, contiguous. The last axis runs one warp per row;
// other axes one thread per column.
func (d *Device) Softmax(dst, x *tensor.Tensor, axis int) {
	ewSameShape("Softmax", dst, x)
	outer, n, inner := ewReduceAxis("Softmax", x.Shape(), axis)
	ewContig("Softmax", dst, x)
	if dst.Numel() == 0 {
		return
	}
	if inner == 1 {
		d.launch("softmax", "softmax_rows", ewRowGrid(outer), ewBlock, 0, dst, x, outer, n)
		return
	}
	d.launch("softmax", "softmax_cols", ewGrid(outer*inner), ewBlock, 0, dst, x, outer, n, inner)
}

// SoftmaxBackward computes dx = y·(dy − Σ_axis dy·y) from the forward output y.
// dx, dy, y: same shape, contiguous; dx may be dy.
func (d *Device) SoftmaxBackward(dx, dy, y *tensor.Tensor, axis int) {
	ewSameShape("SoftmaxBackward", dx, dy, y)
	outer, n, inner := ewReduceAxis("SoftmaxBackward", y.Shape(), axis)
	ewContig("SoftmaxBackward", dx, dy, y)
	if dx.Numel() == 0 {
		return
	}
	if inner == 1 {
		d.launch("softmax", "softmax_backward_rows", ewRowGrid(outer), ewBlock, 0, dx, dy, y, outer, n)
		return
	}
	d.launch("softmax", "softmax_backward_cols", ewGrid(outer*inner), ewBlock, 0, dx, dy, y, outer, n, inner)
}
