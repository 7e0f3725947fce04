package models

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/tensor/safetensors"
)

// smallUNet returns a 2-D U-Net with feature maps [4, 8, 16] drawn from seed.
func smallUNet(t testing.TB, seed uint64) *UNet {
	t.Helper()
	m, err := NewUNet(UNetOptions{FeatureMaps: []int{4, 8, 16}}, tensor.NewRNG(seed))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSaveLoadWeights saves a model with modified buffers, loads the file into a
// model with other weights and checks that every state_dict entry is equal.
func TestSaveLoadWeights(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.safetensors")
	a := smallUNet(t, 1)
	// one train-mode forward changes the BatchNorm buffers
	a.Forward(nil, nn.NewVar(tensor.RandUniform(tensor.CPU{}, tensor.NewRNG(5), 0, 1, 2, 1, 16, 16)))
	if err := SaveWeights(path, a, map[string]string{"architecture": "unet"}); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["architecture"] != "unet" || len(f.Tensors) != len(a.Params()) {
		t.Fatalf("metadata %v, %d tensors, want %d", f.Metadata, len(f.Tensors), len(a.Params()))
	}
	b := smallUNet(t, 2)
	if err := LoadWeights(path, b); err != nil {
		t.Fatal(err)
	}
	pb := b.Params()
	for i, p := range a.Params() {
		if p.Name != pb[i].Name || !slices.Equal(p.Value.Values(), pb[i].Value.Values()) {
			t.Errorf("%s differs after the round trip", p.Name)
		}
	}
	if n := a.Down[0].Blocks[0].Block.Layers[1].(*nn.BatchNorm).NumBatchesTracked.Value.Values()[0]; n != 1 {
		t.Errorf("num_batches_tracked %v, want 1", n)
	}
}

// TestLoadWeightsErrors checks that mismatching and corrupt files give errors that
// name the file, the key and the shapes, and leave the model untouched.
func TestLoadWeightsErrors(t *testing.T) {
	dir := t.TempDir()
	src := smallUNet(t, 1)
	sd := nn.StateDict(src.Params())
	write := func(name string, edit func(map[string]*tensor.Tensor)) string {
		m := map[string]*tensor.Tensor{}
		for k, v := range sd {
			m[k] = v
		}
		edit(m)
		path := filepath.Join(dir, name)
		if err := safetensors.WriteFile(path, m, nil); err != nil {
			t.Fatal(err)
		}
		return path
	}
	corrupt := filepath.Join(dir, "corrupt.safetensors")
	if err := os.WriteFile(corrupt, []byte("\x10\x00\x00\x00\x00\x00\x00\x00{not json}      "), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		path string
		want []string
	}{
		{"missing", write("missing.safetensors", func(m map[string]*tensor.Tensor) { delete(m, "last_block.bias") }),
			[]string{"missing.safetensors", "missing key last_block.bias", "[1]"}},
		{"shape", write("shape.safetensors", func(m map[string]*tensor.Tensor) {
			m["bottleneck.block.0.block.0.weight"] = tensor.Zeros(tensor.CPU{}, 16, 8, 3, 1)
		}), []string{"shape.safetensors", "bottleneck.block.0.block.0.weight", "file shape [16 8 3 1]", "model shape [16 8 3 3]"}},
		{"unexpected", write("extra.safetensors", func(m map[string]*tensor.Tensor) { m["head.weight"] = tensor.Zeros(tensor.CPU{}, 2) }),
			[]string{"extra.safetensors", "unexpected key head.weight [2]"}},
		{"corrupt", corrupt, []string{"corrupt.safetensors"}},
		{"absent", filepath.Join(dir, "none.safetensors"), []string{"none.safetensors"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := smallUNet(t, 9)
			before := m.Params()[0].Value.Values()
			err := LoadWeights(tc.path, m)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !slices.Equal(m.Params()[0].Value.Values(), before) {
				t.Error("a failed load modified the model")
			}
		})
	}
}

// TestSummary checks the rows, the totals, that BatchNorm buffers are unchanged and
// that a rejected input shape is an error.
func TestSummary(t *testing.T) {
	m := smallUNet(t, 1)
	bn := m.Down[0].Blocks[0].Block.Layers[1].(*nn.BatchNorm)
	mean := bn.RunningMean.Value.Values()
	s, err := Summary(m, []int{2, 1, 32, 32})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"down_path.0", "[2, 4, 32, 32]", "mpooling_layers.1", "[2, 8, 8, 8]", "bottleneck", "[2, 16, 8, 8]",
		"up_path.1", "last_block", "[2, 1, 32, 32]", "Total params: 7,581", "Trainable params: 7,581", "Non-trainable params: 0"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	if !slices.Equal(bn.RunningMean.Value.Values(), mean) || bn.NumBatchesTracked.Value.Values()[0] != 0 {
		t.Error("Summary changed the BatchNorm buffers")
	}
	nn.SetTrainable(m.Down[0], false)
	s, err = Summary(m, []int{1, 1, 16, 16})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s, "Non-trainable params: 204") {
		t.Errorf("frozen first level not counted as non-trainable:\n%s", s)
	}
	if _, err := Summary(m, []int{1, 1, 18, 16}); err == nil || !strings.Contains(err.Error(), "not divisible") {
		t.Errorf("error %v for an indivisible input", err)
	}
	if _, err := Summary(m, []int{1, 0, 16, 16}); err == nil {
		t.Error("no error for a zero dimension")
	}
}

// A U-Net summary: one row per block output, named by state_dict prefix.
func ExampleSummary() {
	m, err := NewUNet(UNetOptions{FeatureMaps: []int{4, 8, 16}}, tensor.NewRNG(1))
	if err != nil {
		panic(err)
	}
	s, err := Summary(m, []int{1, 1, 16, 16})
	if err != nil {
		panic(err)
	}
	fmt.Print(s)
	// Output:
	// ====================================================
	// Layer (state_dict prefix)   Output shape     Param #
	// ====================================================
	// down_path.0                 [1, 4, 16, 16]       204
	// mpooling_layers.0           [1, 4, 8, 8]          --
	// down_path.1                 [1, 8, 8, 8]         912
	// mpooling_layers.1           [1, 8, 4, 4]          --
	// bottleneck                  [1, 16, 4, 4]      3,552
	// up_path.0                   [1, 8, 8, 8]       2,312
	// up_path.1                   [1, 4, 16, 16]       596
	// last_block                  [1, 1, 16, 16]         5
	// ====================================================
	// Input shape: [1, 1, 16, 16]
	// Output shape: [1, 1, 16, 16]
	// Total params: 7,581
	// Trainable params: 7,581
	// Non-trainable params: 0
	// Buffer values: 196
	// ====================================================
}
