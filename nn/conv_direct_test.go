package nn

import (
	"fmt"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// TestConvDirectFilter runs every Conv and ConvTranspose case with the filter gradient
// accumulated in the weight layout (directFilter forced on, as on a GPU with TF32) on
// the CPU device, per sample and batched (whole batch, split-K, one sample per chunk),
// and compares values and gradients with the default path.
func TestConvDirectFilter(t *testing.T) {
	ops := allConvOps()
	modes := []struct {
		name          string
		batched       bool
		budget, slice int
	}{
		{"per sample", false, 1 << 28, 256},
		{"whole batch", true, 1 << 28, 256},
		{"split-K", true, 1 << 28, 1},
		{"one sample per chunk split-K", true, 1, 2},
	}
	for _, o := range ops {
		run := func() []*Var {
			tp := NewTape()
			vars := make([]*Var, len(o.in))
			for i, x := range o.in {
				vars[i] = NewLeaf(x)
			}
			y := o.f(tp, vars)
			tp.BackwardWith(y, cvRand(9, y.Shape()...))
			return append(vars, y)
		}
		ref := run()
		for _, m := range modes {
			t.Run(o.name+"/"+m.name, func(t *testing.T) {
				savedB, savedD, savedG, savedS := batchedConv, directFilter, gpuColBudget, filterMinSlice
				batched := m.batched
				batchedConv = func(tensor.Device) bool { return batched }
				directFilter = func(tensor.Device, int, int) bool { return true }
				gpuColBudget, filterMinSlice = m.budget, m.slice
				defer func() {
					batchedConv, directFilter, gpuColBudget, filterMinSlice = savedB, savedD, savedG, savedS
				}()
				got := run()
				n := len(o.in)
				cvClose(t, "value", got[n].Value, ref[n].Value, 1e-6)
				for i := range n {
					cvClose(t, fmt.Sprintf("grad %d", i), got[i].Grad, ref[i].Grad, 1e-5)
				}
			})
		}
	}
}

// TestDirectFilterChoice checks that the CPU device (no TF32) keeps the transposed
// filter-gradient form, and that a TF32 device takes the direct one only for
// 16 ≤ Cout/G < 64 ≤ rows.
func TestDirectFilterChoice(t *testing.T) {
	cases := []struct {
		name      string
		dev       tensor.Device
		cpg, rows int
		want      bool
	}{
		{"cpu", tensor.CPU{}, 32, 288, false},
		{"tf32 off", fakeTF32{tensor.CPU{}, false}, 32, 288, false},
		{"tf32 unet top", fakeTF32{tensor.CPU{}, true}, 16, 144, true},
		{"tf32 32 channels", fakeTF32{tensor.CPU{}, true}, 32, 288, true},
		{"tf32 wide", fakeTF32{tensor.CPU{}, true}, 64, 576, false},
		{"tf32 few rows", fakeTF32{tensor.CPU{}, true}, 32, 9, false},
		{"tf32 few channels", fakeTF32{tensor.CPU{}, true}, 8, 288, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := directFilter(c.dev, c.cpg, c.rows); got != c.want {
				t.Errorf("directFilter(%s, %d, %d) = %v, want %v", c.name, c.cpg, c.rows, got, c.want)
			}
		})
	}
}

// fakeTF32 is a device reporting a TF32 setting (and not the CPU type itself).
type fakeTF32 struct {
	tensor.CPU
	on bool
}

func (f fakeTF32) TF32() bool { return f.on }
