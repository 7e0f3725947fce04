package nn

import "github.com/selfsup/selfsup/tensor"

// This file holds the helpers that return the temporaries of the ops to their device
// ([tensor.Device.Free]: a no-op on the CPU, back to the caching allocator on a GPU),
// so that a training step leaves no memory behind once the tape is reset.

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
// that its backward closure may read, to be freed: at the tape's next Reset when the
// op is recorded, at once otherwise. Nothing happens when tmp is orig's buffer (orig
// nil: tmp is always the op's own).
func (tp *Tape) keepTemp(tmp, orig *tensor.Tensor, recorded bool) {
	if tmp == nil || (orig != nil && sharesBuffer(tmp, orig)) {
		return
	}
	if recorded {
		tp.Const(tmp)
		return
	}
	free(tmp)
}
