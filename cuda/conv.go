//go:build cuda

package cuda

import (
	"fmt"
	"math"
	"slices"

	"github.com/selfsup/selfsup/tensor"
)

// winGrid is the grid of a grid-stride window kernel over total elements.
func winGrid(total int) [3]int { return [3]int{blocks(total, threadsPerBlock)} }

// winBlock is the block of the window kernels.
var winBlock = [3]int{threadsPerBlock}

// winArgs returns the arguments of a window kernel: the tensors, total (a C long long)
// and the geometry.
func winArgs(total int, q *winGeom, tensors ...*tensor.Tensor) []any {
	args := make([]any, 0, len(tensors)+19)
	for _, t := range tensors {
		args = append(args, t)
	}
	args = append(args, uint64(total))
	return append(args, q.args()...)
}

// winCheckGeom panics unless g is a well-formed geometry with 1–3 axes.
func winCheckGeom(op string, g tensor.ConvGeom) {
	n := len(g.In)
	if n < 1 || n > 3 || len(g.Kernel) != n || len(g.Stride) != n || len(g.Pad) != n ||
		len(g.Dilation) != n || len(g.Out) != n {
		panic(fmt.Sprintf("cuda: %s: malformed ConvGeom %+v (build it with tensor.NewConvGeom)", op, g))
	}
}

// winCheckNCS panics unless t is contiguous with shape [N, C, *spatial] for the given N
// and C (or any N and C when n < 0) and returns N and C.
func winCheckNCS(op, name string, t *tensor.Tensor, n, c int, spatial []int) (int, int) {
	s := t.Shape()
	ok := len(s) == 2+len(spatial) && slices.Equal(s[2:], spatial) && (n < 0 || (s[0] == n && s[1] == c))
	if !ok {
		want := "[N C"
		if n >= 0 {
			want = fmt.Sprintf("[%d %d", n, c)
		}
		for _, v := range spatial {
			want += fmt.Sprintf(" %d", v)
		}
		panic(fmt.Sprintf("cuda: %s: %s %v, want %s]", op, name, s, want))
	}
	winCheckContig(op, name, t)
	return s[0], s[1]
}

// winCheckContig panics unless t is contiguous.
func winCheckContig(op, name string, t *tensor.Tensor) {
	if !t.IsContiguous() {
		panic(fmt.Sprintf("cuda: %s: %s %v strides %v is not contiguous", op, name, t.Shape(), t.Strides()))
	}
}

// convMaxGridY is the launch limit of grid y; the conv kernels stride over planes.
const convMaxGridY = 65535

// convLaunchGeom returns the grid and block of a conv.cu kernel over planes planes of
// size positions each: blockDim.x threads along the positions (a multiple of 32, at
// most threadsPerBlock, no more than the positions need), the rest of the block along
// the planes; grid x covers the positions exactly, grid y strides over the planes.
func convLaunchGeom(size, planes int) (grid, block [3]int) {
	tx := min(threadsPerBlock, (size+31)/32*32)
	ty := max(threadsPerBlock/tx, 1)
	grid = [3]int{(size + tx - 1) / tx, min((planes+ty-1)/ty, convMaxGridY), 1}
	return grid, [3]int{tx, ty, 1}
}

// convCheckSizes panics when a plane's input size or K·O columns do not fit the 32-bit
// index math of conv.cu.
func convCheckSizes(op string, k, o, in int) {
	if int64(k)*int64(o) > math.MaxInt32 || int64(in) > math.MaxInt32 {
		panic(fmt.Sprintf("cuda: %s: per-plane sizes K·O = %d·%d, input %d exceed 2³¹−1", op, k, o, in))
	}
}

// convArgs returns the arguments of a conv.cu kernel: the two tensors, planes and the
// geometry.
func convArgs(q *winGeom, planes int, a, b *tensor.Tensor) []any {
	return append([]any{a, b, planes}, q.args()...)
}

// Im2Col unfolds x: [N, C, *g.In] into col: [N, C·∏g.Kernel, ∏g.Out], rows ordered
// (c, kd, kh, kw), zero outside the padded input; see [tensor.Device.Im2Col]. One
// thread per (plane, output position) writes that position's ∏g.Kernel rows.
func (d *Device) Im2Col(col, x *tensor.Tensor, g tensor.ConvGeom) {
	winCheckGeom("Im2Col", g)
	n, c := winCheckNCS("Im2Col", "x", x, -1, 0, g.In)
	k, o := g.KernelSize(), g.OutSize()
	if want := []int{n, c * k, o}; !slices.Equal(col.Shape(), want) {
		panic(fmt.Sprintf("cuda: Im2Col: col %v, want %v", col.Shape(), want))
	}
	winCheckContig("Im2Col", "col", col)
	q := toWinGeom(g)
	if planes := n * c; planes > 0 && k > 0 && o > 0 {
		convCheckSizes("Im2Col", k, o, g.InSize())
		grid, block := convLaunchGeom(o, planes)
		d.launch("conv", "im2col", grid, block, 0, convArgs(&q, planes, col, x)...)
	}
}

// Col2Im accumulates col: [N, C·∏g.Kernel, ∏g.Out] into x: [N, C, *g.In]
// (x += fold(col)), the adjoint of [Device.Im2Col]; see [tensor.Device.Col2Im]. One
// thread per x element gathers the taps that read it (no atomics).
func (d *Device) Col2Im(x, col *tensor.Tensor, g tensor.ConvGeom) {
	winCheckGeom("Col2Im", g)
	n, c := winCheckNCS("Col2Im", "x", x, -1, 0, g.In)
	k, o := g.KernelSize(), g.OutSize()
	if want := []int{n, c * k, o}; !slices.Equal(col.Shape(), want) {
		panic(fmt.Sprintf("cuda: Col2Im: col %v, want %v", col.Shape(), want))
	}
	winCheckContig("Col2Im", "col", col)
	q := toWinGeom(g)
	if planes, in := n*c, g.InSize(); planes > 0 && in > 0 {
		convCheckSizes("Col2Im", k, o, in)
		grid, block := convLaunchGeom(in, planes)
		d.launch("conv", "col2im", grid, block, 0, convArgs(&q, planes, x, col)...)
	}
}
