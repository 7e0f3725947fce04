package tensor

import (
	"fmt"
	"math"
	"testing"
)

// TestConvRowsPerSample checks the packing-free convolution that pads one sample at a
// time (batch copies above rowsBatchPadMax) against the packed path, with bias and
// accumulating (the input gradient's beta 1).
func TestConvRowsPerSample(t *testing.T) {
	defer func(v int) { rowsBatchPadMax = v }(rowsBatchPadMax)
	rowsBatchPadMax = 0
	for _, c := range []struct {
		n, cin, cout int
		in, k        []int
	}{
		{3, 5, 16, []int{6, 32}, []int{3, 3}},
		{2, 4, 6, []int{3, 4, 32}, []int{3, 3, 3}},
	} {
		g := NewConvGeom(c.in, c.k, nil, []int{1}, nil)
		if !convRowsOK(g, c.cout) {
			t.Skip("no packing-free path here")
		}
		t.Run(fmt.Sprint(c.in), func(t *testing.T) {
			r := NewRNG(uint64(c.cout))
			x := RandUniform(CPU{}, r, -1, 1, append([]int{c.n, c.cin}, c.in...)...)
			w := RandUniform(CPU{}, r, -1, 1, append([]int{c.cout, c.cin}, c.k...)...)
			b := RandUniform(CPU{}, r, -1, 1, c.cout)
			y0 := RandUniform(CPU{}, r, -1, 1, append([]int{c.n, c.cout}, g.Out...)...)
			run := func(rows bool) []float32 {
				defer func(v bool) { useConvRows = v }(useConvRows)
				useConvRows = rows
				y := y0.Clone()
				convForwardData(y.Data(), x.Data(), w.Data(), b.Data(), 1, g, 1, c.n, c.cin, c.cout)
				return y.Data()
			}
			got, want := run(true), run(false)
			for i := range want {
				if d := math.Abs(float64(got[i] - want[i])); !(d <= 1e-4*(1+math.Abs(float64(want[i])))) {
					t.Fatalf("y[%d] = %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}
