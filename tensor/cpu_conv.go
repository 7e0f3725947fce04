package tensor

// Stubs: implemented by the convolution/pooling-kernel work.

// Im2Col unfolds x into columns; see [Device.Im2Col].
func (CPU) Im2Col(col, x *Tensor, g ConvGeom) { panic("tensor: CPU.Im2Col: not implemented") }

// Col2Im folds columns back, accumulating; see [Device.Col2Im].
func (CPU) Col2Im(x, col *Tensor, g ConvGeom) { panic("tensor: CPU.Col2Im: not implemented") }

// MaxPool; see [Device.MaxPool].
func (CPU) MaxPool(dst, argmax, x *Tensor, g ConvGeom) { panic("tensor: CPU.MaxPool: not implemented") }

// MaxPoolBackward; see [Device.MaxPoolBackward].
func (CPU) MaxPoolBackward(dx, dy, argmax *Tensor, g ConvGeom) {
	panic("tensor: CPU.MaxPoolBackward: not implemented")
}

// AvgPool; see [Device.AvgPool].
func (CPU) AvgPool(dst, x *Tensor, g ConvGeom) { panic("tensor: CPU.AvgPool: not implemented") }

// AvgPoolBackward; see [Device.AvgPoolBackward].
func (CPU) AvgPoolBackward(dx, dy *Tensor, g ConvGeom) {
	panic("tensor: CPU.AvgPoolBackward: not implemented")
}

// Upsample; see [Device.Upsample].
func (CPU) Upsample(mode ResampleMode, dst, x *Tensor, scales []float64) {
	panic("tensor: CPU.Upsample: not implemented")
}

// UpsampleBackward; see [Device.UpsampleBackward].
func (CPU) UpsampleBackward(mode ResampleMode, dx, dy *Tensor, scales []float64) {
	panic("tensor: CPU.UpsampleBackward: not implemented")
}
