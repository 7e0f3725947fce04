package tensortest

import (
	"fmt"
	"math"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// Default tolerances of the elementwise, reduction and normalisation checks.
const (
	rtol = 1e-5
	atol = 1e-6
)

// viewValues returns the elements of the view t (any strides) over the host slice
// base in row-major order, in float64, by its own index arithmetic.
func viewValues(base []float32, t *tensor.Tensor) []float64 {
	shape, strides := t.Shape(), t.Strides()
	n := numel(shape)
	out := make([]float64, n)
	idx := make([]int, len(shape))
	for p := range n {
		off := t.Offset()
		for k, i := range idx {
			off += i * strides[k]
		}
		out[p] = float64(base[off])
		for k := len(idx) - 1; k >= 0; k-- {
			idx[k]++
			if idx[k] < shape[k] {
				break
			}
			idx[k] = 0
		}
	}
	return out
}

// unaryInput returns test inputs for op inside its domain, with exact zeros where the
// derivative has a special case at 0.
func unaryInput(op tensor.UnaryOp, n int) []float32 {
	v := random(uint64(10+op), n)
	for i := range v {
		switch op {
		case tensor.Log, tensor.Sqrt, tensor.Rsqrt:
			v[i] = 0.05 + 2*float32(math.Abs(float64(v[i])))
		case tensor.Recip:
			v[i] = float32(math.Copysign(0.2+math.Abs(float64(v[i])), float64(v[i])))
		default:
			v[i] *= 4
		}
	}
	switch op {
	case tensor.Abs, tensor.ReLU, tensor.LeakyReLU, tensor.ELU, tensor.Sign, tensor.GELU, tensor.SiLU:
		v[0] = 0
	}
	return v
}

// unaryRef returns f(x) and f'(x) in float64, from the definitions.
func unaryRef(op tensor.UnaryOp, x, alpha float64) (f, df float64) {
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	switch op {
	case tensor.Neg:
		return -x, -1
	case tensor.Exp:
		return math.Exp(x), math.Exp(x)
	case tensor.Log:
		return math.Log(x), 1 / x
	case tensor.Sqrt:
		return math.Sqrt(x), 0.5 / math.Sqrt(x)
	case tensor.Rsqrt:
		return 1 / math.Sqrt(x), -0.5 * math.Pow(x, -1.5)
	case tensor.Recip:
		return 1 / x, -1 / (x * x)
	case tensor.Abs:
		s := 0.0
		if x > 0 {
			s = 1
		} else if x < 0 {
			s = -1
		}
		return math.Abs(x), s
	case tensor.Square:
		return x * x, 2 * x
	case tensor.ReLU:
		if x > 0 {
			return x, 1
		}
		return 0, 0
	case tensor.LeakyReLU:
		if x > 0 {
			return x, 1
		}
		return alpha * x, alpha
	case tensor.ELU:
		if x > 0 {
			return x, 1
		}
		return alpha * (math.Exp(x) - 1), alpha * math.Exp(x)
	case tensor.GELU:
		cdf := 0.5 * (1 + math.Erf(x/math.Sqrt2))
		pdf := math.Exp(-x*x/2) / math.Sqrt(2*math.Pi)
		return x * cdf, cdf + x*pdf
	case tensor.Sigmoid:
		return sig(x), sig(x) * (1 - sig(x))
	case tensor.Tanh:
		return math.Tanh(x), 1 - math.Tanh(x)*math.Tanh(x)
	case tensor.SiLU:
		return x * sig(x), sig(x) + x*sig(x)*(1-sig(x))
	case tensor.Sign:
		switch {
		case x > 0:
			return 1, 0
		case x < 0:
			return -1, 0
		}
		return 0, 0
	}
	panic(fmt.Sprintf("unaryRef: op %v", op))
}

func testElementwise(t *testing.T, dev tensor.Device) {
	t.Run("Unary", func(t *testing.T) { testUnary(t, dev) })
	t.Run("Binary", func(t *testing.T) { testBinary(t, dev) })
	t.Run("Affine", func(t *testing.T) {
		for _, shape := range [][]int{{}, {3, 1, 5, 7}, {300, 257}} {
			v := random(3, numel(shape))
			x := upload(dev, v, shape...)
			want := make([]float64, len(v))
			for i, e := range v {
				want[i] = float64(e)*-1.5 + 0.25
			}
			dst := tensor.New(dev, shape...)
			dev.Affine(dst, x, -1.5, 0.25)
			AllClose(t, "Affine", dst, want, shape, rtol, atol)
			dev.Affine(x, x, -1.5, 0.25) // in place
			AllClose(t, "Affine in place", x, want, shape, rtol, atol)
		}
	})
	t.Run("Where", func(t *testing.T) {
		shape := []int{3, 1, 5, 7}
		n := numel(shape)
		c, a, b := random(4, n), random(5, n), random(6, n)
		want := make([]float64, n)
		for i := range c {
			if i%3 == 0 {
				c[i] = 0
			}
			want[i] = float64(b[i])
			if c[i] != 0 {
				want[i] = float64(a[i])
			}
		}
		dst := tensor.New(dev, shape...)
		dev.Where(dst, upload(dev, c, shape...), upload(dev, a, shape...), upload(dev, b, shape...))
		AllClose(t, "Where", dst, want, shape, 0, 0)
	})
}

func testUnary(t *testing.T, dev tensor.Device) {
	shapes := [][]int{{}, {1}, {3, 1, 5, 7}, {70, 1001}}
	for _, op := range tensor.UnaryOps() {
		alpha := 0.0
		switch op {
		case tensor.LeakyReLU:
			alpha = 0.01
		case tensor.ELU:
			alpha = 1.3
		}
		for _, shape := range shapes {
			t.Run(fmt.Sprintf("%v%v", op, shape), func(t *testing.T) {
				n := numel(shape)
				xv := unaryInput(op, n)
				gv := random(99, n)
				f, df := make([]float64, n), make([]float64, n)
				for i, x := range xv {
					a, d := unaryRef(op, float64(x), float64(float32(alpha)))
					f[i], df[i] = a, d*float64(gv[i])
				}
				x := upload(dev, xv, shape...)
				y := tensor.New(dev, shape...)
				dev.Unary(op, y, x, float32(alpha))
				AllClose(t, "Unary", y, f, shape, rtol, atol)
				dx := tensor.New(dev, shape...)
				dev.UnaryBackward(op, dx, upload(dev, gv, shape...), x, y, float32(alpha))
				AllClose(t, "UnaryBackward", dx, df, shape, rtol, atol)
				dev.Unary(op, x, x, float32(alpha)) // in place
				AllClose(t, "Unary in place", x, f, shape, rtol, atol)
			})
		}
	}
}

// binaryInputs returns quantised values (multiples of 0.25, so ties occur) for a and
// for b (|b| ≥ 0.5, so Div is well conditioned).
func binaryInputs(seed uint64, n int) (a, b []float32) {
	a, b = random(seed, n), random(seed+1, n)
	for i := range a {
		a[i] = float32(math.Round(float64(a[i])*8)) / 4
		q := float32(math.Round(float64(b[i])*8)) / 4
		if math.Abs(float64(q)) < 0.5 {
			q = 0.5
		}
		b[i] = q
	}
	return a, b
}

func binaryRef(op tensor.BinaryOp, a, b float64) float64 {
	switch op {
	case tensor.Add:
		return a + b
	case tensor.Sub:
		return a - b
	case tensor.Mul:
		return a * b
	case tensor.Div:
		return a / b
	case tensor.Maximum:
		return math.Max(a, b)
	case tensor.Minimum:
		return math.Min(a, b)
	case tensor.Greater:
		if a > b {
			return 1
		}
		return 0
	}
	panic(fmt.Sprintf("binaryRef: op %v", op))
}

// binaryCase makes the operands of one Binary check: views a and b of shape over
// uploaded host slices ha and hb.
type binaryCase struct {
	name  string
	shape []int
	// make returns the views and the host slices behind them.
	make func(dev tensor.Device) (a, b *tensor.Tensor, ha, hb []float32)
}

func binaryCases() []binaryCase {
	plain := func(name string, shapeA, shapeB, shape []int) binaryCase {
		return binaryCase{name, shape, func(dev tensor.Device) (*tensor.Tensor, *tensor.Tensor, []float32, []float32) {
			ha, _ := binaryInputs(20, numel(shapeA))
			_, hb := binaryInputs(30, numel(shapeB))
			a := upload(dev, ha, shapeA...).Expand(shape...)
			b := upload(dev, hb, shapeB...).Expand(shape...)
			return a, b, ha, hb
		}}
	}
	return []binaryCase{
		plain("contiguous", []int{3, 1, 5, 7}, []int{3, 1, 5, 7}, []int{3, 1, 5, 7}),
		plain("scalars", []int{}, []int{}, []int{}),
		plain("one", []int{1}, []int{1}, []int{1}),
		plain("channel", []int{2, 3, 4, 5}, []int{1, 3, 1, 1}, []int{2, 3, 4, 5}),
		plain("channel-left", []int{1, 3, 1, 1}, []int{2, 3, 4, 5}, []int{2, 3, 4, 5}),
		plain("row", []int{6, 5}, []int{5}, []int{6, 5}),
		plain("column", []int{6, 1}, []int{6, 5}, []int{6, 5}),
		plain("scalar-b", []int{3, 1, 5, 7}, []int{}, []int{3, 1, 5, 7}),
		plain("scalar-a", []int{1, 1}, []int{4, 9}, []int{4, 9}),
		plain("both-broadcast", []int{4, 1, 3}, []int{1, 5, 1}, []int{4, 5, 3}),
		plain("large-row", []int{90, 1000}, []int{1000}, []int{90, 1000}),
		plain("large", []int{70, 1001}, []int{70, 1001}, []int{70, 1001}),
		{"permuted", []int{5, 4, 3}, func(dev tensor.Device) (*tensor.Tensor, *tensor.Tensor, []float32, []float32) {
			ha, _ := binaryInputs(40, 60)
			_, hb := binaryInputs(50, 60)
			a := upload(dev, ha, 4, 3, 5).Permute(2, 0, 1)
			b := upload(dev, hb, 3, 5, 4).Permute(1, 2, 0)
			return a, b, ha, hb
		}},
		{"sliced-transposed", []int{6, 3}, func(dev tensor.Device) (*tensor.Tensor, *tensor.Tensor, []float32, []float32) {
			ha, _ := binaryInputs(60, 35)
			_, hb := binaryInputs(70, 18)
			a := upload(dev, ha, 5, 7).Slice(1, 1, 7).Slice(0, 1, 4).Transpose(0, 1)
			b := upload(dev, hb, 6, 3)
			return a, b, ha, hb
		}},
		{"permuted-broadcast", []int{2, 3, 4}, func(dev tensor.Device) (*tensor.Tensor, *tensor.Tensor, []float32, []float32) {
			ha, _ := binaryInputs(80, 8)
			_, hb := binaryInputs(90, 3)
			a := upload(dev, ha, 4, 2).Transpose(0, 1).Unsqueeze(1).Expand(2, 3, 4)
			b := upload(dev, hb, 3, 1).Expand(2, 3, 4)
			return a, b, ha, hb
		}},
	}
}

func testBinary(t *testing.T, dev tensor.Device) {
	for _, c := range binaryCases() {
		for _, op := range tensor.BinaryOps() {
			t.Run(c.name+"/"+op.String(), func(t *testing.T) {
				a, b, ha, hb := c.make(dev)
				av, bv := viewValues(ha, a), viewValues(hb, b)
				want := make([]float64, len(av))
				for i := range want {
					want[i] = binaryRef(op, av[i], bv[i])
				}
				dst := tensor.New(dev, c.shape...)
				dev.Binary(op, dst, a, b)
				AllClose(t, "Binary", dst, want, c.shape, rtol, atol)
			})
		}
	}
	// In place (dst aliases a), as the autograd accumulates: g = g + other.
	for _, shape := range [][]int{{3, 1, 5, 7}, {}} {
		ha, hb := binaryInputs(5, numel(shape))
		want := make([]float64, len(ha))
		for i := range want {
			want[i] = float64(ha[i]) + float64(hb[i])
		}
		g := upload(dev, ha, shape...)
		dev.Binary(tensor.Add, g, g, upload(dev, hb, shape...))
		AllClose(t, "Binary in place", g, want, shape, rtol, atol)
	}
	g := upload(dev, []float32{1, 2, 3, 4, 5, 6}, 2, 3)
	dev.Binary(tensor.Mul, g, g, upload(dev, []float32{10, 100, 1000}, 3).Expand(2, 3))
	AllClose(t, "Binary in place broadcast", g, []float64{10, 200, 3000, 40, 500, 6000}, []int{2, 3}, 0, 0)
}
