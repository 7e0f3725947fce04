package nn

import (
	"fmt"
	"slices"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

func TestShapeViewsForward(t *testing.T) {
	x := NewVar(tensor.FromSlice([]float32{0, 1, 2, 3, 4, 5}, 2, 3))
	var tp *Tape
	for _, tc := range []struct {
		name  string
		y     *Var
		shape []int
		want  []float32
	}{
		{"reshape", tp.Reshape(x, 3, -1), []int{3, 2}, []float32{0, 1, 2, 3, 4, 5}},
		{"transpose", tp.Transpose(x, 0, 1), []int{3, 2}, []float32{0, 3, 1, 4, 2, 5}},
		{"reshape-of-view", tp.Reshape(tp.Transpose(x, 0, 1), 6), []int{6}, []float32{0, 3, 1, 4, 2, 5}},
		{"permute", tp.Permute(tp.Reshape(x, 1, 2, 3), 2, 0, 1), []int{3, 1, 2}, []float32{0, 3, 1, 4, 2, 5}},
		{"contiguous", tp.Contiguous(tp.Transpose(x, 0, 1)), []int{3, 2}, []float32{0, 3, 1, 4, 2, 5}},
		{"slice", tp.Slice(x, 1, 1, 3), []int{2, 2}, []float32{1, 2, 4, 5}},
		{"concat-0", tp.Concat(0, x, tp.Slice(x, 0, 1, 2)), []int{3, 3}, []float32{0, 1, 2, 3, 4, 5, 3, 4, 5}},
		{"concat-1", tp.Concat(-1, tp.Slice(x, 1, 2, 3), x), []int{2, 4}, []float32{2, 0, 1, 2, 5, 3, 4, 5}},
		{"pad", tp.Pad(x, []int{1, 0, 0, 1}, 9), []int{3, 4}, []float32{9, 0, 1, 2, 9, 3, 4, 5, 9, 9, 9, 9}},
		{"pad-crop", tp.Pad(x, []int{-1, 1}, 7), []int{2, 3}, []float32{1, 2, 7, 4, 5, 7}},
		{"pad-crop-rows", tp.Pad(x, []int{0, 0, 0, -1}, 7), []int{1, 3}, []float32{0, 1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !slices.Equal(tc.y.Shape(), tc.shape) {
				t.Fatalf("shape %v, want %v", tc.y.Shape(), tc.shape)
			}
			opClose(t, "value", tc.y.Value.Values(), tc.want, 0)
		})
	}
}

func TestShapeGrad(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(tp *Tape, x *Var) *Var
	}{
		{"reshape", func(tp *Tape, x *Var) *Var { return tp.Reshape(x, 4, -1) }},
		{"reshape-of-view", func(tp *Tape, x *Var) *Var { return tp.Reshape(tp.Transpose(x, 0, 2), 6, 4) }},
		{"permute", func(tp *Tape, x *Var) *Var { return tp.Permute(x, 2, 0, 1) }},
		{"permute-neg", func(tp *Tape, x *Var) *Var { return tp.Permute(x, -1, 0, -2) }},
		{"transpose", func(tp *Tape, x *Var) *Var { return tp.Transpose(x, 1, -1) }},
		{"contiguous", func(tp *Tape, x *Var) *Var { return tp.Contiguous(tp.Transpose(x, 0, 1)) }},
		{"slice", func(tp *Tape, x *Var) *Var { return tp.Slice(x, 2, 1, 3) }},
		{"slice-twice", func(tp *Tape, x *Var) *Var { return tp.Add(tp.Slice(x, 1, 0, 2), tp.Slice(x, 1, 1, 3)) }},
		{"pad", func(tp *Tape, x *Var) *Var { return tp.Pad(x, []int{1, 2, 0, 1}, 0.5) }},
		{"pad-negative", func(tp *Tape, x *Var) *Var { return tp.Pad(x, []int{-1, 2, 1, -1, -1, 0}, 0) }},
		{"pad-view", func(tp *Tape, x *Var) *Var { return tp.Pad(tp.Permute(x, 2, 1, 0), []int{1, 1}, 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gradCheck(t, func(tp *Tape, in []*Var) *Var { return tc.f(tp, in[0]) },
				[]*tensor.Tensor{opRand(131, 2, 3, 4)}, gradCheckOpts{})
		})
	}
}

func TestConcatGrad(t *testing.T) {
	for _, axis := range []int{0, 1, 2, -1} {
		t.Run(fmt.Sprint(axis), func(t *testing.T) {
			shapes := [][]int{{2, 3, 4}, {2, 3, 4}, {2, 3, 4}}
			for i := range shapes {
				a := axis
				if a < 0 {
					a += 3
				}
				shapes[i][a] = i + 1
			}
			in := []*tensor.Tensor{opRand(141, shapes[0]...), opRand(142, shapes[1]...), opRand(143, shapes[2]...)}
			gradCheck(t, func(tp *Tape, in []*Var) *Var { return tp.Concat(axis, in...) }, in, gradCheckOpts{})
		})
	}
	t.Run("same-input-twice", func(t *testing.T) {
		gradCheck(t, func(tp *Tape, in []*Var) *Var { return tp.Concat(0, in[0], in[1], in[0]) },
			[]*tensor.Tensor{opRand(144, 1, 3), opRand(145, 2, 3)}, gradCheckOpts{})
	})
	t.Run("one-frozen", func(t *testing.T) {
		gradCheck(t, func(tp *Tape, in []*Var) *Var { return tp.Concat(1, in[0], in[1]) },
			[]*tensor.Tensor{opRand(146, 2, 2), opRand(147, 2, 3)}, gradCheckOpts{skip: map[int]bool{0: true}})
	})
}

func TestShapePanics(t *testing.T) {
	x := NewVar(tensor.Zeros(tensor.CPU{}, 2, 3))
	var tp *Tape
	for i, tc := range []struct {
		want string
		f    func()
	}{
		{"nn: Concat: shapes [2 3] and [3 3] differ outside axis 1", func() { tp.Concat(1, x, NewVar(tensor.Zeros(tensor.CPU{}, 3, 3))) }},
		{"nn: Concat: axis 2 for shape [2 3]", func() { tp.Concat(2, x, x) }},
		{"nn: Pad: pads [1 1 1] for shape [2 3]", func() { tp.Pad(x, []int{1, 1, 1}, 0) }},
		{"nn: Pad: pads [-2 -2] for shape [2 3]: axis 1 gets negative size", func() { tp.Pad(x, []int{-2, -2}, 0) }},
		{"tensor: Reshape: [2 3] to [4 -1]", func() { tp.Reshape(x, 4, -1) }},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) { opPanics(t, tc.want, tc.f) })
	}
}
