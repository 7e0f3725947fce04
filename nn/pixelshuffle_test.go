package nn

import (
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

func TestPixelShuffle(t *testing.T) {
	for _, c := range []struct {
		name       string
		n, c, h, w int
		r          int
	}{
		{"r2", 2, 3, 3, 4, 2},
		{"r3", 1, 2, 2, 3, 3},
		{"r1", 1, 2, 2, 2, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.r
			x := cvRand(31, c.n, c.c*r*r, c.h, c.w)
			y := (*Tape)(nil).PixelShuffle(NewVar(x), r).Value
			want := make([]float64, x.Numel())
			xd := x.Data()
			H, W := c.h*r, c.w*r
			for n := range c.n {
				for ch := range c.c {
					for h := range c.h {
						for i := range r {
							for w := range c.w {
								for j := range r {
									src := ((n*c.c*r*r+ch*r*r+i*r+j)*c.h+h)*c.w + w
									dst := ((n*c.c+ch)*H+h*r+i)*W + w*r + j
									want[dst] = float64(xd[src])
								}
							}
						}
					}
				}
			}
			cvClose(t, "PixelShuffle", y, cvTensor(want, []int{c.n, c.c, H, W}), 0)
			gradCheck(t, func(tp *Tape, in []*Var) *Var { return tp.PixelShuffle(in[0], r) }, []*tensor.Tensor{x}, gradCheckOpts{})
		})
	}
}
