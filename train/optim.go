package train

import (
	"fmt"
	"slices"
	"strings"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// OptimizerKind names an optimisation algorithm (BiaPy's TRAIN.OPTIMIZER).
type OptimizerKind string

// The optimisers BiaPy offers.
const (
	SGD   OptimizerKind = "SGD"   // torch.optim.SGD, momentum 0.9, Nesterov (timm's "sgd")
	Adam  OptimizerKind = "ADAM"  // torch.optim.Adam, L2 weight decay added to the gradient
	AdamW OptimizerKind = "ADAMW" // torch.optim.AdamW, decoupled weight decay
)

// OptimizerOptions configure [NewOptimizer]. The zero value of each field means BiaPy's
// default (TRAIN.* keys, timm's create_optimizer_v2 behaviour).
type OptimizerOptions struct {
	Kind        OptimizerKind // SGD (default), ADAM or ADAMW; case-insensitive
	LR          float64       // initial learning rate (TRAIN.LR; 1e-4 when 0)
	WeightDecay float64       // TRAIN.W_DECAY (0 means none; config supplies BiaPy's 0.02)
	Beta1       float64       // Adam β1 (0.9 when 0)
	Beta2       float64       // Adam β2 (0.999 when 0)
	Eps         float64       // Adam ε (1e-8 when 0)
	Momentum    float64       // SGD momentum (0.9 when 0)
	// NoNesterov turns Nesterov momentum off for SGD (timm's "sgd" uses Nesterov).
	NoNesterov bool
	// NoDecay lists extra parameter names excluded from weight decay (the model's
	// no_weight_decay() set in timm). Biases ("….bias") and parameters of rank ≤ 1 are
	// always excluded, as timm's param_groups_weight_decay does.
	NoDecay []string
}

// Optimizer updates a fixed list of trainable parameters from their gradients. It
// keeps per-parameter state (Adam moments, SGD momentum buffer, step count) on the
// parameters' device; [Optimizer.State] and [Optimizer.SetState] export and restore it
// for checkpoints. Parameters whose Grad is nil at a step are skipped, as PyTorch does.
type Optimizer struct {
	kind      OptimizerKind
	params    []nn.Param
	decay     []bool // weight decay applies to params[i]
	lr        float64
	wd        float64
	beta1     float64 // Adam β1, or SGD momentum
	beta2     float64
	eps       float64
	nesterov  bool
	state     []paramState
	stepCount int // optimiser steps taken (Step calls)
}

// paramState is one parameter's optimiser state.
type paramState struct {
	step   int            // updates applied to this parameter
	m, v   *tensor.Tensor // Adam first and second moments; SGD momentum buffer in m
	s1, s2 *tensor.Tensor // scratch, not saved
}

// NewOptimizer returns an optimizer for params (usually nn.Trainables(model.Params())).
// It panics on an unknown kind, a negative rate or duplicate parameter names.
func NewOptimizer(params []nn.Param, o OptimizerOptions) *Optimizer {
	kind := OptimizerKind(strings.ToUpper(string(o.Kind)))
	if kind == "" {
		kind = SGD
	}
	if kind != SGD && kind != Adam && kind != AdamW {
		panic(fmt.Sprintf("train: NewOptimizer: unknown optimizer %q (want SGD, ADAM or ADAMW)", o.Kind))
	}
	if o.LR < 0 || o.WeightDecay < 0 {
		panic(fmt.Sprintf("train: NewOptimizer: lr %g, weight decay %g: must be ≥ 0", o.LR, o.WeightDecay))
	}
	opt := &Optimizer{
		kind:     kind,
		params:   slices.Clone(params),
		lr:       or(o.LR, 1e-4),
		wd:       o.WeightDecay,
		beta2:    or(o.Beta2, 0.999),
		eps:      or(o.Eps, 1e-8),
		nesterov: kind == SGD && !o.NoNesterov,
		state:    make([]paramState, len(params)),
		decay:    make([]bool, len(params)),
	}
	if kind == SGD {
		opt.beta1 = or(o.Momentum, 0.9)
	} else {
		opt.beta1 = or(o.Beta1, 0.9)
	}
	seen := map[string]bool{}
	for i, p := range params {
		if seen[p.Name] {
			panic(fmt.Sprintf("train: NewOptimizer: parameter %q listed twice", p.Name))
		}
		seen[p.Name] = true
		opt.decay[i] = Decays(p.Name, p.Value.Shape(), o.NoDecay)
	}
	return opt
}

// Decays reports whether weight decay applies to the parameter name of this shape:
// not for rank ≤ 1 tensors (biases, norm weights), names ending in "bias", or names in
// noDecay (timm's param_groups_weight_decay).
func Decays(name string, shape []int, noDecay []string) bool {
	return len(shape) > 1 && name != "bias" && !strings.HasSuffix(name, ".bias") && !slices.Contains(noDecay, name)
}

func or(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// Kind returns the algorithm.
func (o *Optimizer) Kind() OptimizerKind { return o.kind }

// Params returns the parameters the optimizer updates.
func (o *Optimizer) Params() []nn.Param { return o.params }

// LR returns the current learning rate.
func (o *Optimizer) LR() float64 { return o.lr }

// SetLR sets the learning rate used by the next steps (schedulers call it).
func (o *Optimizer) SetLR(lr float64) { o.lr = lr }

// Momentum returns the SGD momentum or the Adam β1.
func (o *Optimizer) Momentum() float64 { return o.beta1 }

// SetMomentum sets the SGD momentum or the Adam β1 (one-cycle momentum cycling).
func (o *Optimizer) SetMomentum(m float64) { o.beta1 = m }

// Steps returns the number of optimisation steps taken.
func (o *Optimizer) Steps() int { return o.stepCount }

// ZeroGrad drops every parameter's gradient and frees its memory (nn.ZeroGrads), so
// GPU training does not grow by a model's worth of gradients per step.
func (o *Optimizer) ZeroGrad() { nn.ZeroGrads(o.params) }

// Step applies one update to every parameter that has a gradient, with the current
// learning rate, in PyTorch's float32 order of operations.
func (o *Optimizer) Step() {
	o.stepCount++
	for i, p := range o.params {
		if p.Grad == nil {
			continue
		}
		wd := 0.0
		if o.decay[i] {
			wd = o.wd
		}
		st := &o.state[i]
		st.step++
		switch o.kind {
		case AdamW:
			o.adamStep(p, st, float32(wd), 0)
		case Adam:
			o.adamStep(p, st, 0, float32(wd))
		default:
			o.sgdStep(p, st, float32(wd))
		}
	}
}

// adamStep runs the fused AdamW kernel with decoupled decay wd, after adding the L2
// term l2·p to the gradient (torch.optim.Adam's weight_decay).
func (o *Optimizer) adamStep(p nn.Param, st *paramState, wd, l2 float32) {
	dev := p.Value.Device()
	if st.m == nil {
		st.m = tensor.Zeros(dev, p.Value.Shape()...)
		st.v = tensor.Zeros(dev, p.Value.Shape()...)
	}
	g := p.Grad
	if l2 != 0 {
		s := scratch(&st.s1, p.Value)
		dev.Affine(s, p.Value, l2, 0)
		dev.Binary(tensor.Add, s, g, s)
		g = s
	}
	dev.AdamW(p.Value, g, st.m, st.v, tensor.AdamWParams{
		LR: float32(o.lr), Beta1: float32(o.beta1), Beta2: float32(o.beta2),
		Eps: float32(o.eps), WeightDecay: wd, Step: st.step,
	})
}

// sgdStep is torch.optim.SGD's single-tensor step (dampening 0):
//
//	d ← g + wd·p;  buf ← d (first step) or μ·buf + d;  d ← d + μ·buf (Nesterov) or buf
//	p ← p − lr·d
func (o *Optimizer) sgdStep(p nn.Param, st *paramState, wd float32) {
	dev := p.Value.Device()
	mu := float32(o.beta1)
	d := p.Grad
	if wd != 0 {
		s := scratch(&st.s1, p.Value)
		dev.Affine(s, p.Value, wd, 0)
		dev.Binary(tensor.Add, s, d, s)
		d = s
	}
	if mu != 0 {
		if st.m == nil {
			st.m = d.Clone()
		} else {
			dev.Affine(st.m, st.m, mu, 0)
			dev.Binary(tensor.Add, st.m, st.m, d)
		}
		if o.nesterov {
			s := scratch(&st.s2, p.Value)
			dev.Affine(s, st.m, mu, 0)
			dev.Binary(tensor.Add, s, d, s)
			d = s
		} else {
			d = st.m
		}
	}
	s := scratch(&st.s2, p.Value)
	dev.Affine(s, d, float32(-o.lr), 0)
	dev.Binary(tensor.Add, p.Value, p.Value, s)
}

// scratch returns *t, allocating it like like when nil.
func scratch(t **tensor.Tensor, like *tensor.Tensor) *tensor.Tensor {
	if *t == nil {
		*t = tensor.New(like.Device(), like.Shape()...)
	}
	return *t
}
