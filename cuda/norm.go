//go:build cuda

package cuda

import (
	"fmt"

	"github.com/selfsup/selfsup/tensor"
)

// ewOpt checks that the optional tensor t (nil allowed) has n elements and is
// contiguous.
func ewOpt(op, name string, t *tensor.Tensor, n int) {
	if t == nil {
		return
	}
	if t.Numel() != n {
		panic(fmt.Sprintf("cuda: %s: %s %v, want %d elements", op, name, t.Shape(), n))
	}
	ewContig(op, t)
}

// ewRows2D returns R, D for x treated as [R, D] (the last axis is D).
func ewRows2D(op string, x *tensor.Tensor) (int, int) {
	s := x.Shape()
	if len(s) < 1 {
		panic(fmt.Sprintf("cuda: %s: x %v has no feature axis", op, s))
	}
	d := s[len(s)-1]
	if d == 0 {
		return 0, 0
	}
	return x.Numel() / d, d
}

// LayerNorm normalises each row of x: [R, D] over D: dst = (x−μ)·rstd·w + b, saving
// mean: [R] and rstd: [R] = 1/√(var+eps) (biased variance, float64 two-pass, one warp
// per row). x may have more leading axes (R is their product); w, b: [D] or nil.
func (d *Device) LayerNorm(dst, mean, rstd, x, w, b *tensor.Tensor, eps float32) {
	ewSameShape("LayerNorm", x, dst)
	R, D := ewRows2D("LayerNorm", x)
	ewContig("LayerNorm", x, dst)
	ewOpt("LayerNorm", "mean", mean, R)
	ewOpt("LayerNorm", "rstd", rstd, R)
	ewOpt("LayerNorm", "w", w, D)
	ewOpt("LayerNorm", "b", b, D)
	if mean == nil || rstd == nil {
		panic("cuda: LayerNorm: mean and rstd are required")
	}
	if R == 0 {
		return
	}
	d.launch("norm", "layernorm_forward", ewRowGrid(R), ewBlock, 0, dst, mean, rstd, x, w, b, R, D, eps)
}

// LayerNormBackward computes dx: [R, D] and, when non-nil, dw, db: [D] (overwritten)
// from dy: [R, D], the forward input x, w: [D] (nil means 1) and the saved mean, rstd:
// [R]. dx runs one warp per row; dw, db are column sums split over row slices.
func (d *Device) LayerNormBackward(dx, dw, db, dy, x, w, mean, rstd *tensor.Tensor) {
	ewSameShape("LayerNormBackward", x, dx, dy)
	R, D := ewRows2D("LayerNormBackward", x)
	ewContig("LayerNormBackward", x, dx, dy)
	ewOpt("LayerNormBackward", "w", w, D)
	ewOpt("LayerNormBackward", "dw", dw, D)
	ewOpt("LayerNormBackward", "db", db, D)
	ewOpt("LayerNormBackward", "mean", mean, R)
	ewOpt("LayerNormBackward", "rstd", rstd, R)
	if mean == nil || rstd == nil {
		panic("cuda: LayerNormBackward: mean and rstd are required")
	}
	if R == 0 {
		if D > 0 { // no rows: the parameter gradients are empty sums
			for _, t := range []*tensor.Tensor{dw, db} {
				if t != nil {
					d.Fill(t, 0)
				}
			}
		}
		return
	}
	d.launch("norm", "layernorm_backward_dx", ewRowGrid(R), ewBlock, 0, dx, dy, x, w, mean, rstd, R, D)
	if dw == nil && db == nil {
		return
	}
	S, chunk := splits(D, R, targetThreads, minColSlice)
	part := d.allocF64(2 * S * D)
	d.launch("norm", "layernorm_backward_params", [3]int{blocks(D, ewThreads), S}, ewBlock, 0,
		part, dy, x, mean, rstd, R, D, chunk)
	if dw != nil {
		d.sumPartials(dw, nil, part, D, S, 2*D, 0, 1, 1)
	}
	if db != nil {
		d.sumPartials(db, nil, part, D, S, 2*D, D, 1, 1)
	}
	d.Free(part)
}

// ewBNShape returns N, C, S of x: [N, C, *S] (S = 1 for [N, C]).
func ewBNShape(op string, x *tensor.Tensor) (n, c, s int) {
	sh := x.Shape()
	if len(sh) < 2 {
		panic(fmt.Sprintf("cuda: %s: x %v, want [N, C, ...]", op, sh))
	}
	n, c, s = sh[0], sh[1], 1
	for _, v := range sh[2:] {
		s *= v
	}
	return n, c, s
}

var _ tensor.BatchNormActer = (*Device)(nil)

// bnNoAct is the act argument of the BatchNorm kernels for no fused activation.
const bnNoAct = -1

// BatchNorm normalises x: [N, C, S] (any trailing spatial axes, or none) per channel:
// dst = (x−μ_c)/√(var_c+eps)·w_c + b_c. mean, variance: [C]; if train they are
// overwritten with the batch mean and biased variance (float64 two-pass, split over
// slices of each channel), otherwise read. w, b: [C] or nil.
func (d *Device) BatchNorm(dst, mean, variance, x, w, b *tensor.Tensor, eps float32, train bool) {
	d.batchNorm("BatchNorm", dst, mean, variance, x, w, b, eps, train, bnNoAct, 0)
}

// BatchNormActOK reports whether act is fused by [Device.BatchNormAct]: ReLU,
// LeakyReLU and ELU.
func (d *Device) BatchNormActOK(act tensor.UnaryOp) bool {
	return act == tensor.ReLU || act == tensor.LeakyReLU || act == tensor.ELU
}

// BatchNormAct sets dst = act(BatchNorm(x)) in the normalisation's final pass (act
// one of [Device.BatchNormActOK]'s, alpha its parameter); see
// [tensor.BatchNormActer].
func (d *Device) BatchNormAct(dst, mean, variance, x, w, b *tensor.Tensor, eps float32, train bool, act tensor.UnaryOp, alpha float32) {
	d.batchNorm("BatchNormAct", dst, mean, variance, x, w, b, eps, train, bnActCode("BatchNormAct", d, act), alpha)
}

// bnActCode returns the kernels' act argument for op, panicking when it is not fused.
func bnActCode(fn string, d *Device, op tensor.UnaryOp) int {
	if !d.BatchNormActOK(op) {
		panic(fmt.Sprintf("cuda: %s: activation %v is not fused (ReLU, LeakyReLU or ELU)", fn, op))
	}
	return int(op)
}

// batchNorm is BatchNorm with the fused activation act (bnNoAct: none).
func (d *Device) batchNorm(op string, dst, mean, variance, x, w, b *tensor.Tensor, eps float32, train bool, act int, alpha float32) {
	ewSameShape(op, x, dst)
	N, C, S := ewBNShape(op, x)
	ewContig(op, x, dst)
	ewOpt(op, "mean", mean, C)
	ewOpt(op, "variance", variance, C)
	ewOpt(op, "w", w, C)
	ewOpt(op, "b", b, C)
	if mean == nil || variance == nil {
		panic(fmt.Sprintf("cuda: %s: mean and variance are required", op))
	}
	n := x.Numel()
	if n == 0 {
		return
	}
	M := N * S
	coef := d.allocF64(3 * C) // μ, scale, shift per channel
	if train {
		P, chunk := splits(C, M, targetBlocks, minSlice)
		part := d.allocF64(P * C)
		grid := [3]int{C, P}
		d.launch("norm", "bn_partial", grid, ewBlock, 0, part, x, uint64(0), coef, N, C, S, chunk, 0, uint64(0), bnNoAct, float32(0))
		d.sumPartials(mean, f64At(coef, 0), part, C, P, C, 0, M, M)
		d.launch("norm", "bn_partial", grid, ewBlock, 0, part, x, uint64(0), coef, N, C, S, chunk, 1, uint64(0), bnNoAct, float32(0))
		d.sumPartials(variance, nil, part, C, P, C, 0, M, 1)
		d.Free(part)
	}
	d.launch("norm", "bn_coeffs", ewGrid(C), ewBlock, 0, coef, mean, variance, w, b, eps, C, train)
	d.launch("norm", "bn_apply", ewGrid(n), ewBlock, 0, dst, x, coef, C, S, int64(n), act, alpha)
	d.Free(coef)
}

// BatchNormBackward computes dx: [N, C, S] and, when non-nil, dw, db: [C]
// (overwritten) for [Device.BatchNorm] with the same mean, variance, eps and train
// flag. Train: dx = w·rstd·(dy − mean(dy) − x̂·mean(dy·x̂)); eval: dx = dy·w·rstd.
// dw = Σ dy·x̂, db = Σ dy over N and S.
func (d *Device) BatchNormBackward(dx, dw, db, dy, x, w, mean, variance *tensor.Tensor, eps float32, train bool) {
	d.batchNormBackward("BatchNormBackward", dx, dw, db, dy, x, w, nil, mean, variance, eps, train, bnNoAct, 0)
}

// BatchNormActBackward computes dx, dw, db for [Device.BatchNormAct] from dy, the
// gradient of its output: the gradient of the pre-activation, recomputed from x, w,
// b, mean and variance, is formed inside the normalisation's passes; see
// [tensor.BatchNormActer].
func (d *Device) BatchNormActBackward(dx, dw, db, dy, x, w, b, mean, variance *tensor.Tensor, eps float32, train bool, act tensor.UnaryOp, alpha float32) {
	d.batchNormBackward("BatchNormActBackward", dx, dw, db, dy, x, w, b, mean, variance, eps, train,
		bnActCode("BatchNormActBackward", d, act), alpha)
}

// batchNormBackward is BatchNormBackward for the fused activation act (bnNoAct: none;
// b is only read with an activation).
func (d *Device) batchNormBackward(op string, dx, dw, db, dy, x, w, b, mean, variance *tensor.Tensor, eps float32, train bool, act int, alpha float32) {
	ewSameShape(op, x, dx, dy)
	N, C, S := ewBNShape(op, x)
	ewContig(op, x, dx, dy)
	ewOpt(op, "w", w, C)
	ewOpt(op, "b", b, C)
	ewOpt(op, "dw", dw, C)
	ewOpt(op, "db", db, C)
	ewOpt(op, "mean", mean, C)
	ewOpt(op, "variance", variance, C)
	if mean == nil || variance == nil {
		panic(fmt.Sprintf("cuda: %s: mean and variance are required", op))
	}
	n := x.Numel()
	if n == 0 {
		return
	}
	M := N * S
	coef := d.allocF64(5 * C) // μ, rstd, rstd·w, Σdy/M, Σdy·x̂/M per channel
	d.launch("norm", "bn_backward_coeffs", ewGrid(C), ewBlock, 0, coef, mean, variance, w, eps, C)
	zc := tensor.Buffer(nil) // the forward's coefficients, for the pre-activation
	var zcArg any = uint64(0)
	if act != bnNoAct {
		zc = d.allocF64(3 * C)
		zcArg = zc
		d.launch("norm", "bn_coeffs", ewGrid(C), ewBlock, 0, zc, mean, variance, w, b, eps, C, false)
	}
	if train || dw != nil || db != nil {
		P, chunk := splits(C, M, targetBlocks, minSlice)
		part := d.allocF64(2 * P * C)
		d.launch("norm", "bn_partial", [3]int{C, P}, ewBlock, 0, part, x, dy, coef, N, C, S, chunk, 2, zcArg, act, alpha)
		d.sumPartials(db, f64At(coef, 3*C), part, C, P, 2*C, 0, 1, M)
		d.sumPartials(dw, f64At(coef, 4*C), part, C, P, 2*C, C, 1, M)
		d.Free(part)
	}
	d.launch("norm", "bn_backward_apply", ewGrid(n), ewBlock, 0, dx, dy, x, coef, C, S, int64(n), train, zcArg, act, alpha)
	d.Free(coef)
	if zc != nil {
		d.Free(zc)
	}
}
