//go:build cuda

package cuda

import (
	"fmt"
	"math"

	"github.com/selfsup/selfsup/tensor"
)

// resampleArgs checks the shapes of an upsample (big: [N, C, *out], small: [N, C, *in])
// and returns the number of big elements and the kernel arguments after the two
// tensors: total, dims, linear, in (D, H, W), out (D, H, W), r (D, H, W) with
// r = float32(1/scale) as tensor's CPU kernel computes it.
func resampleArgs(op string, mode tensor.ResampleMode, big, small *tensor.Tensor, scales []float64) (int, []any) {
	bs, ss := big.Shape(), small.Shape()
	r := len(ss)
	if r < 3 || r > 5 || len(bs) != r || bs[0] != ss[0] || bs[1] != ss[1] || len(scales) != r-2 {
		panic(fmt.Sprintf("cuda: %s: output %v, input %v, scales %v: need [N C *out], [N C *in] with 1–3 spatial axes and one scale per axis", op, bs, ss, scales))
	}
	if mode != tensor.Nearest && mode != tensor.Linear {
		panic(fmt.Sprintf("cuda: %s: unknown mode %v", op, mode))
	}
	winCheckContig(op, "output", big)
	winCheckContig(op, "input", small)
	in, out := [3]int{1, 1, 1}, [3]int{1, 1, 1}
	ratio := [3]float32{1, 1, 1}
	off := 5 - r
	for i, s := range scales {
		if !(s > 0) || math.IsInf(s, 0) {
			panic(fmt.Sprintf("cuda: %s: scales %v must be positive", op, scales))
		}
		in[off+i], out[off+i] = ss[2+i], bs[2+i]
		ratio[off+i] = float32(1.0 / s)
	}
	total := big.Numel()
	linear := 0
	if mode == tensor.Linear {
		linear = 1
	}
	return total, []any{uint64(total), r - 2, linear, in[0], in[1], in[2], out[0], out[1], out[2],
		ratio[0], ratio[1], ratio[2]}
}

// Upsample resamples x: [N, C, *in] into dst: [N, C, *out] (1–3 spatial axes) by
// nearest or (bi/tri)linear interpolation with align_corners=False, source coordinates
// computed from float32(1/scales[i]) in float32 exactly as the CPU kernel does; see
// [tensor.Device.Upsample]. One thread per output element.
func (d *Device) Upsample(mode tensor.ResampleMode, dst, x *tensor.Tensor, scales []float64) {
	total, args := resampleArgs("Upsample", mode, dst, x, scales)
	if total == 0 {
		return
	}
	args = append([]any{dst, x}, args...)
	d.launch("resample", "upsample", winGrid(total), winBlock, 0, args...)
}

// UpsampleBackward computes dx: [N, C, *in] (overwritten) from dy: [N, C, *out], the
// adjoint of [Device.Upsample] with the same mode and scales; see
// [tensor.Device.UpsampleBackward]. dx is zeroed, then one thread per dy element adds
// its weighted value to each input it was interpolated from (atomicAdd: the summation
// order, and so the last bits, may vary between runs).
func (d *Device) UpsampleBackward(mode tensor.ResampleMode, dx, dy *tensor.Tensor, scales []float64) {
	total, args := resampleArgs("UpsampleBackward", mode, dy, dx, scales)
	d.Fill(dx, 0)
	if total == 0 {
		return
	}
	args = append([]any{dx, dy}, args...)
	d.launch("resample", "upsample_bwd", winGrid(total), winBlock, 0, args...)
}
