package train

import (
	"math"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// refParam is a float64 reference copy of one parameter and its optimiser state.
type refParam struct {
	name  string
	shape []int
	p     []float64
	m, v  []float64
	buf   []float64 // SGD momentum buffer (nil before the first step)
	step  int
}

// testParams returns four parameters covering the weight-decay rules: a matrix (decays),
// a bias, a 1-D norm weight and a listed no-decay token.
func testParams() []nn.Param {
	mk := func(name string, vals []float32, shape ...int) nn.Param {
		return nn.Param{Name: name, Var: nn.NewLeaf(tensor.FromSlice(vals, shape...))}
	}
	return []nn.Param{
		mk("0.weight", []float32{0.5, -1.25, 2, 0.75, -0.3, 1.1}, 2, 3),
		mk("0.bias", []float32{0.2, -0.4}, 2),
		mk("norm.weight", []float32{1, 0.9, 1.2}, 3),
		mk("cls_token", []float32{0.05, -0.07, 0.3}, 1, 1, 3),
	}
}

// gradAt is the deterministic gradient of element j of parameter k at step t.
func gradAt(k, j, t int) float64 {
	return math.Sin(float64(1+k*7+j*3+t*11)) * 0.8
}

// referenceStep applies one PyTorch-formula step in float64.
func referenceStep(kind OptimizerKind, r *refParam, g []float64, lr, wd, b1, b2, eps, mu float64, nesterov bool) {
	r.step++
	t := float64(r.step)
	switch kind {
	case AdamW, Adam:
		if r.m == nil {
			r.m, r.v = make([]float64, len(r.p)), make([]float64, len(r.p))
		}
		for i := range r.p {
			gi := g[i]
			if kind == Adam {
				gi += wd * r.p[i]
			} else {
				r.p[i] *= 1 - lr*wd
			}
			r.m[i] = b1*r.m[i] + (1-b1)*gi
			r.v[i] = b2*r.v[i] + (1-b2)*gi*gi
			mhat := r.m[i] / (1 - math.Pow(b1, t))
			den := math.Sqrt(r.v[i])/math.Sqrt(1-math.Pow(b2, t)) + eps
			r.p[i] -= lr * mhat / den
		}
	case SGD:
		d := make([]float64, len(r.p))
		for i := range r.p {
			d[i] = g[i] + wd*r.p[i]
		}
		if r.buf == nil {
			r.buf = append([]float64(nil), d...)
		} else {
			for i := range d {
				r.buf[i] = mu*r.buf[i] + d[i]
			}
		}
		for i := range r.p {
			di := r.buf[i]
			if nesterov {
				di = d[i] + mu*r.buf[i]
			}
			r.p[i] -= lr * di
		}
	}
}

func TestOptimizersMatchReference(t *testing.T) {
	cases := []struct {
		name string
		o    OptimizerOptions
		lrs  []float64 // learning rate at each step (schedulers change it)
	}{
		{"sgd nesterov", OptimizerOptions{Kind: SGD, LR: 0.1, WeightDecay: 0.02, NoDecay: []string{"cls_token"}}, []float64{0.1, 0.1, 0.05, 0.02}},
		{"sgd plain momentum", OptimizerOptions{Kind: "sgd", LR: 0.1, WeightDecay: 0.05, NoNesterov: true, Momentum: 0.8}, []float64{0.1, 0.2, 0.1}},
		{"adam l2", OptimizerOptions{Kind: Adam, LR: 1e-2, WeightDecay: 0.1, NoDecay: []string{"cls_token"}}, []float64{1e-2, 1e-2, 5e-3, 1e-3}},
		{"adamw", OptimizerOptions{Kind: AdamW, LR: 1e-2, WeightDecay: 0.5, NoDecay: []string{"cls_token"}}, []float64{1e-2, 2e-2, 5e-3, 1e-3, 1e-2}},
		{"adamw betas", OptimizerOptions{Kind: "adamw", LR: 3e-3, WeightDecay: 0.05, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6}, []float64{3e-3, 3e-3, 3e-3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := testParams()
			opt := NewOptimizer(ps, c.o)
			refs := make([]*refParam, len(ps))
			for k, p := range ps {
				r := &refParam{name: p.Name, shape: p.Shape()}
				for _, v := range p.Value.Data() {
					r.p = append(r.p, float64(v))
				}
				refs[k] = r
			}
			kind := opt.Kind()
			b1, b2, eps, mu := or(c.o.Beta1, 0.9), or(c.o.Beta2, 0.999), or(c.o.Eps, 1e-8), or(c.o.Momentum, 0.9)
			for step, lr := range c.lrs {
				opt.SetLR(lr)
				for k, p := range ps {
					g := make([]float32, p.Value.Numel())
					g64 := make([]float64, len(g))
					for j := range g {
						g[j] = float32(gradAt(k, j, step))
						g64[j] = float64(g[j])
					}
					p.Grad = tensor.FromSlice(g, p.Shape()...)
					wd := c.o.WeightDecay
					if !Decays(p.Name, p.Shape(), c.o.NoDecay) {
						wd = 0
					}
					referenceStep(kind, refs[k], g64, lr, wd, b1, b2, eps, mu, !c.o.NoNesterov)
				}
				opt.Step()
				opt.ZeroGrad()
				for k, p := range ps {
					for j, v := range p.Value.Data() {
						want := refs[k].p[j]
						if d := math.Abs(float64(v) - want); d > 2e-6*math.Max(1, math.Abs(want)) {
							t.Fatalf("step %d %s[%d] = %.8g, want %.8g", step+1, p.Name, j, v, want)
						}
					}
				}
			}
			if opt.Steps() != len(c.lrs) {
				t.Errorf("Steps() = %d, want %d", opt.Steps(), len(c.lrs))
			}
		})
	}
}

func TestDecays(t *testing.T) {
	cases := []struct {
		name  string
		shape []int
		want  bool
	}{
		{"conv.weight", []int{4, 3, 3, 3}, true},
		{"fc.weight", []int{4, 3}, true},
		{"fc.bias", []int{4}, false},
		{"norm.weight", []int{4}, false},
		{"bias", []int{4}, false},
		{"attn.qkv.bias", []int{1, 4}, false},
		{"cls_token", []int{1, 1, 4}, false}, // listed below
		{"pos_embed", []int{1, 4, 8}, true},
		{"scale", []int{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Decays(c.name, c.shape, []string{"cls_token"}); got != c.want {
				t.Errorf("Decays(%q, %v) = %v, want %v", c.name, c.shape, got, c.want)
			}
		})
	}
}

func TestOptimizerSkipsNilGrad(t *testing.T) {
	ps := testParams()
	opt := NewOptimizer(ps, OptimizerOptions{Kind: AdamW, LR: 0.1, WeightDecay: 0.1})
	before := ps[0].Value.Clone().Data()
	ps[1].Grad = tensor.Full(tensor.CPU{}, 1, 2)
	opt.Step()
	for j, v := range ps[0].Value.Data() {
		if v != before[j] {
			t.Fatalf("parameter without gradient changed: %v → %v", before, ps[0].Value.Data())
		}
	}
	st := opt.State()
	if len(st.ParamSteps) != 1 || st.ParamSteps["0.bias"] != 1 || len(st.Tensors) != 2 {
		t.Errorf("state after one partial step: %+v", st)
	}
}

// runSteps performs n steps of deterministic gradients starting at step offset.
func runSteps(opt *Optimizer, ps []nn.Param, offset, n int) {
	for s := offset; s < offset+n; s++ {
		for k, p := range ps {
			g := make([]float32, p.Value.Numel())
			for j := range g {
				g[j] = float32(gradAt(k, j, s))
			}
			p.Grad = tensor.FromSlice(g, p.Shape()...)
		}
		opt.Step()
		opt.ZeroGrad()
	}
}

func TestOptimizerStateRoundTrip(t *testing.T) {
	for _, kind := range []OptimizerKind{SGD, Adam, AdamW} {
		t.Run(string(kind), func(t *testing.T) {
			o := OptimizerOptions{Kind: kind, LR: 0.05, WeightDecay: 0.1}
			a := testParams()
			optA := NewOptimizer(a, o)
			runSteps(optA, a, 0, 3)
			b := testParams()
			for k := range b {
				b[k].Value.CopyFrom(a[k].Value)
			}
			optB := NewOptimizer(b, o)
			st := optA.State()
			copied := st
			copied.Tensors = map[string]*tensor.Tensor{}
			for k, v := range st.Tensors {
				copied.Tensors[k] = v.Clone()
			}
			if err := optB.SetState(copied); err != nil {
				t.Fatal(err)
			}
			runSteps(optA, a, 3, 2)
			runSteps(optB, b, 3, 2)
			for k := range a {
				av, bv := a[k].Value.Data(), b[k].Value.Data()
				for j := range av {
					if av[j] != bv[j] {
						t.Fatalf("%s[%d]: %v after restore, %v uninterrupted", a[k].Name, j, bv[j], av[j])
					}
				}
			}
		})
	}
}

func TestOptimizerSetStateErrors(t *testing.T) {
	good := func() OptimizerState {
		ps := testParams()
		opt := NewOptimizer(ps, OptimizerOptions{Kind: AdamW})
		runSteps(opt, ps, 0, 1)
		return opt.State()
	}
	cases := []struct {
		name   string
		change func(s *OptimizerState)
		want   string
	}{
		{"kind", func(s *OptimizerState) { s.Kind = SGD }, "optimizer state is for SGD, this optimizer is ADAMW"},
		{"unknown param", func(s *OptimizerState) { s.ParamSteps["head.weight"] = 1 }, `parameter "head.weight", which the model does not train`},
		{"missing tensor", func(s *OptimizerState) { delete(s.Tensors, "0.bias/exp_avg_sq") }, `missing tensor "0.bias/exp_avg_sq"`},
		{"shape", func(s *OptimizerState) { s.Tensors["0.weight/exp_avg"] = tensor.Zeros(tensor.CPU{}, 3, 2) }, `"0.weight/exp_avg" has shape [3 2], parameter has [2 3]`},
		{"extra tensor", func(s *OptimizerState) { s.Tensors["0.weight/momentum_buffer"] = tensor.Zeros(tensor.CPU{}, 2, 3) }, `unexpected tensor "0.weight/momentum_buffer"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := good()
			c.change(&s)
			ps := testParams()
			opt := NewOptimizer(ps, OptimizerOptions{Kind: AdamW})
			err := opt.SetState(s)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("SetState error %v, want it to contain %q", err, c.want)
			}
			if opt.Steps() != 0 || len(opt.State().Tensors) != 0 {
				t.Error("a failed SetState changed the optimizer")
			}
		})
	}
}

func TestNewOptimizerPanics(t *testing.T) {
	cases := []struct {
		name string
		ps   []nn.Param
		o    OptimizerOptions
	}{
		{"unknown kind", testParams(), OptimizerOptions{Kind: "LAMB"}},
		{"negative lr", testParams(), OptimizerOptions{LR: -1}},
		{"duplicate", append(testParams(), testParams()[0]), OptimizerOptions{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(r.(string), "train: NewOptimizer") {
					t.Errorf("panic %v, want a train: NewOptimizer message", r)
				}
			}()
			NewOptimizer(c.ps, c.o)
		})
	}
}
