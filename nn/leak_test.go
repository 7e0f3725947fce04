package nn

import (
	"strings"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// leakSteps runs five training steps of step (forward + loss) on dev: Backward, one
// AdamW update per trainable parameter (moments allocated once), ZeroGrads and Reset,
// and fails unless dev's live memory is the same after steps 2 to 5. On failure it
// lists the allocation sites of the buffers steps 3 to 5 left behind.
func leakSteps(t *testing.T, dev *tensor.TrackingCPU, params []Param, step func(tp *Tape) *Var) {
	t.Helper()
	ps := Trainables(params)
	moments := make([][2]*tensor.Tensor, len(ps))
	for i, p := range ps {
		moments[i] = [2]*tensor.Tensor{tensor.Zeros(dev, p.Shape()...), tensor.Zeros(dev, p.Shape()...)}
	}
	tp := NewTape()
	var live [6][2]int
	for s := 1; s <= 5; s++ {
		if s == 3 {
			dev.TraceAllocs(true)
		}
		loss := step(tp)
		tp.Backward(loss)
		h := tensor.AdamWParams{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Step: s}
		for i, p := range ps {
			if p.Grad != nil {
				dev.AdamW(p.Value, p.Grad, moments[i][0], moments[i][1], h)
			}
		}
		ZeroGrads(params)
		tp.Reset()
		live[s][0], live[s][1] = dev.Live()
	}
	dev.TraceAllocs(false)
	for s := 3; s <= 5; s++ {
		if live[s] != live[2] {
			t.Fatalf("live memory grows: (buffers, elements) after steps 1–5: %v\nleft behind by steps 3–5:\n  %s",
				live[1:], strings.Join(dev.LiveSites(), "\n  "))
		}
	}
}

// leakLeaf returns a trainable Param over a random tensor on dev.
func leakLeaf(dev tensor.Device, rng *tensor.RNG, name string, shape ...int) Param {
	return Param{Name: name, Var: NewLeaf(tensor.RandNormal(dev, rng, 0, 1, shape...)), Kind: Trainable}
}

func TestOpsDoNotLeak(t *testing.T) {
	type build func(dev tensor.Device, rng *tensor.RNG) ([]Param, func(tp *Tape) *Var)
	// mse is the loss of most cases: the mean of y² (a constant target of zeros).
	mse := func(tp *Tape, y *Var) *Var {
		return tp.MSELoss(y, tp.Const(tensor.Zeros(y.Device(), y.Shape()...)))
	}
	cases := []struct {
		name  string
		build build
	}{
		{"elementwise broadcast", func(dev tensor.Device, rng *tensor.RNG) ([]Param, func(*Tape) *Var) {
			a, b, c := leakLeaf(dev, rng, "a", 2, 3, 4), leakLeaf(dev, rng, "b", 3, 1), leakLeaf(dev, rng, "c", 4)
			return []Param{a, b, c}, func(tp *Tape) *Var {
				at := tp.Permute(a.Var, 0, 2, 1) // [2, 4, 3], strided
				y := tp.Add(tp.Mul(a.Var, b.Var), tp.Div(c.Var, tp.AddScalar(tp.Square(b.Var), 1)))
				y = tp.Sub(y, tp.Scale(tp.Transpose(at, 1, 2), 0.5))
				y = tp.Mul(tp.GELU(tp.Transpose(at, 1, 2)), y)
				y = tp.Sub(b.Var, tp.Tanh(y))
				y = tp.Add(tp.Sigmoid(tp.Permute(at, 0, 2, 1)), tp.Div(y, tp.AddScalar(tp.Exp(c.Var), 1)))
				return tp.Add(mse(tp, y), tp.Mean(tp.Abs(tp.Scale(tp.Permute(at, 1, 0, 2), 2))))
			}
		}},
		{"matmul linear", func(dev tensor.Device, rng *tensor.RNG) ([]Param, func(*Tape) *Var) {
			x, w, b := leakLeaf(dev, rng, "x", 2, 5, 4), leakLeaf(dev, rng, "w", 3, 4), leakLeaf(dev, rng, "b", 3)
			m := leakLeaf(dev, rng, "m", 2, 3, 6)
			return []Param{x, w, b, m}, func(tp *Tape) *Var {
				y := tp.Linear(tp.Permute(tp.Permute(x.Var, 0, 2, 1), 0, 2, 1), w.Var, b.Var) // [2, 5, 3]
				y2 := tp.Linear(tp.Transpose(tp.Transpose(x.Var, 1, 2), 1, 2), w.Var, nil)
				z := tp.MatMul(tp.Add(y, y2), m.Var, false, false)              // [2, 5, 6]
				z2 := tp.MatMul(m.Var, y, true, true)                           // [2, 6, 5]
				z3 := tp.MatMul(x.Var, tp.Transpose(w.Var, 0, 1), false, false) // broadcast b
				return tp.Add(tp.Add(mse(tp, z), mse(tp, z2)), mse(tp, z3))
			}
		}},
		{"conv", func(dev tensor.Device, rng *tensor.RNG) ([]Param, func(*Tape) *Var) {
			x := leakLeaf(dev, rng, "x", 2, 4, 6, 5)
			w1, b1 := leakLeaf(dev, rng, "w1", 6, 2, 3, 3), leakLeaf(dev, rng, "b1", 6)
			w2 := leakLeaf(dev, rng, "w2", 3, 6, 2, 2)
			w3, b3 := leakLeaf(dev, rng, "w3", 4, 3, 1, 1), leakLeaf(dev, rng, "b3", 4)
			w4 := leakLeaf(dev, rng, "w4", 2, 2, 3, 3, 3)
			x3 := NewVar(tensor.RandNormal(dev, rng, 0, 1, 1, 2, 4, 4, 3))
			return []Param{x, w1, b1, w2, w3, b3, w4}, func(tp *Tape) *Var {
				xt := tp.Transpose(tp.Transpose(x.Var, 2, 3), 2, 3)
				y := tp.Conv(xt, w1.Var, b1.Var, ConvOptions{Groups: 2, Stride: []int{2, 1}, Padding: []int{1}})
				y = tp.Conv(tp.ReLU(y), w2.Var, nil, ConvOptions{Same: true, Dilation: []int{1, 2}})
				y = tp.Conv(y, w3.Var, b3.Var, ConvOptions{})
				y3 := tp.Conv(x3, w4.Var, nil, ConvOptions{Same: true})
				return tp.Add(mse(tp, y), mse(tp, y3))
			}
		}},
		{"conv frozen input and weight", func(dev tensor.Device, rng *tensor.RNG) ([]Param, func(*Tape) *Var) {
			x := NewVar(tensor.RandNormal(dev, rng, 0, 1, 2, 3, 5, 5))
			w := NewVar(tensor.RandNormal(dev, rng, 0, 1, 4, 3, 2, 2))
			b := leakLeaf(dev, rng, "b", 4)
			return []Param{b}, func(tp *Tape) *Var {
				return mse(tp, tp.Conv(x, w, b.Var, ConvOptions{Same: true}))
			}
		}},
		{"conv transpose", func(dev tensor.Device, rng *tensor.RNG) ([]Param, func(*Tape) *Var) {
			x := leakLeaf(dev, rng, "x", 2, 4, 3, 3)
			w, b := leakLeaf(dev, rng, "w", 4, 3, 2, 2), leakLeaf(dev, rng, "b", 6)
			w2 := leakLeaf(dev, rng, "w2", 6, 2, 3, 3)
			return []Param{x, w, b, w2}, func(tp *Tape) *Var {
				xt := tp.Transpose(tp.Transpose(x.Var, 2, 3), 2, 3)
				y := tp.ConvTranspose(xt, w.Var, b.Var, ConvTransposeOptions{Stride: []int{2}, Groups: 2})
				y = tp.ConvTranspose(y, w2.Var, nil, ConvTransposeOptions{Stride: []int{2}, Padding: []int{1}, OutputPadding: []int{1}})
				return mse(tp, y)
			}
		}},
		{"pools upsample pixel shuffle", func(dev tensor.Device, rng *tensor.RNG) ([]Param, func(*Tape) *Var) {
			x := leakLeaf(dev, rng, "x", 2, 4, 6, 6)
			x3 := leakLeaf(dev, rng, "x3", 1, 2, 4, 4, 4)
			return []Param{x, x3}, func(tp *Tape) *Var {
				xt := tp.Transpose(x.Var, 2, 3)
				y := tp.MaxPool(xt, []int{2}, nil, nil)
				y = tp.Add(y, tp.AvgPool(xt, []int{3}, []int{2}, []int{1}))
				y = tp.Upsample(tp.Transpose(y, 2, 3), tensor.Linear, []float64{2, 2})
				y = tp.PixelShuffle(tp.Transpose(y, 2, 3), 2)
				g := tp.GlobalAvgPool(tp.Transpose(y, 2, 3))
				y3 := tp.Upsample(tp.MaxPool(x3.Var, []int{2}, nil, nil), tensor.Nearest, []float64{2, 2, 2})
				return tp.Add(tp.Add(mse(tp, y), mse(tp, g)), mse(tp, y3))
			}
		}},
		{"softmax norms", func(dev tensor.Device, rng *tensor.RNG) ([]Param, func(*Tape) *Var) {
			x := leakLeaf(dev, rng, "x", 2, 4, 3, 5)
			lw, lb := leakLeaf(dev, rng, "lw", 4), leakLeaf(dev, rng, "lb", 4)
			bw, bb := leakLeaf(dev, rng, "bw", 4), leakLeaf(dev, rng, "bb", 4)
			gw, gb := leakLeaf(dev, rng, "gw", 4), leakLeaf(dev, rng, "gb", 4)
			iw, ib := leakLeaf(dev, rng, "iw", 4), leakLeaf(dev, rng, "ib", 4)
			rm, rv := tensor.Zeros(dev, 4), tensor.Full(dev, 1, 4)
			return []Param{x, lw, lb, bw, bb, gw, gb, iw, ib}, func(tp *Tape) *Var {
				xt := tp.Transpose(x.Var, 2, 3) // [2, 4, 5, 3] strided
				y := tp.Softmax(xt, 1)
				y = tp.Add(y, tp.Transpose(tp.Softmax(tp.Transpose(xt, 1, 3), 3), 1, 3))
				y = tp.LayerNorm(tp.Transpose(y, 1, 3), lw.Var, lb.Var, 1e-5) // [2, 3, 5, 4]
				y = tp.Transpose(y, 1, 3)                                     // [2, 4, 5, 3]
				a := tp.BatchNorm(y, bw.Var, bb.Var, rm, rv, 0.1, 1e-5, true)
				a = tp.Add(a, tp.BatchNorm(xt, nil, nil, rm, rv, 0.1, 1e-5, false))
				b := tp.GroupNorm(y, gw.Var, gb.Var, 2, 1e-5)
				c := tp.InstanceNorm(y, iw.Var, ib.Var, 1e-5)
				c = tp.Add(c, tp.InstanceNorm(xt, nil, nil, 1e-5))
				return tp.Add(tp.Add(mse(tp, a), mse(tp, b)), mse(tp, c))
			}
		}},
		{"shape ops", func(dev tensor.Device, rng *tensor.RNG) ([]Param, func(*Tape) *Var) {
			x, z := leakLeaf(dev, rng, "x", 2, 6, 4), leakLeaf(dev, rng, "z", 2, 3, 4)
			idx := tensor.FromSlice([]float32{0, 5, 5, 2, 1, 1, 3, 0}, 2, 4).To(dev)
			return []Param{x, z}, func(tp *Tape) *Var {
				xt := tp.Transpose(x.Var, 1, 2)                                         // [2, 4, 6]
				c := tp.Concat(2, tp.Transpose(z.Var, 1, 2), tp.Slice(xt, 2, 1, 4), xt) // [2, 4, 12]
				c = tp.Pad(tp.Reshape(tp.Transpose(c, 1, 2), 2, 12, 4), []int{1, 2}, 0.5)
				g := tp.Gather(tp.Transpose(xt, 1, 2), idx)
				g2 := tp.Gather(x.Var, tp.Const(idx.Transpose(0, 1).Contiguous().Transpose(0, 1)).Value)
				s := tp.SumTo(tp.Contiguous(xt), 1, 4, 1)
				m := tp.MeanAxes(tp.Transpose(c, 1, 2), 1)
				return tp.Add(tp.Add(tp.Add(mse(tp, c), mse(tp, tp.Add(g, g2))), tp.Sum(s)), mse(tp, m))
			}
		}},
		{"dropout losses", func(dev tensor.Device, rng *tensor.RNG) ([]Param, func(*Tape) *Var) {
			x, y := leakLeaf(dev, rng, "x", 3, 5), leakLeaf(dev, rng, "y", 5, 3)
			drng := tensor.NewRNG(7)
			return []Param{x, y}, func(tp *Tape) *Var {
				d := tp.Dropout(x.Var, 0.3, drng, true)
				yt := tp.Transpose(y.Var, 0, 1)
				l := tp.Add(tp.MSELoss(d, yt), tp.L1Loss(yt, tp.Dropout(x.Var, 0.5, drng, true)))
				target := tp.Const(tensor.Full(dev, 0.5, 3, 5))
				return tp.Add(l, tp.L1Loss(tp.Transpose(tp.Transpose(x.Var, 0, 1), 0, 1), target))
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dev := tensor.NewTrackingCPU()
			params, step := c.build(dev, tensor.NewRNG(1))
			leakSteps(t, dev, params, step)
		})
	}
}
