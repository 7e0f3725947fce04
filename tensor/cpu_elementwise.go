package tensor

// Stubs: implemented by the elementwise-kernel work.

// Unary computes dst = f(x); see [Device.Unary].
func (CPU) Unary(op UnaryOp, dst, x *Tensor, alpha float32) {
	panic("tensor: CPU.Unary: not implemented")
}

// UnaryBackward computes dx = dy·f'(x); see [Device.UnaryBackward].
func (CPU) UnaryBackward(op UnaryOp, dx, dy, x, y *Tensor, alpha float32) {
	panic("tensor: CPU.UnaryBackward: not implemented")
}

// Binary computes dst = a∘b with broadcasting; see [Device.Binary].
func (CPU) Binary(op BinaryOp, dst, a, b *Tensor) { panic("tensor: CPU.Binary: not implemented") }

// Affine computes dst = x·scale + bias.
func (CPU) Affine(dst, x *Tensor, scale, bias float32) { panic("tensor: CPU.Affine: not implemented") }

// Where computes dst = cond ? a : b.
func (CPU) Where(dst, cond, a, b *Tensor) { panic("tensor: CPU.Where: not implemented") }

// ReduceSum sums x over dst's size-1 axes.
func (CPU) ReduceSum(dst, x *Tensor) { panic("tensor: CPU.ReduceSum: not implemented") }

// ReduceMax computes max and argmax along axis.
func (CPU) ReduceMax(dst, argmax, x *Tensor, axis int) {
	panic("tensor: CPU.ReduceMax: not implemented")
}

// Softmax computes softmax along axis.
func (CPU) Softmax(dst, x *Tensor, axis int) { panic("tensor: CPU.Softmax: not implemented") }

// SoftmaxBackward computes the softmax input gradient.
func (CPU) SoftmaxBackward(dx, dy, y *Tensor, axis int) {
	panic("tensor: CPU.SoftmaxBackward: not implemented")
}

// LayerNorm normalises rows; see [Device.LayerNorm].
func (CPU) LayerNorm(dst, mean, rstd, x, w, b *Tensor, eps float32) {
	panic("tensor: CPU.LayerNorm: not implemented")
}

// LayerNormBackward; see [Device.LayerNormBackward].
func (CPU) LayerNormBackward(dx, dw, db, dy, x, w, mean, rstd *Tensor) {
	panic("tensor: CPU.LayerNormBackward: not implemented")
}

// BatchNorm; see [Device.BatchNorm].
func (CPU) BatchNorm(dst, mean, variance, x, w, b *Tensor, eps float32, train bool) {
	panic("tensor: CPU.BatchNorm: not implemented")
}

// BatchNormBackward; see [Device.BatchNormBackward].
func (CPU) BatchNormBackward(dx, dw, db, dy, x, w, mean, variance *Tensor, eps float32, train bool) {
	panic("tensor: CPU.BatchNormBackward: not implemented")
}

// Gather selects rows; see [Device.Gather].
func (CPU) Gather(dst, x, idx *Tensor) { panic("tensor: CPU.Gather: not implemented") }

// ScatterAdd accumulates rows; see [Device.ScatterAdd].
func (CPU) ScatterAdd(dst, src, idx *Tensor) { panic("tensor: CPU.ScatterAdd: not implemented") }

// AdamW takes one optimiser step; see [Device.AdamW].
func (CPU) AdamW(p, g, m, v *Tensor, h AdamWParams) { panic("tensor: CPU.AdamW: not implemented") }
