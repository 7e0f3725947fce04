//go:build cuda

package cuda

import (
	"github.com/selfsup/selfsup/tensor"
)

// MaxPool computes dst: [N, C, *g.Out] = the maximum of x: [N, C, *g.In] over each
// window and argmax: [N, C, *g.Out] = the flat position of that maximum within its
// [*g.In] plane; see [tensor.Device.MaxPool]. Padding never wins; the first maximum in
// (kd, kh, kw) order wins ties and a NaN wins over numbers; a window wholly in the
// padding gives −∞ with argmax −1. One thread per output element.
func (d *Device) MaxPool(dst, argmax, x *tensor.Tensor, g tensor.ConvGeom) {
	winCheckGeom("MaxPool", g)
	n, c := winCheckNCS("MaxPool", "x", x, -1, 0, g.In)
	winCheckNCS("MaxPool", "dst", dst, n, c, g.Out)
	winCheckNCS("MaxPool", "argmax", argmax, n, c, g.Out)
	q := toWinGeom(g)
	if total := n * c * g.OutSize(); total > 0 {
		d.launch("pool", "maxpool", winGrid(total), winBlock, 0, winArgs(total, &q, dst, argmax, x)...)
	}
}

// MaxPoolBackward computes dx: [N, C, *g.In] (overwritten) = Σ dy: [N, C, *g.Out]
// routed to each argmax position; see [tensor.Device.MaxPoolBackward]. One thread per
// input element gathers from the windows covering it (deterministic, no atomics).
func (d *Device) MaxPoolBackward(dx, dy, argmax *tensor.Tensor, g tensor.ConvGeom) {
	winCheckGeom("MaxPoolBackward", g)
	n, c := winCheckNCS("MaxPoolBackward", "dx", dx, -1, 0, g.In)
	winCheckNCS("MaxPoolBackward", "dy", dy, n, c, g.Out)
	winCheckNCS("MaxPoolBackward", "argmax", argmax, n, c, g.Out)
	q := toWinGeom(g)
	if total := n * c * g.InSize(); total > 0 {
		d.launch("pool", "maxpool_bwd", winGrid(total), winBlock, 0, winArgs(total, &q, dx, dy, argmax)...)
	}
}

// AvgPool computes dst: [N, C, *g.Out] = the sum of x: [N, C, *g.In] over each window
// divided by ∏g.Kernel (count_include_pad=True); see [tensor.Device.AvgPool]. One
// thread per output element.
func (d *Device) AvgPool(dst, x *tensor.Tensor, g tensor.ConvGeom) {
	winCheckGeom("AvgPool", g)
	n, c := winCheckNCS("AvgPool", "x", x, -1, 0, g.In)
	winCheckNCS("AvgPool", "dst", dst, n, c, g.Out)
	q := toWinGeom(g)
	if total := n * c * g.OutSize(); total > 0 {
		d.launch("pool", "avgpool", winGrid(total), winBlock, 0, winArgs(total, &q, dst, x)...)
	}
}

// AvgPoolBackward computes dx: [N, C, *g.In] (overwritten) from dy: [N, C, *g.Out], the
// adjoint of [Device.AvgPool]; see [tensor.Device.AvgPoolBackward]. One thread per input
// element gathers from the windows covering it.
func (d *Device) AvgPoolBackward(dx, dy *tensor.Tensor, g tensor.ConvGeom) {
	winCheckGeom("AvgPoolBackward", g)
	n, c := winCheckNCS("AvgPoolBackward", "dx", dx, -1, 0, g.In)
	winCheckNCS("AvgPoolBackward", "dy", dy, n, c, g.Out)
	q := toWinGeom(g)
	if total := n * c * g.InSize(); total > 0 {
		d.launch("pool", "avgpool_bwd", winGrid(total), winBlock, 0, winArgs(total, &q, dx, dy)...)
	}
}
