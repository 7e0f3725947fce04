package tensortest

import (
	"fmt"
	"math"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// matmulCase is one batched product: a is stored [batchA…, rowsA, colsA] with op
// applied per transA, likewise b; broadcast batch axes are expanded with stride 0.
type matmulCase struct {
	batch          []int // output batch axes
	m, n, k        int
	transA, transB bool
	bcastA, bcastB bool // operand has a single matrix broadcast over the batch
	alpha, beta    float32
	padA           int // extra columns in a's storage (leading dimension > width)
}

func (c matmulCase) name() string {
	return fmt.Sprintf("b%v_%dx%dx%d_tA%v_tB%v_bcA%v_bcB%v_a%g_b%g_pad%d",
		c.batch, c.m, c.n, c.k, c.transA, c.transB, c.bcastA, c.bcastB, c.alpha, c.beta, c.padA)
}

// operand builds a [batch…, r, c] view whose storage has `pad` extra columns (sliced
// away), optionally one matrix expanded over the batch. It returns the view and a
// function giving element (batch index, row, col) in float64.
func operand(dev tensor.Device, seed uint64, batch []int, r, c, pad int, bcast bool) (*tensor.Tensor, func(bi, i, j int) float64) {
	nb := numel(batch)
	store := nb
	if bcast {
		store = 1
	}
	w := c + pad
	v := random(seed, store*r*w)
	full := append(append([]int{}, batch...), r, c)
	stored := append(append([]int{}, batch...), r, w)
	if bcast {
		stored = append(onesLike(batch), r, w)
	}
	t := upload(dev, v, stored...).Slice(len(stored)-1, 0, c)
	if bcast {
		t = t.Expand(full...)
	}
	at := func(bi, i, j int) float64 {
		if bcast {
			bi = 0
		}
		return float64(v[(bi*r+i)*w+j])
	}
	return t, at
}

func onesLike(s []int) []int {
	o := make([]int, len(s))
	for i := range o {
		o[i] = 1
	}
	return o
}

func testMatMul(t *testing.T, dev tensor.Device) {
	cases := []matmulCase{
		{m: 1, n: 1, k: 1, alpha: 1},
		{m: 3, n: 5, k: 7, alpha: 1},
		{m: 17, n: 33, k: 65, alpha: 1, transA: true},
		{m: 17, n: 33, k: 65, alpha: 1, transB: true},
		{m: 17, n: 33, k: 65, alpha: 0.5, transA: true, transB: true, beta: 0.25},
		{m: 130, n: 70, k: 257, alpha: 1, beta: 1},
		{m: 100, n: 1, k: 100, alpha: 1},
		{m: 1, n: 100, k: 1, alpha: 2},
		{m: 6, n: 4, k: 0, alpha: 1, beta: 0.5},
		{m: 64, n: 48, k: 96, alpha: 1, padA: 5},
		{m: 64, n: 48, k: 96, alpha: 1, padA: 3, transA: true},
		{batch: []int{3}, m: 9, n: 9, k: 8, alpha: 1, transB: true},
		{batch: []int{2, 3}, m: 5, n: 7, k: 4, alpha: 1},
		{batch: []int{4}, m: 33, n: 20, k: 31, alpha: 1, bcastA: true},
		{batch: []int{2, 3}, m: 8, n: 6, k: 5, alpha: 1, bcastB: true, transB: true},
		{batch: []int{5}, m: 40, n: 300, k: 50, alpha: 1, bcastA: true, transA: true, beta: 1},
		{batch: []int{2}, m: 200, n: 150, k: 120, alpha: 1, padA: 2},
		{batch: []int{1}, m: 1, n: 1, k: 3, alpha: 1},
	}
	for _, c := range cases {
		t.Run(c.name(), func(t *testing.T) {
			ra, ca := c.m, c.k
			if c.transA {
				ra, ca = ca, ra
			}
			rb, cb := c.k, c.n
			if c.transB {
				rb, cb = cb, rb
			}
			a, atA := operand(dev, 11, c.batch, ra, ca, c.padA, c.bcastA)
			b, atB := operand(dev, 12, c.batch, rb, cb, 0, c.bcastB)
			outShape := append(append([]int{}, c.batch...), c.m, c.n)
			nb := numel(c.batch)
			init := random(13, nb*c.m*c.n)
			for i := range init {
				if c.beta == 0 {
					init[i] = float32(math.NaN()) // beta = 0 must ignore old contents
				}
			}
			dst := upload(dev, append([]float32(nil), init...), outShape...)
			dev.MatMul(dst, a, b, c.transA, c.transB, c.alpha, c.beta)
			want := make([]float64, nb*c.m*c.n)
			for bi := range nb {
				for i := range c.m {
					for j := range c.n {
						s := 0.0
						for p := range c.k {
							var av, bv float64
							if c.transA {
								av = atA(bi, p, i)
							} else {
								av = atA(bi, i, p)
							}
							if c.transB {
								bv = atB(bi, j, p)
							} else {
								bv = atB(bi, p, j)
							}
							s += av * bv
						}
						o := (bi*c.m+i)*c.n + j
						want[o] = float64(c.alpha) * s
						if c.beta != 0 {
							want[o] += float64(c.beta) * float64(init[o])
						}
					}
				}
			}
			AllClose(t, "MatMul", dst, want, outShape, 1e-5, 1e-5*math.Sqrt(float64(max(c.k, 1))))
		})
	}
	t.Run("broadcast rows", func(t *testing.T) {
		// a: one row [1, K] expanded to [M, K] (row stride 0); b: a column expanded to
		// [K, N] (column stride 0): every output element is the same dot product.
		const m, k, n = 7, 19, 5
		av, bv := random(21, k), random(22, k)
		a := upload(dev, av, 1, k).Expand(m, k)
		b := upload(dev, bv, k, 1).Expand(k, n)
		dst := tensor.New(dev, m, n)
		dev.MatMul(dst, a, b.Contiguous(), false, false, 1, 0)
		dot := 0.0
		for i := range k {
			dot += float64(av[i]) * float64(bv[i])
		}
		want := make([]float64, m*n)
		for i := range want {
			want[i] = dot
		}
		AllClose(t, "MatMul broadcast rows", dst, want, []int{m, n}, 1e-5, 1e-5)
	})
	t.Run("panics", func(t *testing.T) {
		for _, f := range []func(){
			func() {
				dev.MatMul(tensor.New(dev, 2, 2), tensor.New(dev, 2, 3), tensor.New(dev, 4, 2), false, false, 1, 0)
			},
			func() {
				dev.MatMul(tensor.New(dev, 3, 3), tensor.New(dev, 2, 3), tensor.New(dev, 3, 2), false, false, 1, 0)
			},
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Error("MatMul with mismatched shapes did not panic")
					}
				}()
				f()
			}()
		}
	})
}
