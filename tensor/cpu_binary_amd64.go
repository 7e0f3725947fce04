//go:build !purego

package tensor

// useAVX512Binary selects the AVX-512 loops of cpu_binary_amd64.s for Add, Sub, Mul and
// Div (useAVX512Math: the same CPU feature).
var useAVX512Binary = useAVX512Math

// binaryVVAVX512 sets d[i] = a[i] ∘ b[i] for i < n, ∘ = Add, Sub, Mul or Div (op).
//
//go:noescape
func binaryVVAVX512(op int, d, a, b *float32, n int)

// binaryVSAVX512 sets d[i] = a[i] ∘ y for i < n, ∘ = Add, Sub, Mul or Div (op).
//
//go:noescape
func binaryVSAVX512(op int, d, a *float32, y float32, n int)
