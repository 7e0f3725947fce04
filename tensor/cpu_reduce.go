package tensor

import (
	"fmt"

	"github.com/selfsup/selfsup/internal/parallel"
)

// grainReduce is the number of input elements worth handing to another core in a
// reduction.
const grainReduce = 1 << 14

// ReduceSum sums x into dst. x: any shape, contiguous; dst: x's shape with some axes
// set to 1 (keepdim), contiguous; those axes are summed over. Sums accumulate in
// float64.
func (CPU) ReduceSum(dst, x *Tensor) {
	if len(dst.shape) != len(x.shape) {
		panic(fmt.Sprintf("tensor: ReduceSum: dst %v, x %v: ranks differ", dst.shape, x.shape))
	}
	for i, d := range dst.shape {
		if d != x.shape[i] && d != 1 {
			panic(fmt.Sprintf("tensor: ReduceSum: dst %v, x %v: axis %d", dst.shape, x.shape, i))
		}
	}
	d, s := data("ReduceSum", dst), data("ReduceSum", x)
	if len(d) == 0 {
		return
	}
	if len(s) == 0 {
		clear(d)
		return
	}
	// Merge x's axes into alternating blocks of kept (K) and reduced (R) axes.
	var sizes []int
	var reduced []bool
	for i, n := range x.shape {
		if n == 1 {
			continue
		}
		r := dst.shape[i] == 1
		if k := len(sizes) - 1; k >= 0 && reduced[k] == r {
			sizes[k] *= n
			continue
		}
		sizes = append(sizes, n)
		reduced = append(reduced, r)
	}
	switch {
	case len(sizes) == 0 || (len(sizes) == 1 && !reduced[0]):
		copy(d, s) // nothing to reduce
	case len(sizes) == 1:
		d[0] = float32(sumAll(s))
	case !reduced[len(sizes)-1] && (len(sizes) == 2 || (len(sizes) == 3 && !reduced[0])):
		// [R, I] or [O, R, I]: sum rows of length I.
		inner := sizes[len(sizes)-1]
		red := sizes[len(sizes)-2]
		outer := 1
		if len(sizes) == 3 {
			outer = sizes[0]
		}
		sumRows(d, s, outer, red, inner)
	default:
		sumGeneric(d, s, sizes, reduced)
	}
}

// sumAll returns the float64 sum of s, in parallel.
func sumAll(s []float32) float64 {
	chunks := min(parallel.Threads(), max(1, len(s)/grainReduce))
	if chunks <= 1 {
		return sum64(s)
	}
	part := make([]float64, chunks)
	size := (len(s) + chunks - 1) / chunks
	parallel.ForChunks(len(s), chunks, func(lo, hi int) {
		part[lo/size] = sum64(s[lo:hi])
	})
	t := 0.0
	for _, p := range part {
		t += p
	}
	return t
}

// sum64 returns the float64 sum of s: eight float64 lanes in AVX-512 when the CPU has
// it (the BatchNorm statistics kernel; its sum of squares comes free, the loop is
// bound by memory), then sum64Go for the tail.
func sum64(s []float32) float64 {
	if useAVX512Math && len(s) >= 64 {
		n := len(s) &^ 7
		var lanes [16]float64
		bnSumsAVX512(&s[0], n, 0, &lanes)
		return laneSum(&lanes, 0) + sum64Go(s[n:])
	}
	return sum64Go(s)
}

// sum64Go is sum64 in plain Go with four accumulators.
func sum64Go(s []float32) float64 {
	var a0, a1, a2, a3 float64
	i := 0
	for ; i+4 <= len(s); i += 4 {
		a0 += float64(s[i])
		a1 += float64(s[i+1])
		a2 += float64(s[i+2])
		a3 += float64(s[i+3])
	}
	for ; i < len(s); i++ {
		a0 += float64(s[i])
	}
	return (a0 + a1) + (a2 + a3)
}

// sumRows computes d[o, i] = Σ_r s[o, r, i] for s: [outer, red, inner].
func sumRows(d, s []float32, outer, red, inner int) {
	// Work units: (o, column block); columns are split so that even outer = 1 runs
	// in parallel when inner is wide.
	blk, nb := innerBlocks(outer, inner)
	parallel.For(outer*nb, max(1, grainReduce/(red*blk)), func(lo, hi int) {
		acc := make([]float64, blk)
		for u := lo; u < hi; u++ {
			o, c0 := u/nb, (u%nb)*blk
			c1 := min(c0+blk, inner)
			a := acc[:c1-c0]
			clear(a)
			base := o * red * inner
			for r := range red {
				row := s[base+r*inner+c0 : base+r*inner+c1]
				for j, v := range row {
					a[j] += float64(v)
				}
			}
			out := d[o*inner+c0 : o*inner+c1]
			for j, v := range a {
				out[j] = float32(v)
			}
		}
	})
}

// sumGeneric sums s: [sizes...] over the reduced blocks for any block pattern, one
// output element at a time (the inner loop is contiguous when the last block is
// reduced).
func sumGeneric(d, s []float32, sizes []int, reduced []bool) {
	r := len(sizes)
	strides := make([]int, r)
	st := 1
	for i := r - 1; i >= 0; i-- {
		strides[i] = st
		st *= sizes[i]
	}
	var kSize, kStr, rSize, rStr []int
	for i := range r {
		if reduced[i] {
			rSize, rStr = append(rSize, sizes[i]), append(rStr, strides[i])
		} else {
			kSize, kStr = append(kSize, sizes[i]), append(kStr, strides[i])
		}
	}
	nr := len(rSize)
	innerN, innerS := rSize[nr-1], rStr[nr-1]
	outerR, outerS := rSize[:nr-1], rStr[:nr-1]
	count := len(s) / len(d)
	parallel.For(len(d), max(1, grainReduce/count), func(lo, hi int) {
		kIdx := make([]int, len(kSize))
		rIdx := make([]int, len(outerR))
		unravel(lo, kSize, kIdx)
		rows := count / innerN
		for o := lo; o < hi; o++ {
			base := 0
			for k, i := range kIdx {
				base += i * kStr[k]
			}
			clear(rIdx)
			t := 0.0
			for range rows {
				off := base
				for k, i := range rIdx {
					off += i * outerS[k]
				}
				if innerS == 1 {
					t += sum64(s[off : off+innerN])
				} else {
					for j := range innerN {
						t += float64(s[off+j*innerS])
					}
				}
				increment(rIdx, outerR)
			}
			d[o] = float32(t)
			increment(kIdx, kSize)
		}
	})
}

// reduceAxis splits shape around axis into outer, axis size and inner counts and
// checks that out has shape with that axis removed.
func reduceAxis(op string, shape []int, axis int, outs ...*Tensor) (outer, n, inner int) {
	r := len(shape)
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		panic(fmt.Sprintf("tensor: %s: axis %d out of range for shape %v", op, axis, shape))
	}
	for _, o := range outs {
		ok := len(o.shape) == r-1
		for i := 0; ok && i < r-1; i++ {
			j := i
			if i >= axis {
				j = i + 1
			}
			ok = o.shape[i] == shape[j]
		}
		if !ok {
			panic(fmt.Sprintf("tensor: %s: output %v for x %v reduced over axis %d", op, o.shape, shape, axis))
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
func (CPU) ReduceMax(dst, argmax, x *Tensor, axis int) {
	outer, n, inner := reduceAxis("ReduceMax", x.shape, axis, dst, argmax)
	d, am, s := data("ReduceMax", dst), data("ReduceMax", argmax), data("ReduceMax", x)
	if len(d) == 0 {
		return
	}
	if n == 0 {
		panic(fmt.Sprintf("tensor: ReduceMax: empty axis %d of %v", axis, x.shape))
	}
	blk, nb := innerBlocks(outer, inner)
	parallel.For(outer*nb, max(1, grainReduce/(n*blk)), func(lo, hi int) {
		for u := lo; u < hi; u++ {
			o, c0 := u/nb, (u%nb)*blk
			c1 := min(c0+blk, inner)
			base := o * n * inner
			if inner == 1 {
				row := s[base : base+n]
				best, at := row[0], 0
				for j, v := range row {
					if v > best || (v != v && best == best) {
						best, at = v, j
					}
				}
				d[o], am[o] = best, float32(at)
				continue
			}
			od, oa := d[o*inner+c0:o*inner+c1], am[o*inner+c0:o*inner+c1]
			copy(od, s[base+c0:base+c1])
			clear(oa)
			for j := 1; j < n; j++ {
				row := s[base+j*inner+c0 : base+j*inner+c1]
				fj := float32(j)
				for i, v := range row {
					if b := od[i]; v > b || (v != v && b == b) {
						od[i], oa[i] = v, fj
					}
				}
			}
		}
	})
}

// innerBlocks splits an inner extent into column blocks so that outer × blocks work
// units keep every core busy.
func innerBlocks(outer, inner int) (blk, nb int) {
	blk = inner
	if t := 2 * parallel.Threads(); outer < t && inner > 512 {
		blk = max(256, (inner+t-1)/t)
	}
	return blk, (inner + blk - 1) / blk
}
