package tensortest

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// Window kernels (Im2Col/Col2Im, pooling) are checked against naive float64 loops over
// multi-indices written from the definitions in [tensor.Device] and [tensor.ConvGeom].

type windowCase struct {
	name                      string
	n, c                      int
	in, k, stride, pad, dilat []int
}

func (wc windowCase) geom() tensor.ConvGeom {
	return tensor.NewConvGeom(wc.in, wc.k, wc.stride, wc.pad, wc.dilat)
}

// convEach calls f with every multi-index of shape in row-major order (idx is reused).
func convEach(shape []int, f func(idx []int)) {
	idx := make([]int, len(shape))
	for range numel(shape) {
		f(idx)
		for k := len(idx) - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
}

// convFlat returns the row-major position of idx in shape.
func convFlat(idx, shape []int) int {
	p := 0
	for k, i := range idx {
		p = p*shape[k] + i
	}
	return p
}

// windowTap calls f(o, k, i) for every output position o, tap k and the flat input
// position i it reads (-1 when the tap falls in the padding), in (o, k) row-major order.
func windowTap(g tensor.ConvGeom, f func(o, k, i int)) {
	pos := make([]int, g.Dims())
	convEach(g.Out, func(oi []int) {
		o := convFlat(oi, g.Out)
		convEach(g.Kernel, func(ki []int) {
			inside := true
			for a := range pos {
				pos[a] = oi[a]*g.Stride[a] - g.Pad[a] + ki[a]*g.Dilation[a]
				inside = inside && pos[a] >= 0 && pos[a] < g.In[a]
			}
			i := -1
			if inside {
				i = convFlat(pos, g.In)
			}
			f(o, convFlat(ki, g.Kernel), i)
		})
	})
}

func refIm2Col(x []float64, n, c int, g tensor.ConvGeom) []float64 {
	in, k, o := g.InSize(), g.KernelSize(), g.OutSize()
	col := make([]float64, n*c*k*o)
	for p := range n * c {
		windowTap(g, func(oo, kk, i int) {
			if i >= 0 {
				col[(p*k+kk)*o+oo] = x[p*in+i]
			}
		})
	}
	return col
}

// refCol2Im returns x0 + fold(col).
func refCol2Im(x0, col []float64, n, c int, g tensor.ConvGeom) []float64 {
	in, k, o := g.InSize(), g.KernelSize(), g.OutSize()
	x := slices.Clone(x0)
	for p := range n * c {
		windowTap(g, func(oo, kk, i int) {
			if i >= 0 {
				x[p*in+i] += col[(p*k+kk)*o+oo]
			}
		})
	}
	return x
}

func convDot(a []float32, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += float64(v) * b[i]
	}
	return s
}

// convAdjoint checks <fwd(x), cot> = <x, bwd(cot)> for a linear kernel.
func convAdjoint(t *testing.T, name string, fx *tensor.Tensor, cot []float32, x []float32, bcot *tensor.Tensor) {
	t.Helper()
	lhs, rhs := convDot(fx.Values(), to64(cot)), convDot(bcot.Values(), to64(x))
	if math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
		t.Errorf("%s: adjoint <fwd(x), c> = %.7g, <x, bwd(c)> = %.7g", name, lhs, rhs)
	}
}

var convCases = []windowCase{
	{"1d k3 p1", 2, 3, []int{11}, []int{3}, nil, []int{1}, nil},
	{"1d k4 s3 p2 d2", 1, 2, []int{10}, []int{4}, []int{3}, []int{2}, []int{2}},
	{"2d 3x3 p1 N3", 3, 2, []int{7, 9}, []int{3, 3}, nil, []int{1}, nil},
	{"2d 3x3 s2 p1 C1", 1, 1, []int{8, 8}, []int{3, 3}, []int{2}, []int{1}, nil},
	{"2d 3x2 s(2,3) p(1,0) d(2,1)", 2, 3, []int{9, 6}, []int{3, 2}, []int{2, 3}, []int{1, 0}, []int{2, 1}},
	{"2d size-1 axis", 2, 2, []int{1, 5}, []int{1, 3}, nil, []int{0, 1}, nil},
	{"2d 1x1", 1, 4, []int{3, 5}, []int{1, 1}, nil, nil, nil},
	{"2d pad beyond kernel", 1, 2, []int{4, 4}, []int{2, 2}, nil, []int{2}, nil},
	{"2d dilated taps wholly in padding (ASPP)", 2, 2, []int{4, 5}, []int{3, 3}, nil, []int{6}, []int{6}},
	{"3d dilated taps wholly in padding", 1, 1, []int{2, 3, 3}, []int{3, 3, 3}, nil, []int{4}, []int{4}},
	{"2d 3x3 s1 p1 wide", 1, 1, []int{5, 37}, []int{3, 3}, nil, []int{1}, nil},
	{"3d 3x3x3 p1", 2, 2, []int{5, 6, 7}, []int{3, 3, 3}, nil, []int{1}, nil},
	{"3d 1x3x3 s(1,2,2) p(0,1,1)", 1, 3, []int{3, 7, 8}, []int{1, 3, 3}, []int{1, 2, 2}, []int{0, 1, 1}, nil},
	{"3d mixed d2", 3, 1, []int{6, 5, 7}, []int{2, 3, 2}, []int{3, 1, 2}, []int{1, 2, 0}, []int{2, 1, 2}},
	{"2d 3x3 p1 large (parallel)", 2, 4, []int{33, 40}, []int{3, 3}, nil, []int{1}, nil},
	{"2d 3x3 s2 p1 C1 large (parallel)", 1, 1, []int{64, 70}, []int{3, 3}, []int{2}, []int{1}, nil},
}

func testConv(t *testing.T, dev tensor.Device) {
	for i, tc := range convCases {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.geom()
			k, o := g.KernelSize(), g.OutSize()
			xShape := append([]int{tc.n, tc.c}, g.In...)
			colShape := []int{tc.n, tc.c * k, o}
			xv := random(uint64(100+i), numel(xShape))
			x := upload(dev, xv, xShape...)
			col := tensor.Full(dev, float32(math.NaN()), colShape...) // every element is written
			dev.Im2Col(col, x, g)
			AllClose(t, "Im2Col", col, refIm2Col(to64(xv), tc.n, tc.c, g), colShape, 0, 0)

			cv := random(uint64(200+i), numel(colShape))
			x0 := random(uint64(300+i), numel(xShape))
			acc := upload(dev, slices.Clone(x0), xShape...)
			dev.Col2Im(acc, upload(dev, cv, colShape...), g)
			AllClose(t, "Col2Im", acc, refCol2Im(to64(x0), to64(cv), tc.n, tc.c, g), xShape, 1e-5, 1e-6)

			folded := tensor.Zeros(dev, xShape...)
			dev.Col2Im(folded, upload(dev, cv, colShape...), g)
			convAdjoint(t, "Im2Col/Col2Im", col, cv, xv, folded)
		})
	}
	t.Run("shape panics", func(t *testing.T) {
		g := tensor.NewConvGeom([]int{6, 6}, []int{3, 3}, nil, []int{1}, nil)
		x := tensor.Zeros(dev, 2, 3, 6, 6)
		convPanics(t, "Im2Col col", func() { dev.Im2Col(tensor.Zeros(dev, 2, 27, 35), x, g) })
		convPanics(t, "Im2Col x", func() { dev.Im2Col(tensor.Zeros(dev, 2, 27, 36), tensor.Zeros(dev, 2, 3, 6, 7), g) })
		convPanics(t, "Col2Im col", func() { dev.Col2Im(x, tensor.Zeros(dev, 2, 26, 36), g) })
	})
}

// convPanics fails t unless f panics.
func convPanics(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: no panic", name)
		}
	}()
	f()
}

// refMaxPool returns the window maxima and their flat input positions: padding never
// wins, the first strictly greater value in scan order does.
func refMaxPool(x []float64, n, c int, g tensor.ConvGeom) (val, arg []float64) {
	in, o := g.InSize(), g.OutSize()
	val, arg = make([]float64, n*c*o), make([]float64, n*c*o)
	for p := range n * c {
		for i := range o {
			arg[p*o+i] = -1
		}
		windowTap(g, func(oo, _, i int) {
			j := p*o + oo
			if i >= 0 && (arg[j] < 0 || x[p*in+i] > val[j]) {
				val[j], arg[j] = x[p*in+i], float64(i)
			}
		})
	}
	return val, arg
}

func refAvgPool(x []float64, n, c int, g tensor.ConvGeom) []float64 {
	in, o, k := g.InSize(), g.OutSize(), float64(g.KernelSize())
	out := make([]float64, n*c*o)
	for p := range n * c {
		windowTap(g, func(oo, _, i int) {
			if i >= 0 {
				out[p*o+oo] += x[p*in+i] / k
			}
		})
	}
	return out
}

func refAvgPoolBackward(dy []float64, n, c int, g tensor.ConvGeom) []float64 {
	in, o, k := g.InSize(), g.OutSize(), float64(g.KernelSize())
	dx := make([]float64, n*c*in)
	for p := range n * c {
		windowTap(g, func(oo, _, i int) {
			if i >= 0 {
				dx[p*in+i] += dy[p*o+oo] / k
			}
		})
	}
	return dx
}

type poolCase struct {
	windowCase
	values string // "random", "negative" (all < 0, padding must not win) or "ties"
}

var poolCases = []poolCase{
	{windowCase{"2d 2x2", 2, 3, []int{8, 9}, []int{2, 2}, []int{2}, nil, nil}, "random"},
	{windowCase{"2d 3x3 s2 p1", 1, 2, []int{11, 10}, []int{3, 3}, []int{2}, []int{1}, nil}, "negative"},
	{windowCase{"2d 3x3 s2 p1 ties", 3, 1, []int{7, 6}, []int{3, 3}, []int{2}, []int{1}, nil}, "ties"},
	{windowCase{"2d 3x3 d2 p1", 1, 2, []int{9, 8}, []int{3, 3}, []int{1}, []int{1}, []int{2}}, "random"},
	{windowCase{"1d 3 s2 p1", 3, 2, []int{9}, []int{3}, []int{2}, []int{1}, nil}, "negative"},
	{windowCase{"1d 2 s2 size-1 out", 1, 1, []int{3}, []int{2}, []int{2}, nil, nil}, "random"},
	{windowCase{"3d 1x2x2", 2, 2, []int{3, 6, 7}, []int{1, 2, 2}, []int{1, 2, 2}, nil, nil}, "random"},
	{windowCase{"3d 2x2x2", 1, 1, []int{4, 5, 6}, []int{2, 2, 2}, []int{2}, nil, nil}, "ties"},
	{windowCase{"3d 3x3x3 s2 p1", 1, 3, []int{5, 5, 5}, []int{3, 3, 3}, []int{2}, []int{1}, nil}, "negative"},
	{windowCase{"2d 3x3 s1 overlapping", 2, 1, []int{5, 6}, []int{3, 3}, nil, nil, nil}, "ties"},
	{windowCase{"2d 3x3 s2 p1 large (parallel)", 2, 4, []int{40, 50}, []int{3, 3}, []int{2}, []int{1}, nil}, "negative"},
}

func poolInput(seed uint64, n int, kind string) []float32 {
	v := random(seed, n)
	for i := range v {
		switch kind {
		case "negative":
			v[i] = v[i]/2 - 1.5
		case "ties":
			v[i] = float32(math.Floor(float64(v[i])*2)) / 2
		}
	}
	return v
}

func testPool(t *testing.T, dev tensor.Device) {
	for i, tc := range poolCases {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.geom()
			xShape := append([]int{tc.n, tc.c}, g.In...)
			yShape := append([]int{tc.n, tc.c}, g.Out...)
			xv := poolInput(uint64(400+i), numel(xShape), tc.values)
			x := upload(dev, xv, xShape...)
			nan := float32(math.NaN())

			y, arg := tensor.Full(dev, nan, yShape...), tensor.Full(dev, nan, yShape...)
			dev.MaxPool(y, arg, x, g)
			wantY, wantArg := refMaxPool(to64(xv), tc.n, tc.c, g)
			AllClose(t, "MaxPool", y, wantY, yShape, 0, 0)
			AllClose(t, "MaxPool argmax", arg, wantArg, yShape, 0, 0)

			dyv := random(uint64(500+i), numel(yShape))
			dy := upload(dev, dyv, yShape...)
			dx := tensor.Full(dev, nan, xShape...) // overwritten, not accumulated
			dev.MaxPoolBackward(dx, dy, arg, g)
			wantDx := make([]float64, numel(xShape))
			in, o := g.InSize(), g.OutSize()
			for j, a := range wantArg {
				wantDx[j/o*in+int(a)] += float64(dyv[j])
			}
			AllClose(t, "MaxPoolBackward", dx, wantDx, xShape, 1e-5, 1e-6)

			avg := tensor.Full(dev, nan, yShape...)
			dev.AvgPool(avg, x, g)
			AllClose(t, "AvgPool", avg, refAvgPool(to64(xv), tc.n, tc.c, g), yShape, 1e-5, 1e-6)
			dev.AvgPoolBackward(dx, dy, g)
			AllClose(t, "AvgPoolBackward", dx, refAvgPoolBackward(to64(dyv), tc.n, tc.c, g), xShape, 1e-5, 1e-6)
			convAdjoint(t, "AvgPool/AvgPoolBackward", avg, dyv, xv, dx)
		})
	}
	t.Run("shape panics", func(t *testing.T) {
		g := tensor.NewConvGeom([]int{6, 6}, []int{2, 2}, []int{2}, nil, nil)
		x, y := tensor.Zeros(dev, 2, 3, 6, 6), tensor.Zeros(dev, 2, 3, 3, 3)
		bad := tensor.Zeros(dev, 2, 3, 3, 4)
		convPanics(t, "MaxPool dst", func() { dev.MaxPool(bad, y, x, g) })
		convPanics(t, "MaxPool argmax", func() { dev.MaxPool(y, bad, x, g) })
		convPanics(t, "MaxPoolBackward", func() { dev.MaxPoolBackward(x, bad, y, g) })
		convPanics(t, "AvgPool", func() { dev.AvgPool(y, tensor.Zeros(dev, 2, 2, 6, 6), g) })
		convPanics(t, "AvgPoolBackward", func() { dev.AvgPoolBackward(tensor.Zeros(dev, 2, 3, 6, 5), y, g) })
	})
}

// refAxis returns, for each output position of one axis, the source positions and
// weights that PyTorch's interpolate(scale_factor=scale) reads: the coordinate scale
// is float32(1/scale) and source coordinates are computed in float32; equal sizes copy.
func refAxis(mode tensor.ResampleMode, in, out int, scale float64) (idx [][2]int, w [][2]float64) {
	r := float32(1 / scale)
	idx, w = make([][2]int, out), make([][2]float64, out)
	for o := range out {
		switch {
		case in == out:
			idx[o], w[o] = [2]int{o, o}, [2]float64{1, 0}
		case mode == tensor.Nearest:
			s := min(int(math.Floor(float64(float32(o)*r))), in-1)
			idx[o], w[o] = [2]int{s, s}, [2]float64{1, 0}
		default:
			src := float64(max(float32(r*(float32(o)+0.5))-0.5, 0))
			i0 := min(int(math.Floor(src)), in-1)
			i1 := min(i0+1, in-1)
			l1 := min(max(src-float64(i0), 0), 1)
			idx[o], w[o] = [2]int{i0, i1}, [2]float64{1 - l1, l1}
		}
	}
	return idx, w
}

// refUpsample computes the resampling and its adjoint by visiting every output
// position and each of its 2^dims (source, weight) corners.
func refUpsample(mode tensor.ResampleMode, x, dy []float64, n, c int, in, out []int, scales []float64) (y, dx []float64) {
	dims := len(in)
	idx, w := make([][][2]int, dims), make([][][2]float64, dims)
	for a := range dims {
		idx[a], w[a] = refAxis(mode, in[a], out[a], scales[a])
	}
	inSize, outSize := numel(in), numel(out)
	y, dx = make([]float64, n*c*outSize), make([]float64, n*c*inSize)
	corners := make([]int, dims)
	for i := range corners {
		corners[i] = 2
	}
	src := make([]int, dims)
	for p := range n * c {
		convEach(out, func(oi []int) {
			o := p*outSize + convFlat(oi, out)
			convEach(corners, func(ci []int) {
				wt := 1.0
				for a := range dims {
					src[a] = idx[a][oi[a]][ci[a]]
					wt *= w[a][oi[a]][ci[a]]
				}
				i := p*inSize + convFlat(src, in)
				y[o] += wt * x[i]
				dx[i] += wt * dy[o]
			})
		})
	}
	return y, dx
}

type upsampleCase struct {
	mode    tensor.ResampleMode
	n, c    int
	in, out []int
	scales  []float64
}

var upsampleCases = []upsampleCase{
	{tensor.Nearest, 2, 3, []int{5}, []int{10}, []float64{2}},
	{tensor.Linear, 1, 2, []int{4}, []int{12}, []float64{3}},
	{tensor.Nearest, 2, 3, []int{5, 7}, []int{10, 14}, []float64{2, 2}},
	{tensor.Linear, 2, 3, []int{5, 7}, []int{10, 14}, []float64{2, 2}},
	{tensor.Nearest, 1, 1, []int{3, 4}, []int{9, 12}, []float64{3, 3}},
	{tensor.Linear, 1, 1, []int{3, 4}, []int{9, 12}, []float64{3, 3}},
	{tensor.Nearest, 1, 2, []int{5, 7}, []int{7, 10}, []float64{1.5, 1.5}},
	{tensor.Linear, 1, 2, []int{5, 7}, []int{7, 10}, []float64{1.5, 1.5}},
	{tensor.Linear, 3, 1, []int{1, 5}, []int{2, 10}, []float64{2, 2}},
	{tensor.Nearest, 1, 2, []int{3, 4, 5}, []int{3, 8, 10}, []float64{1, 2, 2}},
	{tensor.Linear, 1, 2, []int{3, 4, 5}, []int{3, 8, 10}, []float64{1, 2, 2}},
	{tensor.Nearest, 2, 1, []int{3, 3, 4}, []int{6, 6, 8}, []float64{2, 2, 2}},
	{tensor.Linear, 2, 1, []int{3, 3, 4}, []int{6, 6, 8}, []float64{2, 2, 2}},
	{tensor.Nearest, 1, 1, []int{4, 5, 3}, []int{6, 7, 4}, []float64{1.5, 1.5, 1.5}},
	{tensor.Linear, 1, 1, []int{4, 5, 3}, []int{6, 7, 4}, []float64{1.5, 1.5, 1.5}},
	{tensor.Nearest, 2, 6, []int{24, 34}, []int{48, 68}, []float64{2, 2}}, // large enough to run in parallel
	{tensor.Linear, 2, 6, []int{24, 34}, []int{48, 68}, []float64{2, 2}},
}

func testUpsample(t *testing.T, dev tensor.Device) {
	for i, tc := range upsampleCases {
		t.Run(fmt.Sprintf("%v %v→%v", tc.mode, tc.in, tc.out), func(t *testing.T) {
			xShape := append([]int{tc.n, tc.c}, tc.in...)
			yShape := append([]int{tc.n, tc.c}, tc.out...)
			xv, dyv := random(uint64(600+i), numel(xShape)), random(uint64(700+i), numel(yShape))
			wantY, wantDx := refUpsample(tc.mode, to64(xv), to64(dyv), tc.n, tc.c, tc.in, tc.out, tc.scales)
			nan := float32(math.NaN())
			y := tensor.Full(dev, nan, yShape...)
			dev.Upsample(tc.mode, y, upload(dev, xv, xShape...), tc.scales)
			AllClose(t, "Upsample", y, wantY, yShape, 1e-5, 1e-6)
			dx := tensor.Full(dev, nan, xShape...)
			dev.UpsampleBackward(tc.mode, dx, upload(dev, dyv, yShape...), tc.scales)
			AllClose(t, "UpsampleBackward", dx, wantDx, xShape, 1e-5, 1e-6)
			convAdjoint(t, "Upsample/UpsampleBackward", y, dyv, xv, dx)
		})
	}
	t.Run("shape panics", func(t *testing.T) {
		x := tensor.Zeros(dev, 1, 2, 3, 4)
		convPanics(t, "rank", func() { dev.Upsample(tensor.Nearest, tensor.Zeros(dev, 1, 2, 6), x, []float64{2, 2}) })
		convPanics(t, "channels", func() { dev.Upsample(tensor.Linear, tensor.Zeros(dev, 1, 3, 6, 8), x, []float64{2, 2}) })
		convPanics(t, "scales", func() { dev.Upsample(tensor.Linear, tensor.Zeros(dev, 1, 2, 6, 8), x, []float64{2}) })
		convPanics(t, "backward", func() {
			dev.UpsampleBackward(tensor.Nearest, tensor.Zeros(dev, 2, 2, 3, 4), tensor.Zeros(dev, 1, 2, 6, 8), []float64{2, 2})
		})
	})
}
