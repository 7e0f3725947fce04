package nn

import "github.com/selfsup/selfsup/tensor"

// This file holds the helpers that return the temporaries of the ops to their device
// ([tensor.Device.Free]: back to the CPU buffer cache or the GPU's caching allocator;
// any later use of the buffer panics), so that a training step leaves no memory behind
// once the tape is reset, and the eager freeing of gradients during [Tape.Backward].

// free releases the buffer of t, a temporary nothing refers to any more (nil: nothing).
func free(t *tensor.Tensor) {
	if t != nil {
		t.Device().Free(t.Buffer())
	}
}

// freeCopy frees c when it is a copy of orig (as made by Contiguous or reduceTo), not
// orig itself or a view of it.
func freeCopy(c, orig *tensor.Tensor) {
	if c != nil && !sharesBuffer(c, orig) {
		free(c)
	}
}

// keepTemp arranges for tmp, a tensor the op made from orig (a Contiguous copy, a mask)
// that its backward closure may read, to be freed: once that closure has run during
// [Tape.Backward] (or at the tape's next Reset) when the op is recorded, at once
// otherwise. It must be called before the op records its closure. Nothing happens when
// tmp is orig's buffer (orig nil: tmp is always the op's own).
func (tp *Tape) keepTemp(tmp, orig *tensor.Tensor, recorded bool) {
	if tmp == nil || (orig != nil && sharesBuffer(tmp, orig)) {
		return
	}
	if recorded {
		tp.Const(tmp).temp = true
		return
	}
	free(tmp)
}

// done frees what Backward no longer needs of v once every backward closure that reads
// it has run: v's gradient (unless v is retained) and the contributions already added
// into it, the gradient contributions spent into v's leaf inputs, and v's value when v
// is an op temporary. A buffer some live gradient still uses (an input adopted v's
// gradient, a retained Var shares it) is left to Reset.
func (tp *Tape) done(v *Var) {
	if v.temp {
		tp.release(v, v.Value)
		v.Value = nil
		return
	}
	if v.Grad != nil && !v.retain {
		tp.release(v, v.Grad)
		v.Grad = nil
	}
	for _, g := range v.spent {
		tp.release(v, g)
	}
	v.spent = nil
	for _, in := range v.inputs {
		if in == nil || in.fromTape || len(in.spent) == 0 {
			continue
		}
		for _, g := range in.spent {
			tp.release(v, g)
		}
		in.spent = nil
	}
}

// release frees t's buffer unless it was freed already or a live gradient uses it: the
// gradient of one of v's inputs or of a retained Var (or v's own when v is retained).
func (tp *Tape) release(v *Var, t *tensor.Tensor) {
	b := t.Buffer()
	if tp.released[b] {
		return
	}
	for _, in := range v.inputs {
		if in != nil && in.Grad != nil && in.Grad.Buffer() == b {
			return
		}
	}
	for _, r := range tp.retained {
		if r.Grad != nil && r.Grad.Buffer() == b {
			return
		}
	}
	if tp.released == nil {
		tp.released = map[tensor.Buffer]bool{}
	}
	tp.released[b] = true
	b.Device().Free(b)
}
