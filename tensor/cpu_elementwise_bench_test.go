package tensor

import (
	"testing"

	"github.com/selfsup/selfsup/internal/parallel"
)

func benchTensor(shape ...int) *Tensor {
	t := New(CPU{}, shape...)
	g := NewRNG(1)
	d := t.Data()
	for i := range d {
		d[i] = float32(g.Uniform(-2, 2))
	}
	return t
}

// BenchmarkUnary measures each unary op forward and backward on 1M elements.
func BenchmarkUnary(b *testing.B) {
	dev := CPU{}
	x, y, g, dx := benchTensor(1<<20), benchTensor(1<<20), benchTensor(1<<20), benchTensor(1<<20)
	for _, op := range []UnaryOp{ReLU, Exp, GELU, Sigmoid, Tanh, SiLU, ELU} {
		b.Run(op.String(), func(b *testing.B) {
			b.SetBytes(8 << 20)
			for b.Loop() {
				dev.Unary(op, y, x, 1)
			}
		})
		if op == ELU {
			// The pre-fused forward (exp pass + scalar select), dispatched as Unary
			// does: the baseline of the fused kernel above.
			b.Run("ELUTwoPass", func(b *testing.B) {
				b.SetBytes(8 << 20)
				d, s := y.Data(), x.Data()
				for b.Loop() {
					parallel.For(len(d), unaryGrain(ELU), func(lo, hi int) {
						eluForwardTwoPass(d[lo:hi], s[lo:hi], 1)
					})
				}
			})
		}
		b.Run(op.String()+"Backward", func(b *testing.B) {
			b.SetBytes(16 << 20)
			for b.Loop() {
				dev.UnaryBackward(op, dx, g, x, y, 1)
			}
		})
	}
}

// BenchmarkBinary measures Add on common broadcast patterns.
func BenchmarkBinary(b *testing.B) {
	dev := CPU{}
	x, dst := benchTensor(16, 64, 32, 32), benchTensor(16, 64, 32, 32)
	cases := []struct {
		name string
		b    *Tensor
	}{
		{"same", benchTensor(16, 64, 32, 32)},
		{"channel", benchTensor(1, 64, 1, 1).Expand(16, 64, 32, 32)},
		{"row", benchTensor(32, 32).Expand(16, 64, 32, 32)},
		{"permuted", benchTensor(16, 32, 32, 64).Permute(0, 3, 1, 2)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(12 << 20)
			for b.Loop() {
				dev.Binary(Add, dst, x, c.b)
			}
		})
	}
}

// BenchmarkReduce measures ReduceSum, Softmax, LayerNorm, BatchNorm and AdamW.
func BenchmarkReduce(b *testing.B) {
	dev := CPU{}
	x := benchTensor(16, 64, 32, 32)
	b.Run("SumLeading", func(b *testing.B) {
		d := New(dev, 1, 65536)
		x2 := x.Reshape(16, 65536)
		for b.Loop() {
			dev.ReduceSum(d, x2)
		}
	})
	b.Run("SumChannel", func(b *testing.B) {
		d := New(dev, 1, 64, 1, 1)
		for b.Loop() {
			dev.ReduceSum(d, x)
		}
	})
	b.Run("Softmax", func(b *testing.B) {
		s := x.Reshape(4096, 256)
		d := New(dev, 4096, 256)
		for b.Loop() {
			dev.Softmax(d, s, 1)
		}
	})
	b.Run("LayerNorm", func(b *testing.B) {
		s := x.Reshape(4096, 256)
		d, m, r := New(dev, 4096, 256), New(dev, 4096), New(dev, 4096)
		w, bb := benchTensor(256), benchTensor(256)
		for b.Loop() {
			dev.LayerNorm(d, m, r, s, w, bb, 1e-5)
		}
	})
	b.Run("LayerNormBackward", func(b *testing.B) {
		s := x.Reshape(4096, 256)
		d, m, r := New(dev, 4096, 256), New(dev, 4096), New(dev, 4096)
		w, bb := benchTensor(256), benchTensor(256)
		dev.LayerNorm(d, m, r, s, w, bb, 1e-5)
		dx, dw, db := New(dev, 4096, 256), New(dev, 256), New(dev, 256)
		for b.Loop() {
			dev.LayerNormBackward(dx, dw, db, d, s, w, m, r)
		}
	})
	b.Run("BatchNorm", func(b *testing.B) {
		d, m, v := New(dev, 16, 64, 1024), New(dev, 64), New(dev, 64)
		s := x.Reshape(16, 64, 1024)
		for b.Loop() {
			dev.BatchNorm(d, m, v, s, nil, nil, 1e-5, true)
		}
	})
	b.Run("BatchNormBackward", func(b *testing.B) {
		d, m, v := New(dev, 16, 64, 1024), New(dev, 64), New(dev, 64)
		s := x.Reshape(16, 64, 1024)
		dev.BatchNorm(d, m, v, s, nil, nil, 1e-5, true)
		dx, dw, db := New(dev, 16, 64, 1024), New(dev, 64), New(dev, 64)
		for b.Loop() {
			dev.BatchNormBackward(dx, dw, db, d, s, nil, m, v, 1e-5, true)
		}
	})
	b.Run("AdamW", func(b *testing.B) {
		p, g, m, v := benchTensor(1<<20), benchTensor(1<<20), Zeros(dev, 1<<20), Zeros(dev, 1<<20)
		h := AdamWParams{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.05, Step: 3}
		for b.Loop() {
			dev.AdamW(p, g, m, v, h)
		}
	})
}
