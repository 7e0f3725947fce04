package tensortest

import (
	"fmt"
	"math"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// normAtol is the absolute tolerance of normalised outputs and gradients: a float32
// implementation computing (x−μ)·rstd in float32 is off by a few 1e-7 of O(1) values.
const normAtol = 1e-5

func testNorm(t *testing.T, dev tensor.Device) {
	t.Run("LayerNorm", func(t *testing.T) { testLayerNorm(t, dev) })
	t.Run("BatchNorm", func(t *testing.T) { testBatchNorm(t, dev) })
}

// optUpload uploads v as [n] when on, else returns nil.
func optUpload(dev tensor.Device, on bool, v []float32) *tensor.Tensor {
	if !on {
		return nil
	}
	return upload(dev, v, len(v))
}

// at returns v[i] when v is non-nil, else def.
func at(v []float32, i int, def float64) float64 {
	if v == nil {
		return def
	}
	return float64(v[i])
}

func testLayerNorm(t *testing.T, dev tensor.Device) {
	const eps = 1e-5
	for _, shape := range [][2]int{{1, 1}, {5, 7}, {3, 1}, {130, 130}} {
		for _, affine := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/affine=%v", shape, affine), func(t *testing.T) {
				R, D := shape[0], shape[1]
				xv, gv := random(11, R*D), random(12, R*D)
				for i := range xv {
					xv[i] = 2*xv[i] + 3 // a mean far from 0
				}
				var wv, bv []float32
				if affine {
					wv, bv = random(13, D), random(14, D)
				}
				// Reference from the definitions, in float64.
				mean, rstd := make([]float64, R), make([]float64, R)
				y, dx := make([]float64, R*D), make([]float64, R*D)
				dw, db := make([]float64, D), make([]float64, D)
				for r := range R {
					row := to64(xv[r*D : (r+1)*D])
					for _, v := range row {
						mean[r] += v / float64(D)
					}
					vr := 0.0
					for _, v := range row {
						vr += (v - mean[r]) * (v - mean[r]) / float64(D)
					}
					rstd[r] = 1 / math.Sqrt(vr+eps)
					var a, b float64 // mean of dŷ and of dŷ·x̂, dŷ = dy·w
					for i, v := range row {
						h := (v - mean[r]) * rstd[r]
						y[r*D+i] = h*at(wv, i, 1) + at(bv, i, 0)
						g := float64(gv[r*D+i])
						a += g * at(wv, i, 1) / float64(D)
						b += g * at(wv, i, 1) * h / float64(D)
						dw[i] += g * h
						db[i] += g
					}
					for i, v := range row {
						h := (v - mean[r]) * rstd[r]
						dx[r*D+i] = rstd[r] * (float64(gv[r*D+i])*at(wv, i, 1) - a - h*b)
					}
				}
				x := upload(dev, xv, R, D)
				w, b := optUpload(dev, affine, wv), optUpload(dev, affine, bv)
				dst, mu, rs := tensor.New(dev, R, D), tensor.New(dev, R), tensor.New(dev, R)
				dev.LayerNorm(dst, mu, rs, x, w, b, eps)
				AllClose(t, "LayerNorm", dst, y, []int{R, D}, rtol, normAtol)
				AllClose(t, "LayerNorm mean", mu, mean, []int{R}, rtol, atol)
				AllClose(t, "LayerNorm rstd", rs, rstd, []int{R}, rtol, atol)
				for _, params := range []bool{false, true} {
					d := tensor.New(dev, R, D)
					var gw, gb *tensor.Tensor
					if params {
						gw, gb = tensor.New(dev, D), tensor.New(dev, D)
					}
					dev.LayerNormBackward(d, gw, gb, upload(dev, gv, R, D), x, w, mu, rs)
					AllClose(t, "LayerNormBackward dx", d, dx, []int{R, D}, rtol, normAtol)
					if params {
						AllClose(t, "LayerNormBackward dw", gw, dw, []int{D}, rtol, normAtol)
						AllClose(t, "LayerNormBackward db", gb, db, []int{D}, rtol, normAtol)
					}
				}
			})
		}
	}
}

func testBatchNorm(t *testing.T, dev tensor.Device) {
	const eps = 1e-5
	shapes := [][]int{{4, 3, 5}, {2, 1, 3, 3}, {1, 2, 1}, {5, 4}, {8, 16, 300}, {2, 3, 2, 3, 2}}
	for _, shape := range shapes {
		for _, train := range []bool{true, false} {
			for _, affine := range []bool{false, true} {
				name := fmt.Sprintf("%v/train=%v/affine=%v", shape, train, affine)
				t.Run(name, func(t *testing.T) { checkBatchNorm(t, dev, shape, train, affine, eps) })
			}
		}
	}
}

func checkBatchNorm(t *testing.T, dev tensor.Device, shape []int, train, affine bool, eps float64) {
	N, C := shape[0], shape[1]
	S := numel(shape) / (N * C)
	M := float64(N * S)
	xv, gv := random(21, numel(shape)), random(22, numel(shape))
	for i := range xv {
		xv[i] = 3*xv[i] - 1
	}
	var wv, bv []float32
	if affine {
		wv, bv = random(23, C), random(24, C)
	}
	// Statistics: the batch's (train) or given running ones (eval).
	mean, vr := make([]float64, C), make([]float64, C)
	meanIn, varIn := random(25, C), random(26, C)
	for c := range C {
		varIn[c] = 0.5 + float32(math.Abs(float64(varIn[c])))
	}
	elem := func(n, c, s int) int { return (n*C+c)*S + s }
	for c := range C {
		if !train {
			mean[c], vr[c] = float64(meanIn[c]), float64(varIn[c])
			continue
		}
		for n := range N {
			for s := range S {
				mean[c] += float64(xv[elem(n, c, s)]) / M
			}
		}
		for n := range N {
			for s := range S {
				e := float64(xv[elem(n, c, s)]) - mean[c]
				vr[c] += e * e / M
			}
		}
	}
	y, dx := make([]float64, len(xv)), make([]float64, len(xv))
	dw, db := make([]float64, C), make([]float64, C)
	for c := range C {
		rs := 1 / math.Sqrt(vr[c]+eps)
		h := func(n, s int) float64 { return (float64(xv[elem(n, c, s)]) - mean[c]) * rs }
		for n := range N {
			for s := range S {
				g := float64(gv[elem(n, c, s)])
				y[elem(n, c, s)] = h(n, s)*at(wv, c, 1) + at(bv, c, 0)
				dw[c] += g * h(n, s)
				db[c] += g
			}
		}
		for n := range N {
			for s := range S {
				g := float64(gv[elem(n, c, s)])
				if train {
					dx[elem(n, c, s)] = at(wv, c, 1) * rs / M * (M*g - db[c] - h(n, s)*dw[c])
				} else {
					dx[elem(n, c, s)] = g * at(wv, c, 1) * rs
				}
			}
		}
	}
	x := upload(dev, xv, shape...)
	w, b := optUpload(dev, affine, wv), optUpload(dev, affine, bv)
	mu, v := upload(dev, meanIn, C), upload(dev, varIn, C)
	dst := tensor.New(dev, shape...)
	dev.BatchNorm(dst, mu, v, x, w, b, float32(eps), train)
	AllClose(t, "BatchNorm", dst, y, shape, rtol, normAtol)
	AllClose(t, "BatchNorm mean", mu, mean, []int{C}, rtol, atol)
	AllClose(t, "BatchNorm variance", v, vr, []int{C}, rtol, atol)
	for _, params := range []bool{false, true} {
		d := tensor.New(dev, shape...)
		var gw, gb *tensor.Tensor
		if params {
			gw, gb = tensor.New(dev, C), tensor.New(dev, C)
		}
		dev.BatchNormBackward(d, gw, gb, upload(dev, gv, shape...), x, w, mu, v, float32(eps), train)
		AllClose(t, "BatchNormBackward dx", d, dx, shape, rtol, normAtol)
		if params {
			AllClose(t, "BatchNormBackward dw", gw, dw, []int{C}, rtol, normAtol)
			AllClose(t, "BatchNormBackward db", gb, db, []int{C}, rtol, normAtol)
		}
	}
}
