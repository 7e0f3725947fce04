package tensortest

import (
	"fmt"
	"math"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// split3 returns the outer, axis and inner extents of shape around axis.
func split3(shape []int, axis int) (outer, n, inner int) {
	outer, inner = 1, 1
	for i := range axis {
		outer *= shape[i]
	}
	for i := axis + 1; i < len(shape); i++ {
		inner *= shape[i]
	}
	return outer, shape[axis], inner
}

// without returns shape with axis removed.
func without(shape []int, axis int) []int {
	out := append([]int{}, shape[:axis]...)
	return append(out, shape[axis+1:]...)
}

func testReduce(t *testing.T, dev tensor.Device) {
	t.Run("ReduceSum", func(t *testing.T) { testReduceSum(t, dev) })
	t.Run("ReduceMax", func(t *testing.T) { testReduceMax(t, dev) })
	t.Run("Softmax", func(t *testing.T) { testSoftmax(t, dev) })
}

func testReduceSum(t *testing.T, dev tensor.Device) {
	cases := []struct{ x, dst []int }{
		{[]int{}, []int{}},
		{[]int{1}, []int{1}},
		{[]int{3, 1, 5, 7}, []int{1, 1, 1, 1}},
		{[]int{3, 1, 5, 7}, []int{3, 1, 1, 1}},
		{[]int{3, 1, 5, 7}, []int{1, 1, 5, 7}},
		{[]int{3, 1, 5, 7}, []int{3, 1, 5, 1}},
		{[]int{3, 1, 5, 7}, []int{1, 1, 5, 1}},
		{[]int{3, 1, 5, 7}, []int{3, 1, 1, 7}},
		{[]int{3, 1, 5, 7}, []int{3, 1, 5, 7}},
		{[]int{3, 4, 5, 6}, []int{1, 4, 1, 6}},
		{[]int{3, 4, 5, 6}, []int{3, 1, 5, 1}},
		{[]int{64, 33}, []int{1, 33}},
		{[]int{64, 33}, []int{64, 1}},
		{[]int{4, 6, 9}, []int{1, 6, 1}},
		{[]int{500, 70}, []int{1, 70}},
		{[]int{3, 20, 2000}, []int{3, 1, 2000}},
		{[]int{2, 40000}, []int{1, 1}},
		{[]int{1, 5, 9000}, []int{1, 5, 1}},
		{[]int{9000, 5}, []int{9000, 1}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v→%v", c.x, c.dst), func(t *testing.T) {
			xv := random(7, numel(c.x))
			want := make([]float64, numel(c.dst))
			// Reference: add every element of x into the dst position of its index.
			idx := make([]int, len(c.x))
			for _, v := range xv {
				p := 0
				for k, i := range idx {
					if c.dst[k] == 1 {
						i = 0
					}
					p = p*c.dst[k] + i
				}
				want[p] += float64(v)
				for k := len(idx) - 1; k >= 0; k-- {
					idx[k]++
					if idx[k] < c.x[k] {
						break
					}
					idx[k] = 0
				}
			}
			dst := tensor.New(dev, c.dst...)
			dev.ReduceSum(dst, upload(dev, xv, c.x...))
			AllClose(t, "ReduceSum", dst, want, c.dst, rtol, 1e-5)
		})
	}
}

func testReduceMax(t *testing.T, dev tensor.Device) {
	cases := []struct {
		shape []int
		axis  int
	}{
		{[]int{1}, 0}, {[]int{7}, 0}, {[]int{3, 1, 5, 7}, 0}, {[]int{3, 1, 5, 7}, 1},
		{[]int{3, 1, 5, 7}, 2}, {[]int{3, 1, 5, 7}, 3}, {[]int{4, 2000}, 0}, {[]int{300, 200}, 1},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v/%d", c.shape, c.axis), func(t *testing.T) {
			xv := random(8, numel(c.shape))
			for i := range xv { // coarse values: ties must pick the first maximum
				xv[i] = float32(math.Round(float64(xv[i]) * 3))
			}
			outer, n, inner := split3(c.shape, c.axis)
			want, wantArg := make([]float64, outer*inner), make([]float64, outer*inner)
			for o := range outer {
				for i := range inner {
					best, at := math.Inf(-1), -1
					for j := range n {
						if v := float64(xv[(o*n+j)*inner+i]); v > best {
							best, at = v, j
						}
					}
					want[o*inner+i], wantArg[o*inner+i] = best, float64(at)
				}
			}
			oshape := without(c.shape, c.axis)
			dst, arg := tensor.New(dev, oshape...), tensor.New(dev, oshape...)
			dev.ReduceMax(dst, arg, upload(dev, xv, c.shape...), c.axis)
			AllClose(t, "ReduceMax", dst, want, oshape, 0, 0)
			AllClose(t, "ReduceMax argmax", arg, wantArg, oshape, 0, 0)
		})
	}
}

func testSoftmax(t *testing.T, dev tensor.Device) {
	cases := []struct {
		shape []int
		axis  int
	}{
		{[]int{1}, 0}, {[]int{3, 1, 5, 7}, 0}, {[]int{3, 1, 5, 7}, 1}, {[]int{3, 1, 5, 7}, 2},
		{[]int{3, 1, 5, 7}, 3}, {[]int{4, 700}, 0}, {[]int{64, 257}, 1}, {[]int{2, 33, 40}, 1},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%v/%d", c.shape, c.axis), func(t *testing.T) {
			xv, gv := random(9, numel(c.shape)), random(10, numel(c.shape))
			for i := range xv {
				xv[i] *= 8
			}
			outer, n, inner := split3(c.shape, c.axis)
			y, dx := make([]float64, len(xv)), make([]float64, len(xv))
			for o := range outer {
				for i := range inner {
					at := func(j int) int { return (o*n+j)*inner + i }
					z, dot := 0.0, 0.0
					for j := range n {
						y[at(j)] = math.Exp(float64(xv[at(j)]))
						z += y[at(j)]
					}
					for j := range n {
						y[at(j)] /= z
						dot += float64(gv[at(j)]) * y[at(j)]
					}
					for j := range n {
						dx[at(j)] = y[at(j)] * (float64(gv[at(j)]) - dot)
					}
				}
			}
			dst := tensor.New(dev, c.shape...)
			dev.Softmax(dst, upload(dev, xv, c.shape...), c.axis)
			AllClose(t, "Softmax", dst, y, c.shape, rtol, atol)
			d := tensor.New(dev, c.shape...)
			dev.SoftmaxBackward(d, upload(dev, gv, c.shape...), dst, c.axis)
			AllClose(t, "SoftmaxBackward", d, dx, c.shape, rtol, atol)
		})
	}
}
