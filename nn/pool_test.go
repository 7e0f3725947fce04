package nn

import (
	"math"
	"slices"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// cvPerm returns a tensor holding a random permutation of 0…n−1 scaled by 0.1 (no ties,
// neighbours further apart than twice gradCheck's step).
func cvPerm(seed uint64, shape ...int) *tensor.Tensor {
	n := cvProd(shape)
	p := tensor.NewRNG(seed).Perm(n)
	v := make([]float32, n)
	for i, x := range p {
		v[i] = 0.1*float32(x) - 0.05*float32(n)
	}
	return tensor.FromSlice(v, shape...)
}

// naivePool is the direct max or average pooling of x: [N, C, *in] (average divides
// by ∏kernel, padding included).
func naivePool(x *tensor.Tensor, isMax bool, kernel, stride, pad, out []int) *tensor.Tensor {
	xs := x.Shape()
	planes, in := xs[0]*xs[1], xs[2:]
	inSize, outSize := cvProd(in), cvProd(out)
	xd := x.Data()
	y := make([]float64, planes*outSize)
	dil := slices.Repeat([]int{1}, len(in))
	for p := range planes {
		acc := make([]float64, outSize)
		for o := range acc {
			if isMax {
				acc[o] = math.Inf(-1)
			}
		}
		cvTaps(in, kernel, stride, pad, dil, out, func(o, i, k int) {
			if i < 0 {
				return
			}
			v := float64(xd[p*inSize+i])
			if isMax {
				acc[o] = math.Max(acc[o], v)
			} else {
				acc[o] += v / float64(cvProd(kernel))
			}
		})
		copy(y[p*outSize:], acc)
	}
	return cvTensor(y, append(slices.Clone(xs[:2]), out...))
}

type poolCase struct {
	name                string
	x                   []int
	kernel, stride, pad []int
	fullK, fullS, fullP []int // expanded, for the naive reference
	out                 []int
}

var poolCases = []poolCase{
	{"1d k2", []int{2, 3, 7}, []int{2}, nil, nil, []int{2}, []int{2}, []int{0}, []int{3}},
	{"1d k3 s2 p1", []int{1, 2, 8}, []int{3}, []int{2}, []int{1}, []int{3}, []int{2}, []int{1}, []int{4}},
	{"2d k2", []int{2, 2, 6, 5}, []int{2}, nil, nil, []int{2, 2}, []int{2, 2}, []int{0, 0}, []int{3, 2}},
	{"2d k3 s2 p1", []int{1, 3, 7, 6}, []int{3}, []int{2}, []int{1}, []int{3, 3}, []int{2, 2}, []int{1, 1}, []int{4, 3}},
	{"2d k(2,3) s1", []int{1, 2, 4, 5}, []int{2, 3}, []int{1}, nil, []int{2, 3}, []int{1, 1}, []int{0, 0}, []int{3, 3}},
	{"3d k2", []int{1, 2, 4, 4, 5}, []int{2}, nil, nil, []int{2, 2, 2}, []int{2, 2, 2}, []int{0, 0, 0}, []int{2, 2, 2}},
	{"3d k(1,2,2)", []int{2, 1, 3, 4, 4}, []int{1, 2, 2}, nil, nil, []int{1, 2, 2}, []int{1, 2, 2}, []int{0, 0, 0}, []int{3, 2, 2}},
	{"3d k3 s2 p1", []int{1, 1, 5, 4, 3}, []int{3}, []int{2}, []int{1}, []int{3, 3, 3}, []int{2, 2, 2}, []int{1, 1, 1}, []int{3, 2, 2}},
}

func TestMaxPool(t *testing.T) {
	for _, c := range poolCases {
		t.Run(c.name, func(t *testing.T) {
			x := cvPerm(11, c.x...)
			got := (*Tape)(nil).MaxPool(NewVar(x), c.kernel, c.stride, c.pad).Value
			cvClose(t, "MaxPool", got, naivePool(x, true, c.fullK, c.fullS, c.fullP, c.out), 0)
			gradCheck(t, func(tp *Tape, in []*Var) *Var {
				return tp.MaxPool(in[0], c.kernel, c.stride, c.pad)
			}, []*tensor.Tensor{x}, gradCheckOpts{})
		})
	}
}

func TestAvgPool(t *testing.T) {
	for _, c := range poolCases {
		t.Run(c.name, func(t *testing.T) {
			x := cvRand(12, c.x...)
			got := (*Tape)(nil).AvgPool(NewVar(x), c.kernel, c.stride, c.pad).Value
			cvClose(t, "AvgPool", got, naivePool(x, false, c.fullK, c.fullS, c.fullP, c.out), 1e-5)
			gradCheck(t, func(tp *Tape, in []*Var) *Var {
				return tp.AvgPool(in[0], c.kernel, c.stride, c.pad)
			}, []*tensor.Tensor{x}, gradCheckOpts{})
		})
	}
}

func TestGlobalAvgPool(t *testing.T) {
	for _, shape := range [][]int{{2, 3, 5}, {2, 3, 4, 5}, {1, 2, 3, 4, 2}} {
		t.Run("", func(t *testing.T) {
			x := cvRand(13, shape...)
			y := (*Tape)(nil).GlobalAvgPool(NewVar(x)).Value
			planes := shape[0] * shape[1]
			s := cvProd(shape[2:])
			want := make([]float64, planes)
			for i, v := range x.Values() {
				want[i/s] += float64(v) / float64(s)
			}
			wantShape := slices.Clone(shape)
			for i := 2; i < len(shape); i++ {
				wantShape[i] = 1
			}
			cvClose(t, "GlobalAvgPool", y, cvTensor(want, wantShape), 1e-5)
			gradCheck(t, func(tp *Tape, in []*Var) *Var { return tp.GlobalAvgPool(in[0]) }, []*tensor.Tensor{x}, gradCheckOpts{})
			// x used twice (channel attention): the pool's gradient adds into x's.
			gradCheck(t, func(tp *Tape, in []*Var) *Var { return tp.Mul(in[0], tp.GlobalAvgPool(in[0])) }, []*tensor.Tensor{x}, gradCheckOpts{})
		})
	}
}

func TestPoolPanics(t *testing.T) {
	x := NewVar(tensor.Zeros(tensor.CPU{}, 1, 1, 4, 4))
	for name, f := range map[string]func(){
		"padding > kernel/2": func() { (*Tape)(nil).MaxPool(x, []int{2}, nil, []int{2}) },
		"kernel entries":     func() { (*Tape)(nil).AvgPool(x, []int{2, 2, 2}, nil, nil) },
		"rank":               func() { (*Tape)(nil).MaxPool(NewVar(tensor.Zeros(tensor.CPU{}, 4, 4)), []int{2}, nil, nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			f()
		})
	}
}
