//go:build cuda

package cuda

import (
	"fmt"

	"github.com/selfsup/selfsup/tensor"
)

// binaryMaxDims is the number of merged axes binary_nd indexes.
const binaryMaxDims = 6

// Binary computes dst = a ∘ b elementwise. dst: contiguous; a, b: views of dst's shape
// with any strides (0 broadcasts). dst may alias a or b when they are contiguous.
//
// The axes are merged as far as both operands' strides allow; one merged axis runs a
// contiguous (binary_vv) or strided/scalar (binary_strided1) loop, up to six run
// binary_nd, and more (rare) are first copied to contiguous temporaries.
func (d *Device) Binary(op tensor.BinaryOp, dst, a, b *tensor.Tensor) {
	ewSameShape("Binary", dst, a, b)
	if op < 0 || int(op) >= len(tensor.BinaryOps()) {
		panic(fmt.Sprintf("cuda: Binary: bad op %d", int(op)))
	}
	ewContig("Binary", dst)
	n := dst.Numel()
	if n == 0 {
		return
	}
	shape, st := mergeAxes(a.Shape(), a.Strides(), b.Strides())
	sa, sb := st[0], st[1]
	r := len(shape)
	switch {
	case r == 1 && sa[0] == 1 && sb[0] == 1:
		d.launch("binary", "binary_vv", ewGrid(n), ewBlock, 0, dst, a, b, n, int(op))
	case r == 1:
		d.launch("binary", "binary_strided1", ewGrid(n), ewBlock, 0, dst, a, sa[0], b, sb[0], n, int(op))
	case r <= binaryMaxDims:
		args := []any{dst, a, b, n, int(op), r}
		for _, v := range [][]int{shape, sa, sb} {
			for k := range binaryMaxDims {
				x := 1
				if k < r {
					x = v[k]
				}
				args = append(args, x)
			}
		}
		d.launch("binary", "binary_nd", ewGrid(n), ewBlock, 0, args...)
	default:
		// More than six irreducible axes: make both operands contiguous first.
		ac, bc := tensor.FromBuffer(d.Alloc(n), 0, a.Shape()...), tensor.FromBuffer(d.Alloc(n), 0, b.Shape()...)
		d.CopyStrided(ac, a)
		d.CopyStrided(bc, b)
		d.launch("binary", "binary_vv", ewGrid(n), ewBlock, 0, dst, ac, bc, n, int(op))
		d.Free(ac.Buffer())
		d.Free(bc.Buffer())
	}
}
