//go:build cuda

package cuda

import (
	"fmt"

	"github.com/selfsup/selfsup/tensor"
)

// Helpers shared by the elementwise, reduction, normalisation and index wrappers
// (unary.go, binary.go, reduce.go, softmax.go, norm.go, index.go, adamw.go).

// ewThreads is the block size of the elementwise and reduction kernels (a multiple of
// 32: the row kernels give one warp to each row).
const ewThreads = 256

// ewSameShape panics unless every tensor has ref's shape.
func ewSameShape(op string, ref *tensor.Tensor, ts ...*tensor.Tensor) {
	for _, t := range ts {
		if !ref.SameShape(t) {
			panic(fmt.Sprintf("cuda: %s: shapes %v and %v differ", op, ref.Shape(), t.Shape()))
		}
	}
}

// ewContig panics unless every non-nil tensor is contiguous and has fewer than 2³¹
// elements (kernel indices are C ints where that is enough).
func ewContig(op string, ts ...*tensor.Tensor) {
	for _, t := range ts {
		if t == nil {
			continue
		}
		if !t.IsContiguous() {
			panic(fmt.Sprintf("cuda: %s: shape %v strides %v is not contiguous", op, t.Shape(), t.Strides()))
		}
		if t.Numel() > 1<<31-1 {
			panic(fmt.Sprintf("cuda: %s: shape %v has more than 2³¹−1 elements", op, t.Shape()))
		}
	}
}

// ewBlock is the block shape of every kernel in these files.
var ewBlock = [3]int{ewThreads}

// ewGrid returns the grid of a grid-stride kernel over n items.
func ewGrid(n int) [3]int { return [3]int{blocks(n, ewThreads)} }

// ewRowGrid returns the grid of a one-warp-per-row kernel over rows rows
// (grid-stride over rows).
func ewRowGrid(rows int) [3]int { return [3]int{blocks(rows, ewThreads/32)} }

// allocF64 returns a scratch buffer of n float64 values (2n float32 slots; device
// allocations are at least 8-byte aligned). The caller frees it after the kernels that
// use it are queued: the stream orders later reuse after them.
func (d *Device) allocF64(n int) tensor.Buffer { return d.Alloc(2 * max(n, 1)) }

// f64At returns a pointer argument to float64 element i of a buffer from allocF64.
func f64At(b tensor.Buffer, i int) *tensor.Tensor { return tensor.FromBuffer(b, 2*i, 0) }

// Unary computes dst = f(x) elementwise; dst and x have the same shape, contiguous; dst
// may be x. alpha is LeakyReLU's slope and ELU's α.
func (d *Device) Unary(op tensor.UnaryOp, dst, x *tensor.Tensor, alpha float32) {
	ewSameShape("Unary", dst, x)
	ewContig("Unary", dst, x)
	if op < 0 || int(op) >= len(tensor.UnaryOps()) {
		panic(fmt.Sprintf("cuda: Unary: bad op %d", int(op)))
	}
	n := dst.Numel()
	if n == 0 {
		return
	}
	d.launch("unary", "unary_forward", ewGrid(n), ewBlock, 0, dst, x, n, int(op), alpha)
}

// UnaryBackward computes dx = dy·f'(x) from the forward input x and output y = f(x);
// all four have the same shape, contiguous.
func (d *Device) UnaryBackward(op tensor.UnaryOp, dx, dy, x, y *tensor.Tensor, alpha float32) {
	ewSameShape("UnaryBackward", dx, dy, x, y)
	ewContig("UnaryBackward", dx, dy, x, y)
	if op < 0 || int(op) >= len(tensor.UnaryOps()) {
		panic(fmt.Sprintf("cuda: UnaryBackward: bad op %d", int(op)))
	}
	n := dx.Numel()
	if n == 0 {
		return
	}
	d.launch("unary", "unary_backward", ewGrid(n), ewBlock, 0, dx, dy, x, y, n, int(op), alpha)
}

// Affine computes dst = x·scale + bias elementwise (dst, x: same shape, contiguous;
// dst may be x), rounding the product before the sum as the CPU does.
func (d *Device) Affine(dst, x *tensor.Tensor, scale, bias float32) {
	ewSameShape("Affine", dst, x)
	ewContig("Affine", dst, x)
	n := dst.Numel()
	if n == 0 {
		return
	}
	d.launch("unary", "affine", ewGrid(n), ewBlock, 0, dst, x, n, scale, bias)
}

// Where computes dst = a where cond ≠ 0, else b; all four: same shape, contiguous.
func (d *Device) Where(dst, cond, a, b *tensor.Tensor) {
	ewSameShape("Where", dst, cond, a, b)
	ewContig("Where", dst, cond, a, b)
	n := dst.Numel()
	if n == 0 {
		return
	}
	d.launch("unary", "where", ewGrid(n), ewBlock, 0, dst, cond, a, b, n)
}
