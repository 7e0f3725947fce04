package tensor

import "testing"

// BenchmarkBatchNorm measures BatchNorm forward and backward (train) on U-Net's first
// level: [8, 16, 128, 128].
func BenchmarkBatchNorm(b *testing.B) {
	dev := CPU{}
	shape := []int{8, 16, 128, 128}
	rng := NewRNG(3)
	fill := func(t *Tensor) *Tensor {
		for i, d := 0, t.Data(); i < len(d); i++ {
			d[i] = float32(rng.Normal(0.5, 2))
		}
		return t
	}
	x, y, dy, dx := fill(New(dev, shape...)), New(dev, shape...), fill(New(dev, shape...)), New(dev, shape...)
	w, bias, mean, vr, dw, db := fill(New(dev, 16)), fill(New(dev, 16)), New(dev, 16), New(dev, 16), New(dev, 16), New(dev, 16)
	b.Run("Forward", func(b *testing.B) {
		b.SetBytes(int64(8 * x.Numel()))
		for b.Loop() {
			dev.BatchNorm(y, mean, vr, x, w, bias, 1e-5, true)
		}
	})
	b.Run("Backward", func(b *testing.B) {
		b.SetBytes(int64(12 * x.Numel()))
		for b.Loop() {
			dev.BatchNormBackward(dx, dw, db, dy, x, w, mean, vr, 1e-5, true)
		}
	})
}
