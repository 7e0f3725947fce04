package nn

import (
	"slices"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// TestResetKeepsLeavesAndFreesIntermediates checks what Reset releases: every op output
// and Const made on the tape, never a leaf's value or gradient (even when a view op
// made an intermediate share a leaf's buffer).
func TestResetKeepsLeavesAndFreesIntermediates(t *testing.T) {
	w := NewLeaf(tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	x := NewVar(tensor.FromSlice([]float32{1, -1, 2}, 3, 1))
	tp := NewTape()
	wv := tp.Reshape(w, 3, 2) // a view of the leaf's buffer
	y := tp.MatMul(tp.Transpose(wv, 0, 1), x, false, false)
	c := tp.Const(tensor.Full(tensor.CPU{}, 2, 2, 1))
	loss := tp.Sum(tp.Mul(y, c))
	tp.Backward(loss)
	gradBefore := w.Grad.Values()
	if len(tp.outputs) == 0 || len(tp.leaves) == 0 {
		t.Fatalf("tape tracked %d outputs and %d leaves", len(tp.outputs), len(tp.leaves))
	}
	if _, ok := tp.leaves[w]; !ok {
		t.Fatal("the parameter is not recorded as a leaf")
	}
	tp.Reset()
	if tp.Len() != 0 || len(tp.outputs) != 0 || len(tp.leaves) != 0 {
		t.Fatalf("after Reset: %d ops, %d outputs, %d leaves", tp.Len(), len(tp.outputs), len(tp.leaves))
	}
	if !slices.Equal(w.Grad.Values(), gradBefore) || w.Value.Values()[5] != 6 {
		t.Fatal("Reset changed a leaf's value or gradient")
	}
	// The tape is reusable after Reset.
	tp.Backward(tp.Sum(tp.Mul(w, w)))
	if w.Grad.Values()[0] != gradBefore[0]+2 {
		t.Fatalf("second backward: grad[0] = %v, want %v", w.Grad.Values()[0], gradBefore[0]+2)
	}
}
