package nn_test

import (
	"fmt"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// Differentiate y = Σ x² with respect to x: the gradient is 2x.
func ExampleTape_Backward() {
	x := nn.NewLeaf(tensor.FromSlice([]float32{1, -2, 3}, 3))
	tp := nn.NewTape()
	y := tp.Sum(tp.Square(x))
	tp.Backward(y)
	fmt.Println(y.Value.Item(), x.Grad.Values())
	// Output: 14 [2 -4 6]
}

// A broadcast bias: its gradient sums the upstream gradient over the broadcast rows.
func ExampleTape_Add() {
	x := nn.NewVar(tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	b := nn.NewLeaf(tensor.FromSlice([]float32{10, 20, 30}, 3))
	tp := nn.NewTape()
	y := tp.Add(x, b)
	tp.Backward(tp.Sum(y))
	fmt.Println(y.Value.Values(), b.Grad.Values())
	// Output: [11 22 33 14 25 36] [2 2 2]
}

// Inference: a nil tape records nothing.
func ExampleTape_Linear() {
	x := nn.NewVar(tensor.FromSlice([]float32{1, 2}, 1, 2))
	w := nn.NewVar(tensor.FromSlice([]float32{1, 0, 0, 1, 1, 1}, 3, 2))
	b := nn.NewVar(tensor.FromSlice([]float32{0, 0, -3}, 3))
	var tp *nn.Tape
	fmt.Println(tp.Linear(x, w, b).Value.Values())
	// Output: [1 2 0]
}
