package nn

import (
	"fmt"

	"github.com/selfsup/selfsup/tensor"
)

// PixelShuffle rearranges channels into space (torch.nn.PixelShuffle):
// x: [N, C·r², H, W] → [N, C, H·r, W·r] with y[n, c, h·r+i, w·r+j] = x[n, c·r²+i·r+j, h, w].
func (tp *Tape) PixelShuffle(x *Var, r int) *Var {
	xs := x.Shape()
	if len(xs) != 4 || r < 1 || xs[1]%(r*r) != 0 {
		panic(fmt.Sprintf("nn: PixelShuffle: x %v, factor %d: need [N, C·r², H, W]", xs, r))
	}
	n, c, h, w := xs[0], xs[1]/(r*r), xs[2], xs[3]
	dev := x.Device()
	y := tensor.New(dev, n, c, h*r, w*r)
	// y viewed [N, C, H, r, W, r] ← x viewed [N, C, r, r, H, W] permuted (0,1,4,2,5,3).
	xv := x.Value.Contiguous()
	src := xv.Reshape(n, c, r, r, h, w).Permute(0, 1, 4, 2, 5, 3)
	dev.CopyStrided(y.Reshape(n, c, h, r, w, r), src)
	freeCopy(xv, x.Value)
	out := tp.result(y, x)
	if tp.needsGrad(x) {
		tp.record(func() {
			if out.Grad == nil {
				return
			}
			dx := tensor.New(dev, n, c*r*r, h, w)
			g := out.Grad.Reshape(n, c, h, r, w, r).Permute(0, 1, 3, 5, 2, 4)
			dev.CopyStrided(dx.Reshape(n, c, r, r, h, w), g)
			accumulate(x, dx)
		})
	}
	return out
}
