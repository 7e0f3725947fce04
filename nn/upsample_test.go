package nn

import (
	"math"
	"slices"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// naiveUpsample resamples x: [N, C, *in] to out as PyTorch's interpolate with
// scale_factor (align_corners=False): nearest reads floor(dst/scale); linear
// interpolates between the two neighbours of (dst+0.5)/scale − 0.5 (clamped at 0).
func naiveUpsample(x *tensor.Tensor, mode tensor.ResampleMode, scales []float64, out []int) *tensor.Tensor {
	xs := x.Shape()
	planes, in := xs[0]*xs[1], xs[2:]
	nd := len(in)
	inSize, outSize := cvProd(in), cvProd(out)
	xd := x.Data()
	y := make([]float64, planes*outSize)
	oi := make([]int, nd)
	lo, hi := make([]int, nd), make([]int, nd)
	lam := make([]float64, nd)
	for o := range outSize {
		cvUnravel(o, out, oi)
		for a := range nd {
			if mode == tensor.Nearest {
				lo[a] = min(int(math.Floor(float64(oi[a])/scales[a])), in[a]-1)
				hi[a], lam[a] = lo[a], 0
				continue
			}
			src := math.Max((float64(oi[a])+0.5)/scales[a]-0.5, 0)
			lo[a] = min(int(math.Floor(src)), in[a]-1)
			hi[a] = min(lo[a]+1, in[a]-1)
			lam[a] = src - float64(lo[a])
		}
		for corner := range 1 << nd {
			wgt, i := 1.0, 0
			for a := range nd {
				p := lo[a]
				if corner>>(nd-1-a)&1 == 1 {
					p, wgt = hi[a], wgt*lam[a]
				} else {
					wgt *= 1 - lam[a]
				}
				i = i*in[a] + p
			}
			if wgt == 0 {
				continue
			}
			for p := range planes {
				y[p*outSize+o] += wgt * float64(xd[p*inSize+i])
			}
		}
	}
	return cvTensor(y, append(slices.Clone(xs[:2]), out...))
}

func TestUpsample(t *testing.T) {
	cases := []struct {
		name   string
		x      []int
		mode   tensor.ResampleMode
		scales []float64
		out    []int
	}{
		{"nearest 1d x2", []int{2, 3, 5}, tensor.Nearest, []float64{2}, []int{10}},
		{"nearest 2d x2", []int{1, 2, 3, 4}, tensor.Nearest, []float64{2}, []int{6, 8}},
		{"nearest 2d (3,1)", []int{2, 1, 3, 4}, tensor.Nearest, []float64{3, 1}, []int{9, 4}},
		{"nearest 3d (1,2,2)", []int{1, 2, 2, 3, 3}, tensor.Nearest, []float64{1, 2, 2}, []int{2, 6, 6}},
		{"linear 1d x2", []int{2, 2, 5}, tensor.Linear, []float64{2}, []int{10}},
		{"linear 1d x1.5", []int{1, 2, 5}, tensor.Linear, []float64{1.5}, []int{7}},
		{"bilinear x2", []int{1, 2, 3, 4}, tensor.Linear, []float64{2}, []int{6, 8}},
		{"bilinear x0.5", []int{1, 2, 6, 5}, tensor.Linear, []float64{0.5}, []int{3, 2}},
		{"trilinear x2", []int{1, 2, 2, 3, 3}, tensor.Linear, []float64{2}, []int{4, 6, 6}},
		{"trilinear (1,2,2)", []int{2, 1, 3, 2, 3}, tensor.Linear, []float64{1, 2, 2}, []int{3, 4, 6}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := cvRand(21, c.x...)
			y := (*Tape)(nil).Upsample(NewVar(x), c.mode, c.scales).Value
			sc := c.scales
			if len(sc) == 1 {
				sc = slices.Repeat(sc, len(c.x)-2)
			}
			cvClose(t, "Upsample", y, naiveUpsample(x, c.mode, sc, c.out), 1e-5)
			gradCheck(t, func(tp *Tape, in []*Var) *Var {
				return tp.Upsample(in[0], c.mode, c.scales)
			}, []*tensor.Tensor{x}, gradCheckOpts{})
		})
	}
}

func TestUpsamplePanics(t *testing.T) {
	x := NewVar(tensor.Zeros(tensor.CPU{}, 1, 1, 4, 4))
	for name, f := range map[string]func(){
		"scale entries": func() { (*Tape)(nil).Upsample(x, tensor.Nearest, []float64{2, 2, 2}) },
		"empty output":  func() { (*Tape)(nil).Upsample(x, tensor.Nearest, []float64{0.1}) },
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
