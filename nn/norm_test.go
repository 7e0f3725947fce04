package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// refStats returns the mean and biased variance of v.
func refStats(v []float64) (mean, variance float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(v))
}

// refNorm normalises x: [N, C, S] over groups of C/groups channels and S (groups = C
// is instance norm; with batch set, per channel over N and S instead) and applies the
// per-channel w, b (nil: none), in float64.
func refNorm(x []float32, n, c, s, groups int, batch bool, w, b []float32, eps float64) []float32 {
	out := make([]float32, len(x))
	idx := func(i, ch, k int) int { return (i*c+ch)*s + k }
	affine := func(ch int, v float64) float32 {
		if w != nil {
			v *= float64(w[ch])
		}
		if b != nil {
			v += float64(b[ch])
		}
		return float32(v)
	}
	if batch {
		for ch := range c {
			var v []float64
			for i := range n {
				for k := range s {
					v = append(v, float64(x[idx(i, ch, k)]))
				}
			}
			m, va := refStats(v)
			for i := range n {
				for k := range s {
					out[idx(i, ch, k)] = affine(ch, (float64(x[idx(i, ch, k)])-m)/math.Sqrt(va+eps))
				}
			}
		}
		return out
	}
	cg := c / groups
	for i := range n {
		for g := range groups {
			var v []float64
			for ch := g * cg; ch < (g+1)*cg; ch++ {
				for k := range s {
					v = append(v, float64(x[idx(i, ch, k)]))
				}
			}
			m, va := refStats(v)
			for ch := g * cg; ch < (g+1)*cg; ch++ {
				for k := range s {
					out[idx(i, ch, k)] = affine(ch, (float64(x[idx(i, ch, k)])-m)/math.Sqrt(va+eps))
				}
			}
		}
	}
	return out
}

// normInputs returns x and, when affine, w and b of size c.
func normInputs(seed uint64, xs []int, c int, affine bool) []*tensor.Tensor {
	in := []*tensor.Tensor{opRand(seed, xs...)}
	if affine {
		in = append(in, opRand(seed+1, c), opRand(seed+2, c))
	}
	return in
}

// wb returns the weight and bias Vars of in (nil when absent).
func wb(in []*Var) (w, b *Var) {
	if len(in) > 1 {
		return in[1], in[2]
	}
	return nil, nil
}

func vals(in []*tensor.Tensor, i int) []float32 {
	if i < len(in) {
		return in[i].Values()
	}
	return nil
}

func TestLayerNorm(t *testing.T) {
	for _, affine := range []bool{true, false} {
		for _, xs := range [][]int{{2, 3, 5}, {4, 6}} {
			t.Run(fmt.Sprintf("%v/affine=%v", xs, affine), func(t *testing.T) {
				d := xs[len(xs)-1]
				in := normInputs(81, xs, d, affine)
				f := func(tp *Tape, in []*Var) *Var {
					w, b := wb(in)
					return tp.LayerNorm(in[0], w, b, 1e-5)
				}
				y := f(nil, []*Var{NewVar(in[0]), opVarOrNil(in, 1), opVarOrNil(in, 2)}[:len(in)])
				want := refNorm(in[0].Values(), 1, in[0].Numel()/d, d, in[0].Numel()/d, false, nil, nil, 1e-5)
				if affine {
					w, b := in[1].Values(), in[2].Values()
					for i := range want {
						want[i] = want[i]*w[i%d] + b[i%d]
					}
				}
				opClose(t, "value", y.Value.Values(), want, 1e-4)
				gradCheck(t, f, in, gradCheckOpts{step: 1e-3})
			})
		}
	}
}

// opVarOrNil wraps in[i] as a constant, or returns nil past the end of in.
func opVarOrNil(in []*tensor.Tensor, i int) *Var {
	if i < len(in) {
		return NewVar(in[i])
	}
	return nil
}

func TestBatchNormGrad(t *testing.T) {
	for _, train := range []bool{true, false} {
		for _, affine := range []bool{true, false} {
			for _, xs := range [][]int{{3, 2, 4}, {4, 3}, {2, 2, 2, 3}} {
				t.Run(fmt.Sprintf("%v/train=%v/affine=%v", xs, train, affine), func(t *testing.T) {
					c := xs[1]
					in := normInputs(91, xs, c, affine)
					var rm, rv *tensor.Tensor
					if !train {
						rm, rv = opRand(95, c), opPos(96, c)
					}
					f := func(tp *Tape, in []*Var) *Var {
						w, b := wb(in)
						return tp.BatchNorm(in[0], w, b, rm, rv, 0.1, 1e-5, train)
					}
					y := f(nil, []*Var{NewVar(in[0]), opVarOrNil(in, 1), opVarOrNil(in, 2)}[:len(in)])
					s := in[0].Numel() / (xs[0] * c)
					var want []float32
					if train {
						want = refNorm(in[0].Values(), xs[0], c, s, 0, true, vals(in, 1), vals(in, 2), 1e-5)
					} else {
						x, m, v := in[0].Values(), rm.Values(), rv.Values()
						w, b := vals(in, 1), vals(in, 2)
						want = make([]float32, len(x))
						for i := range x {
							ch := i / s % c
							o := (float64(x[i]) - float64(m[ch])) / math.Sqrt(float64(v[ch])+1e-5)
							if affine {
								o = o*float64(w[ch]) + float64(b[ch])
							}
							want[i] = float32(o)
						}
					}
					opClose(t, "value", y.Value.Values(), want, 1e-4)
					gradCheck(t, f, in, gradCheckOpts{step: 1e-3})
				})
			}
		}
	}
}

func TestBatchNormRunningStats(t *testing.T) {
	x := opRand(101, 4, 2, 3)
	rm := tensor.FromSlice([]float32{0.5, -1}, 2)
	rv := tensor.FromSlice([]float32{2, 1}, 2)
	(*Tape)(nil).BatchNorm(NewVar(x), nil, nil, rm, rv, 0.1, 1e-5, true)
	xv := x.Values()
	wantM, wantV := make([]float32, 2), make([]float32, 2)
	for ch, r := range [][2]float32{{0.5, 2}, {-1, 1}} {
		var v []float64
		for i := range 4 {
			for k := range 3 {
				v = append(v, float64(xv[(i*2+ch)*3+k]))
			}
		}
		m, va := refStats(v)
		wantM[ch] = float32(0.9*float64(r[0]) + 0.1*m)
		wantV[ch] = float32(0.9*float64(r[1]) + 0.1*va*12/11)
	}
	opClose(t, "running mean", rm.Values(), wantM, 1e-6)
	opClose(t, "running var", rv.Values(), wantV, 1e-6)
	// Eval mode leaves them alone.
	before := rm.Values()
	(*Tape)(nil).BatchNorm(NewVar(x), nil, nil, rm, rv, 0.1, 1e-5, false)
	opClose(t, "running mean after eval", rm.Values(), before, 0)
	opPanics(t, "nn: BatchNorm: input [1 2]: expected more than 1 value per channel when training", func() {
		(*Tape)(nil).BatchNorm(NewVar(tensor.Zeros(tensor.CPU{}, 1, 2)), nil, nil, nil, nil, 0.1, 1e-5, true)
	})
}

func TestGroupNorm(t *testing.T) {
	for _, tc := range []struct {
		xs     []int
		groups int
	}{
		{[]int{2, 4, 3}, 2},
		{[]int{2, 6, 2, 2}, 3},
		{[]int{1, 4, 5}, 1},
		{[]int{2, 3, 4}, 3}, // instance norm
	} {
		for _, affine := range []bool{true, false} {
			t.Run(fmt.Sprintf("%v/g=%d/affine=%v", tc.xs, tc.groups, affine), func(t *testing.T) {
				c := tc.xs[1]
				in := normInputs(111, tc.xs, c, affine)
				f := func(tp *Tape, in []*Var) *Var {
					w, b := wb(in)
					return tp.GroupNorm(in[0], w, b, tc.groups, 1e-5)
				}
				y := f(nil, []*Var{NewVar(in[0]), opVarOrNil(in, 1), opVarOrNil(in, 2)}[:len(in)])
				s := in[0].Numel() / (tc.xs[0] * c)
				want := refNorm(in[0].Values(), tc.xs[0], c, s, tc.groups, false, vals(in, 1), vals(in, 2), 1e-5)
				opClose(t, "value", y.Value.Values(), want, 1e-4)
				gradCheck(t, f, in, gradCheckOpts{step: 1e-3})
			})
		}
	}
	opPanics(t, "nn: GroupNorm: input [2 4 3]: 4 channels not divisible into 3 groups", func() {
		(*Tape)(nil).GroupNorm(NewVar(tensor.Zeros(tensor.CPU{}, 2, 4, 3)), nil, nil, 3, 1e-5)
	})
}

func TestInstanceNorm(t *testing.T) {
	in := normInputs(121, []int{2, 3, 2, 2}, 3, true)
	f := func(tp *Tape, in []*Var) *Var { return tp.InstanceNorm(in[0], in[1], in[2], 1e-5) }
	y := f(nil, []*Var{NewVar(in[0]), NewVar(in[1]), NewVar(in[2])})
	want := refNorm(in[0].Values(), 2, 3, 4, 3, false, in[1].Values(), in[2].Values(), 1e-5)
	opClose(t, "value", y.Value.Values(), want, 1e-4)
	gradCheck(t, f, in, gradCheckOpts{step: 1e-3})
}

func TestNormPartialAffine(t *testing.T) {
	x, v := opRand(131, 2, 4, 3), opRand(132, 4)
	for _, tc := range []struct {
		name string
		f    func(tp *Tape, x, v *Var) *Var
	}{
		{"layernorm-w", func(tp *Tape, x, v *Var) *Var { return tp.LayerNorm(tp.Transpose(x, 1, 2), v, nil, 1e-5) }},
		{"layernorm-b", func(tp *Tape, x, v *Var) *Var { return tp.LayerNorm(tp.Transpose(x, 1, 2), nil, v, 1e-5) }},
		{"batchnorm-w", func(tp *Tape, x, v *Var) *Var { return tp.BatchNorm(x, v, nil, nil, nil, 0.1, 1e-5, true) }},
		{"batchnorm-b", func(tp *Tape, x, v *Var) *Var { return tp.BatchNorm(x, nil, v, nil, nil, 0.1, 1e-5, true) }},
		{"groupnorm-w", func(tp *Tape, x, v *Var) *Var { return tp.GroupNorm(x, v, nil, 2, 1e-5) }},
		{"groupnorm-b", func(tp *Tape, x, v *Var) *Var { return tp.GroupNorm(x, nil, v, 2, 1e-5) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gradCheck(t, func(tp *Tape, in []*Var) *Var { return tc.f(tp, in[0], in[1]) },
				[]*tensor.Tensor{x, v}, gradCheckOpts{step: 1e-3})
		})
	}
}
