package train

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// ckptNet returns a small model with parameters and BatchNorm buffers.
func ckptNet(seed uint64) *nn.Sequential {
	rng := tensor.NewRNG(seed)
	bn := nn.NewBatchNorm(3, nn.BatchNormOptions{})
	bn.RunningMean.Value = tensor.RandNormal(tensor.CPU{}, rng, 0, 1, 3)
	return nn.NewSequential(nn.NewLinear(4, 3, true, rng), bn, nn.NewLinear(3, 2, false, rng))
}

// savedNet writes a checkpoint of a trained-looking ckptNet and its AdamW state.
func savedNet(t *testing.T, path string) (*nn.Sequential, *Optimizer) {
	t.Helper()
	m := ckptNet(1)
	opt := NewOptimizer(nn.Trainables(m.Params()), OptimizerOptions{Kind: AdamW, LR: 0.01, WeightDecay: 0.1})
	for _, p := range opt.Params() {
		p.Grad = tensor.Full(tensor.CPU{}, 0.5, p.Shape()...)
	}
	opt.Step()
	info := CheckpointInfo{Which: "last", Epoch: 3, Batch: 0, GlobalStep: 1, Config: "TRAIN:\n  EPOCHS: 5\n",
		Metadata: map[string]string{"name": "n"}, BestValLoss: 0.25, RNG: map[string][]byte{"train": tensor.NewRNG(3).State()}}
	if err := SaveCheckpoint(path, m.Params(), opt, info); err != nil {
		t.Fatal(err)
	}
	return m, opt
}

func TestCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := CheckpointPath(dir, "run_1", "last")
	if !strings.HasSuffix(path, "run_1-checkpoint-last.safetensors") || SideCarPath(path) != strings.TrimSuffix(path, "safetensors")+"json" {
		t.Fatalf("paths %s, %s", path, SideCarPath(path))
	}
	m, opt := savedNet(t, path)
	c, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked", "2.weight"}
	if len(c.Model) != len(want) {
		t.Errorf("model entries %d, want %d", len(c.Model), len(want))
	}
	for _, n := range want {
		if _, ok := c.Model[n]; !ok {
			t.Errorf("state_dict lacks %q", n)
		}
	}
	if _, ok := c.Optimizer["0.weight/exp_avg_sq"]; !ok || len(c.Optimizer) != 2*5 {
		t.Errorf("optimizer tensors: %d entries", len(c.Optimizer))
	}
	if c.Info.Epoch != 3 || c.Info.Config == "" || c.Info.Metadata["name"] != "n" || c.Info.BestValLoss != 0.25 ||
		c.Info.Version == "" || c.Info.Optimizer.Kind != AdamW || c.Info.Optimizer.ParamSteps["2.weight"] != 1 || len(c.Info.RNG["train"]) == 0 {
		t.Errorf("side-car info %+v", c.Info)
	}

	m2 := ckptNet(2)
	opt2 := NewOptimizer(nn.Trainables(m2.Params()), OptimizerOptions{Kind: AdamW, LR: 0.5, WeightDecay: 0.1})
	if err := c.LoadWeights(m2.Params()); err != nil {
		t.Fatal(err)
	}
	if err := c.LoadOptimizer(opt2); err != nil {
		t.Fatal(err)
	}
	for k, p := range m.Params() {
		a, b := p.Value.Values(), m2.Params()[k].Value.Values()
		for j := range a {
			if a[j] != b[j] {
				t.Fatalf("%s[%d] = %v after loading, want %v", p.Name, j, b[j], a[j])
			}
		}
	}
	if opt2.LR() != opt.LR() || opt2.Steps() != 1 {
		t.Errorf("optimizer after loading: lr %g steps %d", opt2.LR(), opt2.Steps())
	}
	// LoadWeights on the file alone ignores the optimizer entries.
	m3 := ckptNet(3)
	if err := LoadWeights(path, m3.Params()); err != nil {
		t.Fatal(err)
	}
}

func TestCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	path := CheckpointPath(dir, "e_1", "best")
	savedNet(t, path)
	other := CheckpointPath(dir, "e_1", "last")
	savedNet(t, other)

	cases := []struct {
		name  string
		setup func(t *testing.T) string // returns the path to read
		load  func(c *Checkpoint) error
		want  string
	}{
		{"missing file", func(*testing.T) string { return dir + "/none.safetensors" }, nil, "no such file"},
		{"truncated", func(t *testing.T) string {
			p := dir + "/trunc.safetensors"
			b, _ := os.ReadFile(path)
			os.WriteFile(p, b[:len(b)-7], 0o644)
			s, _ := os.ReadFile(SideCarPath(path))
			os.WriteFile(SideCarPath(p), s, 0o644)
			return p
		}, nil, "trunc.safetensors"},
		{"missing side-car", func(t *testing.T) string {
			p := dir + "/alone.safetensors"
			b, _ := os.ReadFile(path)
			os.WriteFile(p, b, 0o644)
			return p
		}, nil, "side-car"},
		{"side-car of another save", func(t *testing.T) string {
			p := dir + "/mixed.safetensors"
			b, _ := os.ReadFile(path)
			os.WriteFile(p, b, 0o644)
			s, _ := os.ReadFile(SideCarPath(other))
			os.WriteFile(SideCarPath(p), s, 0o644)
			return p
		}, nil, "belongs to another save"},
		{"corrupt side-car", func(t *testing.T) string {
			p := dir + "/badjson.safetensors"
			b, _ := os.ReadFile(path)
			os.WriteFile(p, b, 0o644)
			os.WriteFile(SideCarPath(p), []byte("{\"epoch\": "), 0o644)
			return p
		}, nil, "badjson.json"},
		{"shape mismatch", func(*testing.T) string { return path }, func(c *Checkpoint) error {
			m := nn.NewSequential(nn.NewLinear(4, 5, true, tensor.NewRNG(1)), nn.NewBatchNorm(3, nn.BatchNormOptions{}), nn.NewLinear(3, 2, false, tensor.NewRNG(1)))
			return c.LoadWeights(m.Params())
		}, `"0.weight" has shape [3 4] in the file, [5 4] in the model`},
		{"missing and unexpected", func(*testing.T) string { return path }, func(c *Checkpoint) error {
			m := nn.NewSequential(nn.NewLinear(4, 3, true, tensor.NewRNG(1)), nn.NewBatchNorm(3, nn.BatchNormOptions{}), nn.NewLinear(3, 2, true, tensor.NewRNG(1)))
			return c.LoadWeights(m.Params())
		}, `does not match the model: missing "2.bias"`},
		{"unexpected listed", func(*testing.T) string { return path }, func(c *Checkpoint) error {
			return c.LoadWeights(ckptNet(1).Params()[:2])
		}, `unexpected "1.bias"; unexpected "1.num_batches_tracked"`},
		{"optimizer kind", func(*testing.T) string { return path }, func(c *Checkpoint) error {
			return c.LoadOptimizer(NewOptimizer(nn.Trainables(ckptNet(1).Params()), OptimizerOptions{Kind: SGD}))
		}, "optimizer state is for ADAMW, this optimizer is SGD"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.setup(t)
			ck, err := ReadCheckpoint(p)
			if err == nil && c.load != nil {
				err = c.load(ck)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestCheckpointLoadLeavesModelOnError(t *testing.T) {
	dir := t.TempDir()
	path := CheckpointPath(dir, "x_1", "last")
	savedNet(t, path)
	m := ckptNet(5)
	m.Layers = m.Layers[:2] // "2.weight" becomes unexpected
	before := m.Params()[0].Value.Values()
	if err := LoadWeights(path, m.Params()); err == nil {
		t.Fatal("loading into a smaller model succeeded")
	}
	for j, v := range m.Params()[0].Value.Values() {
		if v != before[j] {
			t.Fatal("a failed load changed the model")
		}
	}
}

func TestCheckpointSideCarIsJSON(t *testing.T) {
	dir := t.TempDir()
	path := CheckpointPath(dir, "j_1", "last")
	savedNet(t, path)
	b, err := os.ReadFile(SideCarPath(path))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"selfsup_version", "epoch", "global_step", "optimizer", "early_stopping", "best_val_loss", "rng", "time", "config"} {
		if _, ok := m[k]; !ok {
			t.Errorf("side-car lacks %q:\n%s", k, b)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("directory holds %d files, want the checkpoint and its side-car (no temporaries)", len(entries))
	}
}
