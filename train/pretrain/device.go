package pretrain

import (
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// inferTape returns the tape an inference pass runs on: a fresh one, so that its Reset
// frees the pass's intermediates (back to the device's allocator; on the CPU, its buffer
// cache), which a nil tape would leave to the garbage collector, or allocated on a GPU.
// The model is in eval mode and no input requires a gradient, so nothing is recorded.
func inferTape(tensor.Device) *nn.Tape { return nn.NewTape() }

// freeUpload frees up, a device copy of the host tensor host made with To, unless To
// returned host itself.
func freeUpload(up, host *tensor.Tensor) {
	if up != nil && up != host {
		up.Device().Free(up.Buffer())
	}
}

// held keeps tensors that must stay valid until the next call of whatever returned
// them (a batch, a validation loss) and frees them then.
type held []*tensor.Tensor

// release frees the held tensors and empties h.
func (h *held) release() {
	for _, t := range *h {
		t.Device().Free(t.Buffer())
	}
	*h = (*h)[:0]
}

// copyOf returns a contiguous copy of t on its device.
func copyOf(t *tensor.Tensor) *tensor.Tensor {
	c := tensor.New(t.Device(), t.Shape()...)
	c.CopyFrom(t)
	return c
}
