package nn

import (
	"fmt"
	"slices"

	"github.com/selfsup/selfsup/tensor"
)

// Var pairs a value with its gradient. Leaves are made with [NewVar] (constants) and
// [NewLeaf] (trainable); ops on a [Tape] return new Vars that require a gradient when
// any input does.
type Var struct {
	// Value is the forward value.
	Value *tensor.Tensor
	// Grad is ∂loss/∂Value after [Tape.Backward]: nil until some gradient reaches this
	// Var, then a contiguous tensor of Value's shape on Value's device.
	Grad *tensor.Tensor

	requiresGrad bool
	fromTape     bool // made by an op on a non-nil tape (an intermediate)
	retain       bool // keep Grad after Backward ([Tape.Retain])
	temp         bool // an op's private temporary ([Tape.keepTemp]): freed once the op's backward ran
	// node is the tape length when the Var was made: the op that made it records its
	// backward closure at index ≥ node, and every op reading it records later, so once
	// the closure at index node has run backward no longer needs the Var's gradient.
	node int
	// inputs are the Vars the op computed this one from (to spot a gradient buffer an
	// input adopted).
	inputs []*Var
	// spent are gradient contributions already added into Grad; Backward frees them once
	// the Var is done, Reset any left.
	spent []*tensor.Tensor
}

// NewVar wraps a constant: no gradient is computed for it.
func NewVar(v *tensor.Tensor) *Var { return &Var{Value: v} }

// NewLeaf wraps a value whose gradient [Tape.Backward] computes (a parameter or an
// input we differentiate with respect to).
func NewLeaf(v *tensor.Tensor) *Var { return &Var{Value: v, requiresGrad: true} }

// RequiresGrad reports whether gradients flow to this Var.
func (v *Var) RequiresGrad() bool { return v.requiresGrad }

// SetRequiresGrad turns gradient tracking of a leaf on or off (freezing a parameter).
func (v *Var) SetRequiresGrad(on bool) { v.requiresGrad = on }

// Shape returns the value's shape.
func (v *Var) Shape() []int { return v.Value.Shape() }

// Device returns the device of the value.
func (v *Var) Device() tensor.Device { return v.Value.Device() }

// ZeroGrad drops the accumulated gradient without freeing its memory (see [ZeroGrads],
// which frees it for a whole parameter list).
func (v *Var) ZeroGrad() { v.Grad = nil }

// Tape records differentiable ops in execution order so that [Tape.Backward] can run
// their backward closures in reverse. A nil *Tape is valid everywhere and means
// inference: ops compute values and record nothing (selfsup's no_grad, with no global
// flag). A Tape is not safe for concurrent use.
type Tape struct {
	backward []func()
	hook     func(name string, out *Var)
	// outputs are the intermediates made on this tape and leaves the Vars they were
	// computed from; Reset frees the intermediates' memory but never a leaf's.
	outputs []*Var
	leaves  map[*Var]struct{}
	// retained are the Vars passed to Retain; keepGrads (RetainGrads) keeps every
	// intermediate gradient and temporary until Reset, as before eager freeing.
	retained  []*Var
	keepGrads bool
	// released are the buffers Backward freed; Reset skips them. ran is set by a
	// Backward that freed memory: a second one before Reset would read freed buffers.
	released map[tensor.Buffer]bool
	ran      bool
}

// SetHook installs fn, which [Tape.Trace] calls with every traced module output (nil
// removes it). models.Summary uses it to learn each layer's output shape.
func (tp *Tape) SetHook(fn func(name string, out *Var)) { tp.hook = fn }

// Trace reports a named module output to the tape's hook, if any, and returns out
// unchanged. Models call it at layer boundaries with the layer's state_dict prefix.
// It is free on a nil tape or a tape without a hook.
func (tp *Tape) Trace(name string, out *Var) *Var {
	if tp != nil && tp.hook != nil {
		tp.hook(name, out)
	}
	return out
}

// Retain makes [Tape.Backward] keep the gradient of v, an intermediate (op output),
// in v.Grad until [Tape.Reset], like torch.Tensor.retain_grad; leaves always keep
// theirs. It returns v. On a nil tape it does nothing.
func (tp *Tape) Retain(v *Var) *Var {
	if tp != nil && v != nil && !v.retain {
		v.retain = true
		tp.retained = append(tp.retained, v)
	}
	return v
}

// RetainGrads sets whether [Tape.Backward] keeps every intermediate's gradient and
// every op temporary until [Tape.Reset] (on: the behaviour before eager freeing, for
// gradient checks and debugging; it costs the memory of all those gradients). Off, the
// default, frees each as soon as backward no longer needs it.
func (tp *Tape) RetainGrads(on bool) { tp.keepGrads = on }

// NewTape returns an empty tape.
func NewTape() *Tape { return &Tape{} }

// Len returns the number of recorded ops.
func (tp *Tape) Len() int {
	if tp == nil {
		return 0
	}
	return len(tp.backward)
}

// Reset forgets every recorded op and frees (through [tensor.Device.Free]) the memory
// of every intermediate made on the tape since the last Reset — op outputs, their
// gradients and [Tape.Const] values — except buffers shared with a leaf (a parameter or
// input, or its gradient). Copy any intermediate you still need (a loss value, a
// prediction) before calling Reset: a freed buffer goes back to the device's allocator
// (the CPU buffer cache too), and any later use of a tensor over it panics.
func (tp *Tape) Reset() {
	if tp == nil {
		return
	}
	clear(tp.backward)
	tp.backward = tp.backward[:0]
	tp.ran = false
	keep := map[tensor.Buffer]bool{}
	for v := range tp.leaves {
		keep[v.Value.Buffer()] = true
		if v.Grad != nil {
			keep[v.Grad.Buffer()] = true
		}
	}
	freed := tp.released // freed by Backward already
	if freed == nil {
		freed = map[tensor.Buffer]bool{}
	}
	tp.released = nil
	release := func(t *tensor.Tensor) {
		if t == nil {
			return
		}
		b := t.Buffer()
		if keep[b] || freed[b] {
			return
		}
		freed[b] = true
		b.Device().Free(b)
	}
	for v := range tp.leaves {
		for _, g := range v.spent {
			release(g)
		}
		v.spent = nil
	}
	for _, v := range tp.outputs {
		release(v.Value)
		release(v.Grad)
		for _, g := range v.spent {
			release(g)
		}
		v.spent = nil
		v.inputs = nil
	}
	clear(tp.outputs)
	clear(tp.retained)
	tp.retained = tp.retained[:0]
	tp.outputs = tp.outputs[:0]
	clear(tp.leaves)
}

// Const wraps a constant computed during the forward pass (a mask, a target, an index
// tensor) so that [Tape.Reset] frees it with the intermediates. On a nil tape it is
// [NewVar].
func (tp *Tape) Const(t *tensor.Tensor) *Var {
	v := &Var{Value: t}
	if tp != nil {
		v.fromTape = true
		v.node = len(tp.backward)
		tp.outputs = append(tp.outputs, v)
	}
	return v
}

// Backward computes the gradients of the scalar loss (a one-element Var) with respect to
// every Var that requires a gradient and was used to compute it, accumulating them
// into the Grad fields of the leaves (parameters, inputs) and of the intermediates
// passed to [Tape.Retain]. As in PyTorch, the gradient of any other intermediate is
// freed as soon as backward has propagated it to the op's inputs (its Grad is nil
// afterwards), and so are the op's private temporaries; [Tape.RetainGrads] keeps them
// all. Op outputs' values and [Tape.Const] values stay until [Tape.Reset], which must be
// called before the next step; a second Backward before it panics.
func (tp *Tape) Backward(loss *Var) {
	if loss.Value.Numel() != 1 {
		panic(fmt.Sprintf("nn: Backward: loss has shape %v, want one element (use BackwardWith)", loss.Shape()))
	}
	seed := tensor.Full(loss.Device(), 1, loss.Shape()...)
	tp.BackwardWith(loss, seed) // copies the seed (accumulateShared)
	seed.Device().Free(seed.Buffer())
}

// BackwardWith runs backward from out with the upstream gradient grad (out's shape),
// i.e. it computes the gradients of Σ out·grad.
func (tp *Tape) BackwardWith(out *Var, grad *tensor.Tensor) {
	if tp == nil {
		panic("nn: Backward on a nil (inference) tape")
	}
	if !out.Value.SameShape(grad) {
		panic(fmt.Sprintf("nn: BackwardWith: output %v, gradient %v: shapes differ", out.Shape(), grad.Shape()))
	}
	if !out.requiresGrad {
		panic("nn: Backward: output does not depend on any Var that requires a gradient")
	}
	if tp.ran {
		panic("nn: Backward: the tape already ran backward and freed its intermediate gradients; call Reset first (or RetainGrads(true) before the first Backward)")
	}
	accumulateShared(out, grad)
	j := len(tp.outputs) - 1 // outputs[j+1:] are done
	for i := len(tp.backward) - 1; i >= 0; i-- {
		tp.backward[i]()
		if tp.keepGrads {
			continue
		}
		// Every Var made at tape length ≥ i has had its gradient propagated.
		for ; j >= 0 && tp.outputs[j].node >= i; j-- {
			tp.done(tp.outputs[j])
		}
	}
	if !tp.keepGrads && len(tp.backward) > 0 {
		tp.ran = true
	}
}

// needsGrad reports whether an op with these inputs must be recorded.
func (tp *Tape) needsGrad(inputs ...*Var) bool {
	if tp == nil {
		return false
	}
	for _, v := range inputs {
		if v != nil && v.requiresGrad {
			return true
		}
	}
	return false
}

// result wraps an op's output value; it requires a gradient when the op is recorded.
func (tp *Tape) result(value *tensor.Tensor, inputs ...*Var) *Var {
	v := &Var{Value: value, requiresGrad: tp.needsGrad(inputs...)}
	if tp == nil {
		return v
	}
	v.fromTape = true
	v.node = len(tp.backward)
	if v.requiresGrad {
		v.inputs = slices.Clone(inputs)
	}
	tp.outputs = append(tp.outputs, v)
	if tp.leaves == nil {
		tp.leaves = map[*Var]struct{}{}
	}
	for _, in := range inputs {
		if in != nil && !in.fromTape {
			tp.leaves[in] = struct{}{}
		}
	}
	return v
}

// record appends a backward closure. The closure must return at once when its output's
// Grad is nil (no gradient reached it).
func (tp *Tape) record(fn func()) { tp.backward = append(tp.backward, fn) }

// accumulate adds g to v.Grad. When v has no gradient yet, v adopts g itself: g must be
// a fresh contiguous tensor that nothing else writes to later. Vars that do not require
// a gradient ignore it.
func accumulate(v *Var, g *tensor.Tensor) {
	if v == nil || !v.requiresGrad {
		return
	}
	if !v.Value.SameShape(g) {
		panic(fmt.Sprintf("nn: gradient %v for value %v: shapes differ", g.Shape(), v.Shape()))
	}
	if v.Grad == nil {
		v.Grad = g.Contiguous()
		return
	}
	v.Grad.Device().Binary(tensor.Add, v.Grad, v.Grad, g)
	v.spent = append(v.spent, g) // freed by the tape's next Reset
}

// accumulateBroadcast adds g, a broadcast view (Expand) of a smaller tensor that the
// caller keeps and frees, to v's gradient in one pass: a fresh copy when v has none,
// else an add in place.
func accumulateBroadcast(v *Var, g *tensor.Tensor) {
	if v == nil || !v.requiresGrad {
		return
	}
	if !v.Value.SameShape(g) {
		panic(fmt.Sprintf("nn: gradient %v for value %v: shapes differ", g.Shape(), v.Shape()))
	}
	dev := g.Device()
	if v.Grad == nil {
		v.Grad = tensor.New(dev, g.Shape()...)
		dev.CopyStrided(v.Grad, g)
		return
	}
	dev.Binary(tensor.Add, v.Grad, v.Grad, g)
}

// accumulateShared is accumulate for a g that is also used elsewhere (an upstream
// gradient passed through unchanged): it copies g instead of adopting it.
func accumulateShared(v *Var, g *tensor.Tensor) {
	if v == nil || !v.requiresGrad {
		return
	}
	if v.Grad == nil {
		accumulate(v, g.Clone())
		return
	}
	if !v.Value.SameShape(g) {
		panic(fmt.Sprintf("nn: gradient %v for value %v: shapes differ", g.Shape(), v.Shape()))
	}
	v.Grad.Device().Binary(tensor.Add, v.Grad, v.Grad, g)
}
