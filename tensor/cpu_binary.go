package tensor

import (
	"fmt"

	"github.com/selfsup/selfsup/internal/parallel"
)

// Binary computes dst = a ∘ b elementwise. dst: any shape, contiguous; a, b: views of
// dst's shape with any strides (0 broadcasts). dst may alias a or b when they are
// contiguous. See [Device.Binary].
//
// The axes are merged as far as the operands' strides allow, and the kernel runs over
// rows of the last merged axis with a vector–vector, vector–scalar or strided inner loop,
// so broadcasts such as [N, C, H, W] ∘ [1, C, 1, 1] and [M, N] ∘ [N] stay fast.
func (CPU) Binary(op BinaryOp, dst, a, b *Tensor) {
	mustSameShape("Binary", dst, a, b)
	if op < 0 || op >= numBinaryOps {
		panic(fmt.Sprintf("tensor: Binary: bad op %d", int(op)))
	}
	d := data("Binary", dst)
	n := len(d)
	if n == 0 {
		return
	}
	ad, bd := cpuData(a.buf), cpuData(b.buf)
	shape, as, bs := mergeAxes(a.shape, a.strides, b.strides)
	r := len(shape)
	inner := shape[r-1]
	sa, sb := as[r-1], bs[r-1]
	if r == 1 {
		// One merged axis: split it into chunks.
		parallel.For(n, grainCheap, func(lo, hi int) {
			binaryRow(op, d[lo:hi], ad, a.offset+lo*sa, sa, bd, b.offset+lo*sb, sb)
		})
		return
	}
	rows := n / inner
	outer := shape[:r-1]
	parallel.For(rows, max(1, grainCheap/inner), func(lo, hi int) {
		var buf [8]int
		idx := buf[:0]
		if r-1 > len(buf) {
			idx = make([]int, r-1)
		} else {
			idx = buf[:r-1]
		}
		unravel(lo, outer, idx)
		for row := lo; row < hi; row++ {
			ao, bo := a.offset, b.offset
			for k, i := range idx {
				ao += i * as[k]
				bo += i * bs[k]
			}
			binaryRow(op, d[row*inner:(row+1)*inner], ad, ao, sa, bd, bo, sb)
			increment(idx, outer)
		}
	})
}

// binaryRow computes d[j] = a[ao+j·sa] ∘ b[bo+j·sb] for j < len(d), picking the inner
// loop by the strides.
func binaryRow(op BinaryOp, d, a []float32, ao, sa int, b []float32, bo, sb int) {
	n := len(d)
	switch {
	case sa == 1 && sb == 1:
		binaryVV(op, d, a[ao:ao+n], b[bo:bo+n])
	case sa == 1 && sb == 0:
		binaryVS(op, d, a[ao:ao+n], b[bo])
	case sa == 0 && sb == 1:
		binarySV(op, d, a[ao], b[bo:bo+n])
	default:
		binaryStrided(op, d, a, ao, sa, b, bo, sb)
	}
}

// binaryOne applies op to one pair (for the strided fallback).
func binaryOne(op BinaryOp, x, y float32) float32 {
	switch op {
	case Add:
		return x + y
	case Sub:
		return x - y
	case Mul:
		return x * y
	case Div:
		return x / y
	case Maximum:
		return max(x, y)
	case Minimum:
		return min(x, y)
	default: // Greater
		if x > y {
			return 1
		}
		return 0
	}
}

func binaryStrided(op BinaryOp, d, a []float32, ao, sa int, b []float32, bo, sb int) {
	for j := range d {
		d[j] = binaryOne(op, a[ao+j*sa], b[bo+j*sb])
	}
}

func binaryVV(op BinaryOp, d, a, b []float32) {
	a, b = a[:len(d)], b[:len(d)]
	if useAVX512Binary && op <= Div && len(d) > 0 {
		binaryVVAVX512(int(op), &d[0], &a[0], &b[0], len(d))
		return
	}
	binaryVVGo(op, d, a, b)
}

// binaryVVGo is binaryVV in Go.
func binaryVVGo(op BinaryOp, d, a, b []float32) {
	a, b = a[:len(d)], b[:len(d)]
	switch op {
	case Add:
		for i := range d {
			d[i] = a[i] + b[i]
		}
	case Sub:
		for i := range d {
			d[i] = a[i] - b[i]
		}
	case Mul:
		for i := range d {
			d[i] = a[i] * b[i]
		}
	case Div:
		for i := range d {
			d[i] = a[i] / b[i]
		}
	case Maximum:
		for i := range d {
			d[i] = max(a[i], b[i])
		}
	case Minimum:
		for i := range d {
			d[i] = min(a[i], b[i])
		}
	case Greater:
		for i := range d {
			d[i] = greater(a[i], b[i])
		}
	}
}

func binaryVS(op BinaryOp, d, a []float32, y float32) {
	a = a[:len(d)]
	if useAVX512Binary && op <= Div && len(d) > 0 {
		binaryVSAVX512(int(op), &d[0], &a[0], y, len(d))
		return
	}
	binaryVSGo(op, d, a, y)
}

// binaryVSGo is binaryVS in Go.
func binaryVSGo(op BinaryOp, d, a []float32, y float32) {
	a = a[:len(d)]
	switch op {
	case Add:
		for i, x := range a {
			d[i] = x + y
		}
	case Sub:
		for i, x := range a {
			d[i] = x - y
		}
	case Mul:
		for i, x := range a {
			d[i] = x * y
		}
	case Div:
		for i, x := range a {
			d[i] = x / y
		}
	case Maximum:
		for i, x := range a {
			d[i] = max(x, y)
		}
	case Minimum:
		for i, x := range a {
			d[i] = min(x, y)
		}
	case Greater:
		for i, x := range a {
			d[i] = greater(x, y)
		}
	}
}

func binarySV(op BinaryOp, d []float32, x float32, b []float32) {
	b = b[:len(d)]
	switch op {
	case Add:
		for i, y := range b {
			d[i] = x + y
		}
	case Sub:
		for i, y := range b {
			d[i] = x - y
		}
	case Mul:
		for i, y := range b {
			d[i] = x * y
		}
	case Div:
		for i, y := range b {
			d[i] = x / y
		}
	case Maximum:
		for i, y := range b {
			d[i] = max(x, y)
		}
	case Minimum:
		for i, y := range b {
			d[i] = min(x, y)
		}
	case Greater:
		for i, y := range b {
			d[i] = greater(x, y)
		}
	}
}

func greater(x, y float32) float32 {
	if x > y {
		return 1
	}
	return 0
}
