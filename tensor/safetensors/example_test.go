package safetensors_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/tensor/safetensors"
)

func ExampleWriteFile() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "weights.safetensors")

	weights := map[string]*tensor.Tensor{
		"conv.weight": tensor.FromSlice([]float32{1, 2, 3, 4}, 1, 1, 2, 2),
		"conv.bias":   tensor.Scalar(0.5),
	}
	if err := safetensors.WriteFile(path, weights, map[string]string{"epoch": "3"}); err != nil {
		log.Fatal(err)
	}

	f, err := safetensors.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range f.Order {
		t := f.Tensors[name]
		fmt.Println(name, f.DTypes[name], t.Shape(), t.Values())
	}
	fmt.Println("epoch", f.Metadata["epoch"])
	// Output:
	// conv.bias F32 [] [0.5]
	// conv.weight F32 [1 1 2 2] [1 2 3 4]
	// epoch 3
}
