package tensor_test

import (
	"strings"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// TestCPUKernelPanics checks that programmer errors in the elementwise, reduction,
// normalisation and indexing kernels panic with a message naming the op.
func TestCPUKernelPanics(t *testing.T) {
	dev := tensor.CPU{}
	z := func(shape ...int) *tensor.Tensor { return tensor.Zeros(dev, shape...) }
	cases := []struct {
		name, want string
		f          func()
	}{
		{"Unary shape", "Unary", func() { dev.Unary(tensor.Exp, z(2, 3), z(3, 2), 0) }},
		{"Binary shape", "Binary", func() { dev.Binary(tensor.Add, z(2, 3), z(2, 3), z(3)) }},
		{"Binary strided dst", "Binary", func() { dev.Binary(tensor.Add, z(3, 2).Transpose(0, 1), z(2, 3), z(2, 3)) }},
		{"ReduceSum axis", "ReduceSum", func() { dev.ReduceSum(z(2, 1), z(3, 4)) }},
		{"ReduceSum rank", "ReduceSum", func() { dev.ReduceSum(z(4), z(3, 4)) }},
		{"ReduceMax out", "ReduceMax", func() { dev.ReduceMax(z(3), z(3), z(3, 4), 0) }},
		{"Softmax axis", "Softmax", func() { dev.Softmax(z(3, 4), z(3, 4), 2) }},
		{"LayerNorm w", "LayerNorm", func() { dev.LayerNorm(z(3, 4), z(3), z(3), z(3, 4), z(3), nil, 1e-5) }},
		{"BatchNorm mean", "BatchNorm", func() { dev.BatchNorm(z(2, 3, 4), z(2), z(3), z(2, 3, 4), nil, nil, 1e-5, true) }},
		{"Gather shape", "Gather", func() { dev.Gather(z(2, 3, 4), z(2, 5, 4), z(2, 4)) }},
		{"Gather range", "Gather", func() {
			dev.Gather(z(1, 2, 4), z(1, 5, 4), tensor.FromSlice([]float32{1, 5}, 1, 2))
		}},
		{"ScatterAdd range", "ScatterAdd", func() {
			dev.ScatterAdd(z(1, 5, 4), z(1, 2, 4), tensor.FromSlice([]float32{-1, 0}, 1, 2))
		}},
		{"ScatterAdd fraction", "ScatterAdd", func() {
			dev.ScatterAdd(z(1, 5, 4), z(1, 2, 4), tensor.FromSlice([]float32{0.5, 0}, 1, 2))
		}},
		{"AdamW shape", "AdamW", func() { dev.AdamW(z(3), z(3), z(3), z(4), tensor.AdamWParams{Step: 1}) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if r == nil || !strings.Contains(msg, c.want) {
					t.Errorf("panic %v, want a message naming %s", r, c.want)
				}
			}()
			c.f()
		})
	}
}
