// Package tensortest is the conformance suite for [tensor.Device] implementations:
// [TestDevice] runs every kernel of a device on awkward shapes (odd sizes, size-1 axes,
// 1-, 2- and 3-D spatial data, strided views) and compares the results with reference
// implementations computed here, independently, in float64. The CPU runs it in its own
// tests; the cuda package runs it on the GPU.
package tensortest

import (
	"fmt"
	"math"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// TestDevice checks every kernel of dev against the reference implementations.
func TestDevice(t *testing.T, dev tensor.Device) {
	t.Run("Memory", func(t *testing.T) { testMemory(t, dev) })
	t.Run("Elementwise", func(t *testing.T) { testElementwise(t, dev) })
	t.Run("Reduce", func(t *testing.T) { testReduce(t, dev) })
	t.Run("MatMul", func(t *testing.T) { testMatMul(t, dev) })
	t.Run("Conv", func(t *testing.T) { testConv(t, dev) })
	t.Run("Pool", func(t *testing.T) { testPool(t, dev) })
	t.Run("Upsample", func(t *testing.T) { testUpsample(t, dev) })
	t.Run("Norm", func(t *testing.T) { testNorm(t, dev) })
	t.Run("Index", func(t *testing.T) { testIndex(t, dev) })
	t.Run("AdamW", func(t *testing.T) { testAdamW(t, dev) })
}

// AllClose fails t unless got and want have equal shapes and every element satisfies
// |got−want| ≤ atol + rtol·|want|. It reports the worst element.
func AllClose(t testing.TB, name string, got *tensor.Tensor, want []float64, shape []int, rtol, atol float64) {
	t.Helper()
	if fmt.Sprint(got.Shape()) != fmt.Sprint(shape) {
		t.Errorf("%s: shape %v, want %v", name, got.Shape(), shape)
		return
	}
	g := got.Values()
	if len(g) != len(want) {
		t.Errorf("%s: %d values, want %d", name, len(g), len(want))
		return
	}
	worst, at := 0.0, -1
	for i, w := range want {
		d := math.Abs(float64(g[i]) - w)
		if math.IsNaN(float64(g[i])) != math.IsNaN(w) {
			d = math.Inf(1)
		} else if math.IsNaN(w) {
			continue
		}
		if excess := d - (atol + rtol*math.Abs(w)); excess > 0 && (at < 0 || d > worst) {
			worst, at = d, i
		}
	}
	if at >= 0 {
		t.Errorf("%s %v: element %d = %g, want %g (|diff| %.3g > atol %g + rtol %g)", name, shape, at, g[at], want[at], worst, atol, rtol)
	}
}

// random returns n values uniform in [-1, 1) from a fixed seed.
func random(seed uint64, n int) []float32 {
	g := tensor.NewRNG(seed)
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(g.Uniform(-1, 1))
	}
	return v
}

// upload returns a tensor on dev with the given values and shape.
func upload(dev tensor.Device, v []float32, shape ...int) *tensor.Tensor {
	return tensor.FromSlice(v, shape...).To(dev)
}

func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func testMemory(t *testing.T, dev tensor.Device) {
	shape := []int{3, 1, 5, 7}
	v := random(1, numel(shape))
	x := upload(dev, v, shape...)
	AllClose(t, "FromHost/ToHost", x, to64(v), shape, 0, 0)
	f := tensor.Full(dev, 2.5, 4, 3)
	want := make([]float64, 12)
	for i := range want {
		want[i] = 2.5
	}
	AllClose(t, "Fill", f, want, []int{4, 3}, 0, 0)
	// CopyStrided: permuted, sliced and broadcast sources; a strided destination.
	p := x.Permute(3, 0, 2, 1).Slice(2, 1, 4)
	pc := p.Clone()
	wantP := make([]float64, 0, pc.Numel())
	for w := range 7 {
		for a := range 3 {
			for h := 1; h < 4; h++ {
				wantP = append(wantP, float64(v[((a*1+0)*5+h)*7+w]))
			}
		}
	}
	AllClose(t, "CopyStrided permute+slice", pc, wantP, []int{7, 3, 3, 1}, 0, 0)
	row := upload(dev, []float32{1, 2, 3}, 1, 3)
	e := row.Expand(4, 3).Clone()
	AllClose(t, "CopyStrided expand", e, []float64{1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3}, []int{4, 3}, 0, 0)
	dst := tensor.Zeros(dev, 3, 4)
	dst.Transpose(0, 1).CopyFrom(upload(dev, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 4, 3))
	AllClose(t, "CopyStrided strided dst", dst, []float64{1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12}, []int{3, 4}, 0, 0)
}
