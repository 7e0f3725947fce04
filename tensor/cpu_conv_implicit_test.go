package tensor_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// implicitCase is one convolution: n samples, cin → cout channels, spatial input in,
// kernel k, stride, pad, dilation (one entry per axis or one for all) and groups.
type implicitCase struct {
	n, cin, cout, groups int
	in, k                []int
	stride, pad, dil     []int
}

func (c implicitCase) String() string {
	return fmt.Sprintf("n%d_c%d-%d_g%d_in%v_k%v_s%v_p%v_d%v", c.n, c.cin, c.cout, c.groups, c.in, c.k, c.stride, c.pad, c.dil)
}

var implicitCases = []implicitCase{
	{n: 1, cin: 1, cout: 1, groups: 1, in: []int{7}, k: []int{3}},
	{n: 3, cin: 2, cout: 5, groups: 1, in: []int{11}, k: []int{3}, pad: []int{1}},
	{n: 2, cin: 4, cout: 6, groups: 2, in: []int{13}, k: []int{5}, stride: []int{2}, pad: []int{2}},
	{n: 1, cin: 3, cout: 4, groups: 1, in: []int{9}, k: []int{3}, dil: []int{2}, pad: []int{2}},
	{n: 1, cin: 1, cout: 3, groups: 1, in: []int{5, 7}, k: []int{3, 3}},
	{n: 3, cin: 3, cout: 7, groups: 1, in: []int{9, 11}, k: []int{3, 3}, pad: []int{1}},
	{n: 2, cin: 4, cout: 4, groups: 2, in: []int{10, 9}, k: []int{3, 3}, stride: []int{2}, pad: []int{1}},
	{n: 2, cin: 3, cout: 5, groups: 1, in: []int{9, 10}, k: []int{3, 2}, dil: []int{2, 1}, pad: []int{2, 0}},
	{n: 1, cin: 2, cout: 3, groups: 1, in: []int{6, 40}, k: []int{3, 3}, pad: []int{1}},
	{n: 2, cin: 5, cout: 3, groups: 1, in: []int{7, 8}, k: []int{1, 1}},
	{n: 2, cin: 4, cout: 6, groups: 2, in: []int{7, 8}, k: []int{1, 1}},
	{n: 1, cin: 3, cout: 2, groups: 1, in: []int{8, 8}, k: []int{1, 1}, stride: []int{2}},
	{n: 2, cin: 2, cout: 3, groups: 1, in: []int{5, 6, 7}, k: []int{3, 3, 3}, pad: []int{1}},
	{n: 1, cin: 4, cout: 2, groups: 2, in: []int{6, 5, 7}, k: []int{2, 3, 3}, stride: []int{2, 1, 2}, pad: []int{0, 1, 1}},
	{n: 3, cin: 1, cout: 2, groups: 1, in: []int{5, 5, 5}, k: []int{3, 3, 3}, dil: []int{2}, pad: []int{2}},
	// Large enough to run on several threads, with ranges that split samples.
	{n: 3, cin: 16, cout: 32, groups: 1, in: []int{21, 40}, k: []int{3, 3}, pad: []int{1}},
	{n: 3, cin: 32, cout: 64, groups: 2, in: []int{17, 33}, k: []int{3, 3}, pad: []int{1}},
	// 3-D, stride 1, the last output axis a multiple of 32: the packing-free path (on
	// AVX-512) for the forward and the input gradient; 16, 22 and 36 output channels
	// take its partial strips.
	{n: 2, cin: 3, cout: 5, groups: 1, in: []int{2, 6, 32}, k: []int{3, 3, 3}, pad: []int{1}},
	{n: 3, cin: 16, cout: 16, groups: 1, in: []int{3, 5, 64}, k: []int{3, 3, 3}, pad: []int{1}},
	{n: 2, cin: 8, cout: 22, groups: 1, in: []int{4, 5, 32}, k: []int{3, 3, 3}, pad: []int{1}},
	{n: 1, cin: 4, cout: 4, groups: 1, in: []int{5, 4, 40}, k: []int{1, 3, 5}, dil: []int{2}, pad: []int{0, 2, 0}},
	{n: 2, cin: 8, cout: 12, groups: 2, in: []int{3, 5, 32}, k: []int{3, 3, 3}, pad: []int{1}},
	{n: 2, cin: 5, cout: 3, groups: 1, in: []int{2, 4, 32}, k: []int{1, 1, 1}},
	{n: 2, cin: 32, cout: 36, groups: 1, in: []int{4, 6, 64}, k: []int{3, 3, 3}, pad: []int{1}},
	// 2-D, stride 1, the last output axis a multiple of 32 and at most 16 output
	// channels per group: the packing-free path too (16 and 15 rows: 8-row strips).
	{n: 3, cin: 16, cout: 16, groups: 1, in: []int{7, 64}, k: []int{3, 3}, pad: []int{1}},
	{n: 2, cin: 5, cout: 15, groups: 1, in: []int{4, 32}, k: []int{3, 3}, pad: []int{1}},
	{n: 2, cin: 8, cout: 6, groups: 2, in: []int{5, 32}, k: []int{3, 3}, pad: []int{1}},
	{n: 1, cin: 4, cout: 4, groups: 1, in: []int{6, 32}, k: []int{3, 5}, dil: []int{2}, pad: []int{2, 4}},
	// 3×3, stride 1, padding 1, at least 32 channels, even height, width a multiple of
	// 32: Winograd F(2×2, 3×3) (on AVX-512), one block of tiles or several; the filter
	// gradient too when both channel counts are multiples of 16.
	{n: 2, cin: 32, cout: 48, groups: 1, in: []int{6, 32}, k: []int{3, 3}, pad: []int{1}},
	{n: 3, cin: 40, cout: 32, groups: 1, in: []int{34, 64}, k: []int{3, 3}, pad: []int{1}},
	{n: 3, cin: 48, cout: 32, groups: 1, in: []int{18, 96}, k: []int{3, 3}, pad: []int{1}},
	// Long channel sums (2304 terms): the transforms' rounding stays within tolerance.
	{n: 1, cin: 256, cout: 32, groups: 1, in: []int{8, 32}, k: []int{3, 3}, pad: []int{1}},
}

func randTensor(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.CPU{}, shape...)
	d := t.Data()
	for i := range d {
		d[i] = r.Float32()*2 - 1
	}
	return t
}

// implicitRef returns float64 references from Im2Col: y = conv(x, w), the column
// gradient wᵀ·dy (to be folded by Col2Im) and dw = Σ dy·colsᵀ.
func implicitRef(c implicitCase, g tensor.ConvGeom, x, w, dy *tensor.Tensor) (y, dcols, dw []float64) {
	cpg, cinG := c.cout/c.groups, c.cin/c.groups
	rows, o := cinG*g.KernelSize(), g.OutSize()
	cols := tensor.New(tensor.CPU{}, c.n, c.cin*g.KernelSize(), o)
	tensor.CPU{}.Im2Col(cols, x, g)
	cd, wd, dyd := cols.Data(), w.Data(), dy.Data()
	y = make([]float64, c.n*c.cout*o)
	dcols = make([]float64, len(cd))
	dw = make([]float64, len(wd))
	for s := range c.n {
		for gi := range c.groups {
			for co := range cpg {
				for r := range rows {
					wv := float64(wd[(gi*cpg+co)*rows+r])
					crow := cd[(s*c.cin*g.KernelSize()+gi*rows+r)*o:][:o]
					yrow := y[(s*c.cout+gi*cpg+co)*o:][:o]
					dyrow := dyd[(s*c.cout+gi*cpg+co)*o:][:o]
					dcrow := dcols[(s*c.cin*g.KernelSize()+gi*rows+r)*o:][:o]
					var acc float64
					for p := range o {
						yrow[p] += wv * float64(crow[p])
						dcrow[p] += wv * float64(dyrow[p])
						acc += float64(dyrow[p]) * float64(crow[p])
					}
					dw[(gi*cpg+co)*rows+r] += acc
				}
			}
		}
	}
	return y, dcols, dw
}

// closeTo compares got with want to a relative tolerance tol, plus 1e-6 per term of
// the sums (float32 rounding of long sums that cancel).
func closeTo(t *testing.T, what string, got []float32, want []float64, tol float64, terms int) {
	t.Helper()
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= tol*(1+math.Abs(want[i]))+1e-6*float64(terms)) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestImplicitConv(t *testing.T) {
	var dev tensor.ImplicitConver = tensor.CPU{}
	for i, c := range implicitCases {
		t.Run(c.String(), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 11))
			g := tensor.NewConvGeom(c.in, c.k, c.stride, c.pad, c.dil)
			x := randTensor(r, append([]int{c.n, c.cin}, c.in...)...)
			w := randTensor(r, append([]int{c.cout, c.cin / c.groups}, c.k...)...)
			dy := randTensor(r, append([]int{c.n, c.cout}, g.Out...)...)
			yRef, dcols, dwRef := implicitRef(c, g, x, w, dy)

			y := tensor.Full(tensor.CPU{}, float32(math.NaN()), dy.Shape()...)
			dev.ConvForward(y, x, w, g, c.groups)
			closeTo(t, "y", y.Data(), yRef, 1e-5, c.cin*g.KernelSize())

			// With the bias added per channel (every forward path: packed, pointwise,
			// packing-free 3-D).
			b := randTensor(r, c.cout)
			yb := tensor.Full(tensor.CPU{}, float32(math.NaN()), dy.Shape()...)
			tensor.CPU{}.ConvForwardBias(yb, x, w, b, g, c.groups)
			ybRef := make([]float64, len(yRef))
			for j := range ybRef {
				ybRef[j] = yRef[j] + float64(b.Data()[j/g.OutSize()%c.cout])
			}
			closeTo(t, "y + b", yb.Data(), ybRef, 1e-5, c.cin*g.KernelSize())

			// Filter gradient: overwrite (beta 0 over NaN) and accumulate (beta 0.5).
			dw := tensor.Full(tensor.CPU{}, float32(math.NaN()), w.Shape()...)
			dev.ConvFilterGrad(dw, x, dy, g, c.groups, 0)
			closeTo(t, "dw", dw.Data(), dwRef, 1e-5, c.n*g.OutSize())
			dw0 := randTensor(r, w.Shape()...)
			want := make([]float64, len(dwRef))
			for j := range want {
				want[j] = 0.5*float64(dw0.Data()[j]) + dwRef[j]
			}
			dev.ConvFilterGrad(dw0, x, dy, g, c.groups, 0.5)
			closeTo(t, "dw (beta 0.5)", dw0.Data(), want, 1e-5, c.n*g.OutSize())

			if !tensor.ConvInputGradOK(g) {
				return
			}
			dc := tensor.New(tensor.CPU{}, c.n, c.cin*g.KernelSize(), g.OutSize())
			for j, v := range dcols {
				dc.Data()[j] = float32(v)
			}
			dxRef := tensor.Zeros(tensor.CPU{}, x.Shape()...)
			tensor.CPU{}.Col2Im(dxRef, dc, g)
			ref := make([]float64, dxRef.Numel())
			for j, v := range dxRef.Data() {
				ref[j] = float64(v)
			}
			dx := tensor.Full(tensor.CPU{}, float32(math.NaN()), x.Shape()...)
			dev.ConvInputGrad(dx, dy, w, g, c.groups)
			closeTo(t, "dx", dx.Data(), ref, 1e-5, c.cout*g.KernelSize())

			// Added into an existing gradient.
			dx0 := randTensor(r, x.Shape()...)
			for j, v := range dx0.Data() {
				ref[j] += float64(v)
			}
			tensor.CPU{}.ConvInputGradAdd(dx0, dy, w, g, c.groups)
			closeTo(t, "dx0 + dx", dx0.Data(), ref, 1e-5, c.cout*g.KernelSize())
		})
	}
}

func TestImplicitConvPanics(t *testing.T) {
	dev := tensor.CPU{}
	g := tensor.NewConvGeom([]int{6, 6}, []int{3, 3}, nil, []int{1}, nil)
	g2 := tensor.NewConvGeom([]int{6, 6}, []int{3, 3}, []int{2}, []int{1}, nil)
	x := tensor.New(dev, 2, 4, 6, 6)
	w := tensor.New(dev, 3, 4, 3, 3)
	y := tensor.New(dev, 2, 3, 6, 6)
	for name, f := range map[string]func(){
		"y shape":       func() { dev.ConvForward(tensor.New(dev, 2, 3, 5, 6), x, w, g, 1) },
		"groups":        func() { dev.ConvForward(y, x, w, g, 2) },
		"w channels":    func() { dev.ConvForward(y, x, tensor.New(dev, 3, 2, 3, 3), g, 1) },
		"x strided":     func() { dev.ConvForward(y, tensor.New(dev, 2, 4, 6, 12).Slice(3, 0, 6), w, g, 1) },
		"dw shape":      func() { dev.ConvFilterGrad(tensor.New(dev, 3, 4, 3, 2), x, y, g, 1, 0) },
		"dx stride 2":   func() { dev.ConvInputGrad(x, tensor.New(dev, 2, 3, 3, 3), w, g2, 1) },
		"dy transposed": func() { dev.ConvFilterGrad(w, x, tensor.New(dev, 2, 3, 6, 6).Transpose(2, 3), g, 1, 0) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			f()
		})
	}
}

// BenchmarkConvImplicit compares ConvForward and ConvFilterGrad with Im2Col + MatMul
// on an EDSR-shaped (64 channels) and an RCAN-shaped (16 channels) 3×3 layer.
func BenchmarkConvImplicit(b *testing.B) {
	for _, c := range []struct {
		name string
		n, c int
	}{{"edsr_8x64x64x64", 8, 64}, {"rcan_8x16x64x64", 8, 16}} {
		dev := tensor.CPU{}
		r := rand.New(rand.NewPCG(1, 1))
		g := tensor.NewConvGeom([]int{64, 64}, []int{3, 3}, nil, []int{1}, nil)
		x := randTensor(r, c.n, c.c, 64, 64)
		w := randTensor(r, c.c, c.c, 3, 3)
		y := tensor.New(dev, c.n, c.c, 64, 64)
		rows := c.c * 9
		flops := 2 * float64(c.n*c.c*rows*g.OutSize())
		report := func(b *testing.B) {
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
		b.Run(c.name+"/forward/implicit", func(b *testing.B) {
			for b.Loop() {
				dev.ConvForward(y, x, w, g, 1)
			}
			report(b)
		})
		b.Run(c.name+"/forward/im2col", func(b *testing.B) {
			col := tensor.New(dev, c.n, rows, g.OutSize())
			for b.Loop() {
				dev.Im2Col(col, x, g)
				dev.MatMul(y.Reshape(c.n, c.c, g.OutSize()), w.Reshape(1, c.c, rows).Expand(c.n, c.c, rows), col, false, false, 1, 0)
			}
			report(b)
		})
		dw := tensor.New(dev, c.c, c.c, 3, 3)
		b.Run(c.name+"/filter/implicit", func(b *testing.B) {
			for b.Loop() {
				dev.ConvFilterGrad(dw, x, y, g, 1, 0)
			}
			report(b)
		})
		b.Run(c.name+"/filter/im2col", func(b *testing.B) {
			col := tensor.New(dev, c.n, rows, g.OutSize())
			dwT := tensor.New(dev, rows, c.c)
			for b.Loop() {
				dev.Im2Col(col, x, g)
				for i := range c.n {
					beta := float32(1)
					if i == 0 {
						beta = 0
					}
					dev.MatMul(dwT.Reshape(1, rows, c.c), col.Slice(0, i, i+1), y.Slice(0, i, i+1).Reshape(1, c.c, g.OutSize()), false, true, 1, beta)
				}
			}
			report(b)
		})
	}
}
