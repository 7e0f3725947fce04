package nn_test

import (
	"fmt"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// A Linear layer maps the last axis; with a tape, Backward fills the parameter
// gradients.
func ExampleLinear() {
	rng := tensor.NewRNG(0)
	lin := nn.NewLinear(16, 24, true, rng)
	x := nn.NewVar(tensor.RandNormal(tensor.CPU{}, rng, 0, 1, 2, 9, 16))

	tp := nn.NewTape()
	y := lin.Forward(tp, x)
	tp.Backward(tp.Mean(y))
	fmt.Println(y.Shape())
	for _, p := range lin.Params() {
		fmt.Println(p.Name, p.Shape(), p.Grad.Shape())
	}
	// Output:
	// [2 9 24]
	// weight [24 16] [24 16]
	// bias [24] [24]
}

// A convolution stack in eval mode, run without a tape (inference).
func ExampleSequential() {
	rng := tensor.NewRNG(0)
	net := nn.NewSequential(
		nn.NewConv(nn.ConvConfig{In: 1, Out: 8, Kernel: []int{3, 3}, Padding: []int{1}}, rng),
		nn.NewBatchNorm(8, nn.BatchNormOptions{}),
		nn.ELU{Alpha: 1},
		nn.MaxPool{Kernel: []int{2, 2}},
	)
	nn.SetTraining(net, false)
	x := nn.NewVar(tensor.RandUniform(tensor.CPU{}, rng, 0, 1, 2, 1, 32, 32))
	fmt.Println(net.Forward(nil, x).Shape())
	for _, p := range net.Params() {
		fmt.Println(p.Name, p.Shape())
	}
	// Output:
	// [2 8 16 16]
	// 0.weight [8 1 3 3]
	// 0.bias [8]
	// 1.weight [8]
	// 1.bias [8]
	// 1.running_mean [8]
	// 1.running_var [8]
	// 1.num_batches_tracked []
}

// A ViT transformer block keeps the token shape [B, L, D].
func ExampleBlock() {
	rng := tensor.NewRNG(0)
	blk := nn.NewBlock(nn.BlockOptions{Dim: 64, Heads: 4, Eps: 1e-6}, rng)
	x := nn.NewVar(tensor.RandNormal(tensor.CPU{}, rng, 0, 1, 2, 17, 64))
	fmt.Println(blk.Forward(nil, x).Shape())
	fmt.Println(nn.CountParams(blk.Params()))
	// Output:
	// [2 17 64]
	// 49984
}
