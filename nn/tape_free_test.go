package nn

import (
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// probe returns x unchanged through an op whose backward closure (the last to run when
// probe is the first op recorded) calls at.
func probe(tp *Tape, x *Var, at func()) *Var {
	out := tp.result(x.Value.Clone(), x)
	tp.record(func() {
		at()
		if out.Grad != nil {
			accumulateShared(x, out.Grad)
		}
	})
	return out
}

// freeNet builds loss = Σ (ReLU(x·w)·s)² on tp with chain scalings in between, where x
// and w are leaves on dev; mid is the ReLU output. at runs in the backward closure of
// the first op.
func freeNet(tp *Tape, dev tensor.Device, chain int, at func()) (loss, mid, x, w *Var) {
	rng := tensor.NewRNG(3)
	x = NewLeaf(tensor.RandNormal(dev, rng, 0, 1, 32, 48))
	w = NewLeaf(tensor.RandNormal(dev, rng, 0, 1, 48, 64))
	h := tp.MatMul(probe(tp, x, at), w, false, false)
	mid = tp.ReLU(h)
	h = mid
	for range chain {
		h = tp.Scale(h, 0.9)
	}
	return tp.Sum(tp.Mul(h, h)), mid, x, w
}

func TestBackwardFreesIntermediateGradients(t *testing.T) {
	const chain = 8
	type run struct {
		gx, gw, gmid []float32
		midGradNil   bool
		liveAtEnd    int // live elements when the first op's closure runs
		liveAfter    int // after Backward
	}
	do := func(t *testing.T, keepAll, retain bool) run {
		dev := tensor.NewTrackingCPU()
		tp := NewTape()
		tp.RetainGrads(keepAll)
		var r run
		loss, mid, x, w := freeNet(tp, dev, chain, func() { _, r.liveAtEnd = dev.Live() })
		if retain {
			tp.Retain(mid)
		}
		tp.Backward(loss)
		_, r.liveAfter = dev.Live()
		r.gx, r.gw = x.Grad.Values(), w.Grad.Values()
		r.midGradNil = mid.Grad == nil
		if mid.Grad != nil {
			r.gmid = mid.Grad.Values()
		}
		tp.Reset()
		ZeroGrads([]Param{{Var: x}, {Var: w}})
		free(x.Value)
		free(w.Value)
		if n, e := dev.Live(); n != 0 {
			t.Fatalf("%d buffers (%d elements) live after Reset", n, e)
		}
		return r
	}
	keep := do(t, true, false)
	eager := do(t, false, false)
	kept := do(t, false, true)
	t.Run("same gradients", func(t *testing.T) {
		if !slices.Equal(eager.gx, keep.gx) || !slices.Equal(eager.gw, keep.gw) {
			t.Fatal("leaf gradients differ between eager freeing and RetainGrads")
		}
		if !slices.Equal(kept.gmid, keep.gmid) || !slices.Equal(kept.gx, keep.gx) {
			t.Fatal("Retain: the intermediate's gradient differs from RetainGrads'")
		}
	})
	t.Run("intermediate grads", func(t *testing.T) {
		if keep.midGradNil || !eager.midGradNil || kept.midGradNil {
			t.Fatalf("mid.Grad nil: RetainGrads %v, default %v, Retain %v; want false, true, false",
				keep.midGradNil, eager.midGradNil, kept.midGradNil)
		}
	})
	t.Run("memory", func(t *testing.T) {
		// Every [32, 64] gradient of the chain is freed before the first op's closure.
		if saved := keep.liveAtEnd - eager.liveAtEnd; saved < (chain-1)*32*64 {
			t.Fatalf("live elements at the end of backward: %d eager, %d keeping all: saved %d, want ≥ %d",
				eager.liveAtEnd, keep.liveAtEnd, saved, (chain-1)*32*64)
		}
		if eager.liveAfter >= keep.liveAfter {
			t.Fatalf("live elements after Backward: %d eager, %d keeping all", eager.liveAfter, keep.liveAfter)
		}
	})
}

func TestBackwardTwiceBeforeReset(t *testing.T) {
	for _, keepAll := range []bool{false, true} {
		t.Run(map[bool]string{false: "eager", true: "RetainGrads"}[keepAll], func(t *testing.T) {
			tp := NewTape()
			tp.RetainGrads(keepAll)
			loss, _, _, _ := freeNet(tp, tensor.CPU{}, 2, func() {})
			tp.Backward(loss)
			msg := func() (msg string) {
				defer func() {
					if r := recover(); r != nil {
						msg, _ = r.(string)
					}
				}()
				tp.Backward(loss)
				return ""
			}()
			if keepAll != (msg == "") || (!keepAll && !strings.Contains(msg, "Reset")) {
				t.Fatalf("second Backward: panic %q", msg)
			}
			tp.Reset()
			loss, _, x, _ := freeNet(tp, tensor.CPU{}, 2, func() {})
			tp.Backward(loss) // fine after Reset
			if x.Grad == nil {
				t.Fatal("no gradient after Reset and Backward")
			}
		})
	}
}

// TestBackwardKeepsAdoptedGradient checks that a gradient buffer an input adopted
// (here a view op whose closure hands the input a view of its own gradient) is not
// freed with the op's gradient: TrackingCPU panics on any use of a freed buffer and on
// the double free Reset would then do.
func TestBackwardKeepsAdoptedGradient(t *testing.T) {
	dev := tensor.NewTrackingCPU()
	rng := tensor.NewRNG(5)
	w := NewLeaf(tensor.RandNormal(dev, rng, 0, 1, 4, 6))
	tp := NewTape()
	x := tp.Scale(w, 2)                         // an intermediate
	view := tp.result(x.Value.Reshape(6, 4), x) // a view op that adopts
	tp.record(func() { accumulate(x, view.Grad.Reshape(4, 6)) })
	loss := tp.Sum(tp.Mul(view, view))
	tp.Backward(loss)
	want := w.Value.Values()
	for i := range want {
		want[i] *= 8 // ∂/∂w Σ (2w)² = 8w
	}
	if got := w.Grad.Values(); !slices.Equal(got, want) {
		t.Fatalf("w.Grad = %v, want %v", got, want)
	}
	tp.Reset()
	ZeroGrads([]Param{{Var: w}})
	free(w.Value)
	if n, _ := dev.Live(); n != 0 {
		t.Fatalf("%d buffers live after Reset", n)
	}
}
