package pretrain

import (
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// onHost reports whether dev is the plain CPU, whose buffers the garbage collector
// reclaims (its Free does nothing). Other devices (a GPU, tensor.TrackingCPU) need
// every temporary freed explicitly.
func onHost(dev tensor.Device) bool {
	_, ok := dev.(tensor.CPU)
	return ok
}

// inferTape returns the tape an inference pass on dev runs on: nil (nothing recorded)
// on the plain CPU; elsewhere a fresh tape, so that its Reset frees the pass's
// intermediates, which a nil tape would leave allocated. The model is in eval mode
// either way, so the values are the same.
func inferTape(dev tensor.Device) *nn.Tape {
	if onHost(dev) {
		return nil
	}
	return nn.NewTape()
}

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
