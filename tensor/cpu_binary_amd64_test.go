//go:build !purego

package tensor

import (
	"math"
	"testing"
)

// TestBinaryAVX512 checks the assembly Add, Sub, Mul and Div loops against the Go loops,
// bit for bit, over every tail length and special values, with the output aliasing an
// operand too.
func TestBinaryAVX512(t *testing.T) {
	if !useAVX512Binary {
		t.Skip("no AVX-512")
	}
	r := NewRNG(5)
	specials := []float32{0, float32(math.Copysign(0, -1)), 1, -3, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40, 3e38}
	for n := range 200 {
		a, b := make([]float32, n), make([]float32, n)
		for i := range a {
			a[i], b[i] = float32(r.Float64()*4-2), float32(r.Float64()*4-2)
			if i%7 == 3 {
				a[i] = specials[i%len(specials)]
			}
			if i%5 == 1 {
				b[i] = specials[(i/5)%len(specials)]
			}
		}
		for op := Add; op <= Div; op++ {
			want, got := make([]float32, n+1), make([]float32, n+1)
			got[n], want[n] = 42, 42 // past the end: untouched
			binaryVVGo(op, want[:n], a, b)
			binaryVV(op, got[:n], a, b)
			sameBits(t, "VV", op, n, got, want)
			y := specials[n%len(specials)]
			binaryVSGo(op, want[:n], a, y)
			binaryVS(op, got[:n], a, y)
			sameBits(t, "VS", op, n, got, want)
			alias := append([]float32(nil), a...)
			binaryVV(op, alias, alias, b)
			binaryVVGo(op, want[:n], a, b)
			sameBits(t, "VV aliased", op, n, append(alias, 42), want)
		}
	}
}

func sameBits(t *testing.T, what string, op BinaryOp, n int, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
			t.Fatalf("%s %v n=%d: [%d] = %v, want %v", what, op, n, i, got[i], want[i])
		}
	}
}
