package nn

import (
	"fmt"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// TestConvBatched runs every Conv and ConvTranspose case through the accelerator
// strategy (batchedConv forced on, on the CPU device) and compares values and
// gradients with the per-sample CPU path: whole batches, tiny spatial slices (split-K
// with S > 1), and one sample per chunk (accumulation into an existing gradient).
func TestConvBatched(t *testing.T) {
	ops := allConvOps()
	modes := []struct {
		name          string
		budget, slice int
		partBudget    int
	}{
		{"whole batch", 1 << 28, 256, 1 << 26},
		{"split-K", 1 << 28, 1, 1 << 26},
		{"split-K slices ≥ 3", 1 << 28, 3, 1 << 26},
		{"one sample per chunk split-K", 1, 2, 1 << 26},
		{"partial budget", 1 << 28, 1, 1},
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
				savedB, savedG, savedS, savedP := batchedConv, gpuColBudget, filterMinSlice, filterPartBudget
				batchedConv = func(tensor.Device) bool { return true }
				gpuColBudget, filterMinSlice, filterPartBudget = m.budget, m.slice, m.partBudget
				defer func() {
					batchedConv, gpuColBudget, filterMinSlice, filterPartBudget = savedB, savedG, savedS, savedP
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

func TestFilterSplits(t *testing.T) {
	cases := []struct {
		name                          string
		m, groups, rows, cpg, outSize int
		want                          int
	}{
		// U-Net 2-D top level, 16→16 3×3 on 256², b16: 48 tiles → 64 slices of 1024.
		{"unet top", 16, 1, 144, 16, 65536, 64},
		// Bottom level 256 channels on 16²: the grid is already full.
		{"unet bottom", 16, 1, 2304, 256, 256, 1},
		// Slices stop at filterMinSlice positions.
		{"short", 1, 1, 9, 16, 1024, 4},
		// Odd factors: 3²·5² positions, slices ≥ 256 allow no split.
		{"odd", 1, 1, 9, 16, 225, 1},
		{"odd long", 1, 1, 9, 16, 3 * 3 * 5 * 5 * 7 * 7, 3 * 3},
		// A prime length cannot be split.
		{"prime", 1, 1, 9, 16, 65537, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := filterSplits(c.m, c.groups, c.rows, c.cpg, c.outSize); got != c.want {
				t.Errorf("filterSplits(%d, %d, %d, %d, %d) = %d, want %d", c.m, c.groups, c.rows, c.cpg, c.outSize, got, c.want)
			}
			if s := filterSplits(c.m, c.groups, c.rows, c.cpg, c.outSize); c.outSize%s != 0 {
				t.Errorf("%d slices do not divide %d", s, c.outSize)
			}
		})
	}
}

// convOp is one Conv or ConvTranspose test case as inputs and a function of them.
type convOp struct {
	name string
	in   []*tensor.Tensor
	f    func(tp *Tape, in []*Var) *Var
}

// allConvOps returns every Conv and ConvTranspose case of the conv tests.
func allConvOps() []convOp {
	var ops []convOp
	for _, c := range convCases {
		ops = append(ops, convOp{"conv " + c.name, c.inputs(), c.apply})
	}
	for _, c := range convTCases {
		ops = append(ops, convOp{"conv transpose " + c.name, c.inputs(), c.apply})
	}
	return ops
}
