package models

import (
	"slices"
	"testing"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// trainStepCases holds, per benchmark name ("unet_2d", "mae_3d", …), a constructor for a
// small configuration of the model and a function computing the training loss of one
// batch on a tape. Each architecture's test file registers its entries in an init
// function.
var trainStepCases = map[string]func() (m nn.Module, loss func(tp *nn.Tape) *nn.Var){}

// BenchmarkTrainStep measures one training step (forward, loss, backward and an AdamW
// update of every trainable parameter) per registered model, so speed work has a
// baseline: go test -run XXX -bench TrainStep ./models/ (with the cuda tag and
// DEVICE=cuda, on the GPU: the model is moved there and each step waits for the GPU).
func BenchmarkTrainStep(b *testing.B) {
	names := make([]string, 0, len(trainStepCases))
	for name := range trainStepCases {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			defer failOnPanic(b)
			m, loss := trainStepCases[name]()
			nn.MoveTo(m, testDevice)
			nn.SetTraining(m, true)
			params := nn.Trainables(m.Params())
			moments := make([][2]*tensor.Tensor, len(params))
			for i, p := range params {
				moments[i] = [2]*tensor.Tensor{tensor.Zeros(testDevice, p.Shape()...), tensor.Zeros(testDevice, p.Shape()...)}
			}
			tp := nn.NewTape()
			step := 0
			for b.Loop() {
				step++
				tp.Reset()
				freeGrads(params)
				tp.Backward(loss(tp))
				for i, p := range params {
					if p.Grad == nil {
						continue
					}
					p.Device().AdamW(p.Value, p.Grad, moments[i][0], moments[i][1], tensor.AdamWParams{
						LR: 1e-4, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.05, Step: step})
				}
				syncDevice(testDevice)
			}
		})
	}
}

// freeGrads releases the gradients of ps (each buffer once: gradients may share one)
// and drops them, so that a GPU's caching allocator reuses their memory in the next
// step; Tape.Reset never frees a leaf's gradient. On the CPU, Free does nothing.
func freeGrads(ps []nn.Param) {
	nn.ZeroGrads(ps)
}
