package metrics

import (
	"fmt"

	"github.com/selfsup/selfsup/tensor"
)

// SSIMBatch returns the SSIM of two model tensors in PyTorch layout, [N, C, H, W] or
// [N, C, D, H, W], on any device: the mean over images and channels of each plane's
// SSIM (the mean of torchmetrics' per-image values), with one data range for the
// whole batch. Every spatial axis must be at least [SSIMMinSize] long.
func SSIMBatch(pred, target *tensor.Tensor, dataRange float64) float64 {
	shape := pred.Shape()
	if !pred.SameShape(target) || (len(shape) != 4 && len(shape) != 5) {
		panic(fmt.Sprintf("metrics: SSIMBatch: pred %v, target %v, want equal [N, C, H, W] or [N, C, D, H, W]", shape, target.Shape()))
	}
	dims := [3]int{1, 1, 1}
	copy(dims[5-len(shape):], shape[2:])
	for _, s := range shape[2:] {
		if s < SSIMMinSize {
			panic(fmt.Sprintf("metrics: SSIMBatch: shape %v: spatial size %d < %d", shape, s, SSIMMinSize))
		}
	}
	p, t := pred.Values(), target.Values()
	planes := shape[0] * shape[1]
	n := len(p) / planes
	a := make([]float64, n)
	b := make([]float64, n)
	var sum float64
	for k := range planes {
		for i := range n {
			a[i] = float64(p[k*n+i])
			b[i] = float64(t[k*n+i])
		}
		sum += ssimPlane(a, b, dims, dataRange)
	}
	return sum / float64(planes)
}
