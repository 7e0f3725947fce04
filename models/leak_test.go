package models

import (
	"strings"
	"testing"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// TestModelsDoNotLeak trains small models for five steps on a tracking device (every
// Alloc counted until Free) and checks that the live memory after Backward, an AdamW
// update, nn.ZeroGrads and Tape.Reset is the same after steps 2 to 5: what a GPU
// training loop needs to run in constant memory.
func TestModelsDoNotLeak(t *testing.T) {
	rng := tensor.NewRNG(1)
	cases := []struct {
		name  string
		build func() (nn.Module, error)
		in    []int
	}{
		{"unet", func() (nn.Module, error) { return NewUNet(UNetOptions{FeatureMaps: []int{4, 8}}, rng) }, []int{2, 1, 16, 16}},
		{"rcan", func() (nn.Module, error) {
			return NewRCAN(RCANOptions{Filters: 16, Groups: 1, RCABs: 1}, rng)
		}, []int{2, 1, 8, 8}},
		{"edsr", func() (nn.Module, error) { return NewEDSR(EDSROptions{Filters: 4, ResBlocks: 1}, rng) }, []int{2, 1, 8, 8}},
		{"wdsr", func() (nn.Module, error) { return NewWDSR(WDSROptions{Filters: 4, ResBlocks: 1}, rng) }, []int{2, 1, 8, 8}},
		{"dfcan", func() (nn.Module, error) { return NewDFCAN(DFCANOptions{ResGroups: 1, RCABs: 1}, rng) }, []int{2, 1, 8, 8}},
		{"unetr", func() (nn.Module, error) {
			return NewUNETR(UNETROptions{ImageSize: 16, PatchSize: 8, EmbedDim: 16, Depth: 2, NumHeads: 2, HiddMult: 1, NumFilters: 4}, rng)
		}, []int{2, 1, 16, 16}},
		{"mae", func() (nn.Module, error) {
			return NewMAE(MAEOptions{ImgSize: 16, PatchSize: 4, EmbedDim: 16, Depth: 1, Heads: 2,
				DecoderDim: 8, DecoderDepth: 1, DecoderHeads: 2, NormPixLoss: true}, rng)
		}, []int{2, 1, 16, 16}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := c.build()
			if err != nil {
				t.Fatal(err)
			}
			dev := tensor.NewTrackingCPU()
			nn.MoveTo(m, dev)
			nn.SetTraining(m, true)
			x := nn.NewVar(tensor.RandNormal(dev, rng, 0, 1, c.in...))
			step := func(tp *nn.Tape) *nn.Var {
				if mae, ok := m.(*MAE); ok {
					loss, _, _ := mae.ForwardLoss(tp, x, nil)
					return loss
				}
				y := m.Forward(tp, x)
				return tp.MSELoss(y, tp.Const(tensor.Zeros(dev, y.Shape()...)))
			}
			leakSteps(t, dev, m.Params(), step)
		})
	}
}

// leakSteps runs five training steps of step (forward + loss) on dev: Backward, one
// AdamW update per trainable parameter (moments allocated once), ZeroGrads and Reset,
// and fails unless dev's live memory is the same after steps 2 to 5. On failure it
// lists the allocation sites of the buffers steps 3 to 5 left behind.
func leakSteps(t *testing.T, dev *tensor.TrackingCPU, params []nn.Param, step func(tp *nn.Tape) *nn.Var) {
	t.Helper()
	ps := nn.Trainables(params)
	moments := make([][2]*tensor.Tensor, len(ps))
	for i, p := range ps {
		moments[i] = [2]*tensor.Tensor{tensor.Zeros(dev, p.Shape()...), tensor.Zeros(dev, p.Shape()...)}
	}
	tp := nn.NewTape()
	var live [6][2]int
	for s := 1; s <= 5; s++ {
		if s == 3 {
			dev.TraceAllocs(true)
		}
		loss := step(tp)
		tp.Backward(loss)
		h := tensor.AdamWParams{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Step: s}
		for i, p := range ps {
			if p.Grad != nil {
				dev.AdamW(p.Value, p.Grad, moments[i][0], moments[i][1], h)
			}
		}
		nn.ZeroGrads(params)
		tp.Reset()
		live[s][0], live[s][1] = dev.Live()
	}
	dev.TraceAllocs(false)
	for s := 3; s <= 5; s++ {
		if live[s] != live[2] {
			t.Fatalf("live memory grows: (buffers, elements) after steps 1–5: %v\nleft behind by steps 3–5:\n  %s",
				live[1:], strings.Join(dev.LiveSites(), "\n  "))
		}
	}
}
