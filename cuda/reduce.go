//go:build cuda

package cuda

import (
	"fmt"

	"github.com/selfsup/selfsup/tensor"
)

// reduceMaxAxes is the number of kept and of reduced axis blocks the ReduceSum kernels
// index (MAXK in kernels/reduce.cu).
const reduceMaxAxes = 4

// Split targets: a split reduction aims at about this many blocks (reduce_sum_blocks,
// bn_partial) or threads (the column kernels) in flight, each slice holding at least
// minSlice elements.
const (
	targetBlocks  = 1024
	targetThreads = 1 << 18
	minSlice      = 2048
	minColSlice   = 32
)

// splits returns how many slices S (≤ 65535, the grid's y limit) to cut a reduction of
// nRed elements into when there are units parallel units, aiming at target units·slices
// with slices of at least minLen elements, and the slice length.
func splits(units, nRed, target, minLen int) (S, chunk int) {
	S = min((target+units-1)/units, (nRed+minLen-1)/minLen, 65535)
	S = max(S, 1)
	chunk = (nRed + S - 1) / S
	S = (nRed + chunk - 1) / chunk // no empty slices
	return max(S, 1), chunk
}

// ReduceSum sums x into dst, whose shape equals x's with some axes set to 1 (keepdim):
// those axes are summed over, in float64. Both contiguous.
func (d *Device) ReduceSum(dst, x *tensor.Tensor) {
	ds, xs := dst.Shape(), x.Shape()
	if len(ds) != len(xs) {
		panic(fmt.Sprintf("cuda: ReduceSum: dst %v, x %v: ranks differ", ds, xs))
	}
	for i, n := range ds {
		if n != xs[i] && n != 1 {
			panic(fmt.Sprintf("cuda: ReduceSum: dst %v, x %v: axis %d", ds, xs, i))
		}
	}
	ewContig("ReduceSum", dst, x)
	nOut, nx := dst.Numel(), x.Numel()
	if nOut == 0 {
		return
	}
	if nx == 0 {
		d.Fill(dst, 0)
		return
	}
	// Merge x's axes into alternating blocks of kept and reduced axes (row-major
	// strides), then split them into the kept set K and the reduced set R.
	var sizes []int
	var reduced []bool
	for i, n := range xs {
		if n == 1 {
			continue
		}
		r := ds[i] == 1
		if k := len(sizes) - 1; k >= 0 && reduced[k] == r {
			sizes[k] *= n
			continue
		}
		sizes = append(sizes, n)
		reduced = append(reduced, r)
	}
	nRed := nx / nOut
	if nRed == 1 {
		d.CopyStrided(dst, x.Reshape(ds...)) // nothing to reduce
		return
	}
	var kSize, kStr, rSize, rStr []int
	st := 1
	for i := len(sizes) - 1; i >= 0; i-- {
		if reduced[i] {
			rSize, rStr = append([]int{sizes[i]}, rSize...), append([]int{st}, rStr...)
		} else {
			kSize, kStr = append([]int{sizes[i]}, kSize...), append([]int{st}, kStr...)
		}
		st *= sizes[i]
	}
	if len(kSize) > reduceMaxAxes || len(rSize) > reduceMaxAxes {
		panic(fmt.Sprintf("cuda: ReduceSum: dst %v, x %v: more than %d alternating kept/reduced axis blocks", ds, xs, 2*reduceMaxAxes))
	}
	pad := func(v []int) []any {
		out := make([]any, reduceMaxAxes)
		for k := range out {
			out[k] = 1
			if k < len(v) {
				out[k] = v[k]
			}
		}
		return out
	}
	dims := append([]any{len(kSize)}, pad(kSize)...)
	dims = append(dims, pad(kStr)...)
	dims = append(dims, len(rSize))
	dims = append(dims, pad(rSize)...)
	dims = append(dims, pad(rStr)...)
	// Columns (one thread per output, walking its slice in order) when adjacent
	// outputs are adjacent in x or the reduced range is short; otherwise one block per
	// output.
	cols := !reduced[len(reduced)-1] || nRed <= 32
	var S, chunk int
	if cols {
		S, chunk = splits(nOut, nRed, targetThreads, minColSlice)
	} else {
		S, chunk = splits(nOut, nRed, targetBlocks, minSlice)
	}
	var part tensor.Buffer
	var partArg any = uint64(0) // null when not split
	if S > 1 {
		part = d.allocF64(S * nOut)
		partArg = part
	}
	args := append([]any{dst, partArg, x, nOut, nRed, S, chunk}, dims...)
	if cols {
		d.launch("reduce", "reduce_sum_cols", [3]int{blocks(nOut, ewThreads), S}, ewBlock, 0, args...)
	} else {
		d.launch("reduce", "reduce_sum_blocks", [3]int{min(nOut, maxGridBlocks), S}, ewBlock, 0, args...)
	}
	if S > 1 {
		d.sumPartials(dst, nil, part, nOut, S, nOut, 0, 1, 1)
		d.Free(part)
	}
}

// sumPartials queues reduce.cu's sum_partials: t_o = Σ_p part[p·stride + first + o]
// for o < nOut; out[o] = t/outDiv and stat[o] = t/statDiv (float64), each when non-nil.
func (d *Device) sumPartials(out, stat *tensor.Tensor, part tensor.Buffer, nOut, P, stride, first, outDiv, statDiv int) {
	d.launch("reduce", "sum_partials", ewGrid(nOut), ewBlock, 0, out, stat, part, nOut, P, stride, first, outDiv, statDiv)
}

// ewReduceAxis splits shape around axis into outer, axis and inner extents and checks
// that every out has shape with that axis removed.
func ewReduceAxis(op string, shape []int, axis int, outs ...*tensor.Tensor) (outer, n, inner int) {
	r := len(shape)
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		panic(fmt.Sprintf("cuda: %s: axis %d out of range for shape %v", op, axis, shape))
	}
	for _, o := range outs {
		os := o.Shape()
		ok := len(os) == r-1
		for i := 0; ok && i < r-1; i++ {
			j := i
			if i >= axis {
				j = i + 1
			}
			ok = os[i] == shape[j]
		}
		if !ok {
			panic(fmt.Sprintf("cuda: %s: output %v for x %v reduced over axis %d", op, os, shape, axis))
		}
	}
	outer, inner = 1, 1
	for i := range axis {
		outer *= shape[i]
	}
	for i := axis + 1; i < r; i++ {
		inner *= shape[i]
	}
	return outer, shape[axis], inner
}

// ReduceMax computes dst = max of x along axis and argmax = the index of the first
// maximum (NaN counts as the maximum). x: contiguous; dst, argmax: x's shape without
// axis, contiguous.
func (d *Device) ReduceMax(dst, argmax, x *tensor.Tensor, axis int) {
	outer, n, inner := ewReduceAxis("ReduceMax", x.Shape(), axis, dst, argmax)
	ewContig("ReduceMax", dst, argmax, x)
	if dst.Numel() == 0 {
		return
	}
	if n == 0 {
		panic(fmt.Sprintf("cuda: ReduceMax: empty axis %d of %v", axis, x.Shape()))
	}
	if inner == 1 {
		d.launch("reduce", "reduce_max_rows", ewRowGrid(outer), ewBlock, 0, dst, argmax, x, outer, n)
		return
	}
	d.launch("reduce", "reduce_max_cols", ewGrid(outer*inner), ewBlock, 0, dst, argmax, x, outer, n, inner)
}
