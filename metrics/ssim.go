package metrics

import (
	"fmt"
	"math"

	"github.com/selfsup/selfsup/internal/parallel"
)

// SSIM window constants: skimage's structural_similarity(gaussian_weights=True,
// sigma=1.5, use_sample_covariance=False, K1=0.01, K2=0.03).
const (
	ssimSigma = 1.5
	ssimK1    = 0.01
	ssimK2    = 0.03
	// ssimRadius is the gaussian radius int(3.5·σ + 0.5) = 5: an 11-tap window and
	// the border cropped from the SSIM map on each side.
	ssimRadius = (SSIMMinSize - 1) / 2
)

// SSIMMinSize is the smallest spatial extent (every axis, z included in 3D) SSIM
// accepts: the 11-sample gaussian window must fit.
const SSIMMinSize = 11

// ssimWindow is the normalised 1D gaussian of scipy's gaussian_filter1d (σ 1.5,
// radius 5).
var ssimWindow = func() [SSIMMinSize]float64 {
	var w [SSIMMinSize]float64
	var s float64
	for i := range w {
		x := float64(i - ssimRadius)
		w[i] = math.Exp(-0.5 / (ssimSigma * ssimSigma) * x * x)
		s += w[i]
	}
	for i := range w {
		w[i] /= s
	}
	return w
}()

// SSIM returns the mean structural similarity of pred and target, channel-last
// samples of shape (y, x, c) or (z, y, x, c), with the given data range (see the
// package documentation for the exact definition). Channels are averaged. Every
// spatial axis must be at least [SSIMMinSize] long.
func SSIM(pred, target []float32, shape []int, dataRange float64) float64 {
	spatial, c := splitShape("SSIM", pred, target, shape)
	n := len(pred) / c
	var sum float64
	a := make([]float64, n)
	b := make([]float64, n)
	for ch := range c {
		for i := range n {
			a[i] = float64(pred[i*c+ch])
			b[i] = float64(target[i*c+ch])
		}
		sum += ssimPlane(a, b, spatial, dataRange)
	}
	return sum / float64(c)
}

// SSIMTrain returns BiaPy's training/validation SSIM for div or scale_range
// normalisation: both inputs clamped to [0, 1], data range 1 (SPEC §6.4). shape as
// for [SSIM].
func SSIMTrain(pred, target []float32, shape []int) float64 {
	return SSIM(clamped(pred), clamped(target), shape, 1)
}

// SSIMTest returns SSIM with torchmetrics' inferred data range,
// max(pred max − min, target max − min): BiaPy's test-phase SSIM on raw intensities
// (SPEC §7.3), and its training SSIM after min-max rescaling. shape as for [SSIM].
func SSIMTest(pred, target []float32, shape []int) float64 {
	return SSIM(pred, target, shape, max(DataRange(pred), DataRange(target)))
}

// splitShape checks a channel-last (y, x, c) or (z, y, x, c) shape against the
// samples and returns the spatial dims as (d, h, w) (d = 1 in 2D) and c.
func splitShape(op string, pred, target []float32, shape []int) ([3]int, int) {
	if len(shape) != 3 && len(shape) != 4 {
		panic(fmt.Sprintf("metrics: %s: shape %v, want (y, x, c) or (z, y, x, c)", op, shape))
	}
	n := 1
	for _, s := range shape {
		n *= s
	}
	if len(pred) != n || len(target) != n {
		panic(fmt.Sprintf("metrics: %s: shape %v has %d samples, pred %d, target %d", op, shape, n, len(pred), len(target)))
	}
	sp := [3]int{1, 1, 1}
	copy(sp[4-len(shape):], shape[:len(shape)-1])
	for i, s := range shape[:len(shape)-1] {
		if s < SSIMMinSize {
			panic(fmt.Sprintf("metrics: %s: shape %v: spatial axis %d is %d < %d", op, shape, i, s, SSIMMinSize))
		}
	}
	return sp, shape[len(shape)-1]
}

// ssimPlane returns the mean of the cropped SSIM map of a and b, contiguous float64
// volumes of shape dims = (d, h, w). In 2D d = 1 and the window is 2D; otherwise it
// spans z too. Only the cropped interior is ever computed: a valid-mode separable
// gaussian, so no border mode is involved.
func ssimPlane(a, b []float64, dims [3]int, dataRange float64) float64 {
	d, h, w := dims[0], dims[1], dims[2]
	const k = 2 * ssimRadius
	is3D := d > 1
	ow, oh, od := w-k, h-k, d
	if is3D {
		od = d - k
	}
	// Five filtered maps: a, b, a², b², ab.
	const nm = 5
	// Pass 1: along x, valid. Shape (d, h, ow).
	p1 := make([]float64, nm*d*h*ow)
	parallel.For(d*h, 16, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			ra, rb := a[r*w:(r+1)*w], b[r*w:(r+1)*w]
			for x := range ow {
				var s0, s1, s2, s3, s4 float64
				for t, wt := range ssimWindow {
					va, vb := ra[x+t], rb[x+t]
					s0 += wt * va
					s1 += wt * vb
					s2 += wt * va * va
					s3 += wt * vb * vb
					s4 += wt * va * vb
				}
				o := (r*ow + x) * nm
				p1[o], p1[o+1], p1[o+2], p1[o+3], p1[o+4] = s0, s1, s2, s3, s4
			}
		}
	})
	// Pass 2: along y, valid. Shape (d, oh, ow).
	row := ow * nm
	p2 := make([]float64, nm*d*oh*ow)
	parallel.For(d*oh, 16, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			z, y := r/oh, r%oh
			dst := p2[r*row : (r+1)*row]
			for t, wt := range ssimWindow {
				src := p1[((z*h)+y+t)*row:][:row]
				for i, v := range src {
					dst[i] += wt * v
				}
			}
		}
	})
	// Pass 3: along z, valid (3D only). Shape (od, oh, ow).
	p3 := p2
	if is3D {
		plane := oh * row
		p3 = make([]float64, od*plane)
		parallel.For(od, 1, func(lo, hi int) {
			for z := lo; z < hi; z++ {
				dst := p3[z*plane : (z+1)*plane]
				for t, wt := range ssimWindow {
					src := p2[(z+t)*plane:][:plane]
					for i, v := range src {
						dst[i] += wt * v
					}
				}
			}
		})
	}
	c1 := (ssimK1 * dataRange) * (ssimK1 * dataRange)
	c2 := (ssimK2 * dataRange) * (ssimK2 * dataRange)
	var sum float64
	for i := 0; i < len(p3); i += nm {
		ux, uy, uxx, uyy, uxy := p3[i], p3[i+1], p3[i+2], p3[i+3], p3[i+4]
		vx := uxx - ux*ux
		vy := uyy - uy*uy
		vxy := uxy - ux*uy
		a1 := 2*ux*uy + c1
		a2 := 2*vxy + c2
		b1 := ux*ux + uy*uy + c1
		b2 := vx + vy + c2
		sum += (a1 * a2) / (b1 * b2)
	}
	return sum / float64(od*oh*ow)
}
