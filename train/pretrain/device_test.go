package pretrain

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/models"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train"
)

// TestRunOnDeviceFreesTemporaries runs whole jobs on tensor.TrackingCPU, a device
// with explicit memory like a GPU: the results must match the CPU run's (the
// tracking device takes some generic kernel paths, so up to rounding), and after Run
// only the model's parameters and the optimizer's state may stay allocated (batches,
// validation passes and test-phase predictions all freed).
func TestRunOnDeviceFreesTemporaries(t *testing.T) {
	crappify := func(root string, dev tensor.Device) (Options, func() []nn.Param) {
		o := crappifyOptions(root, 2)
		var m nn.Module
		o.NewModel = func(rng *tensor.RNG) (nn.Module, error) {
			var err error
			m, err = unetBuilder(2)(rng)
			return m, err
		}
		o.Device = dev
		return o, func() []nn.Param { return m.Params() }
	}
	masking := func(root string, dev tensor.Device) (Options, func() []nn.Param) {
		m, err := models.NewMAE(models.MAEOptions{ImgSize: 16, PatchSize: 4, EmbedDim: 16, Depth: 1, Heads: 2,
			MLPRatio: 2, DecoderDim: 16, DecoderDepth: 1, DecoderHeads: 2, MaskType: "random"}, tensor.NewRNG(1))
		if err != nil {
			t.Fatal(err)
		}
		return Options{
			Model: m, Device: dev,
			Data: DataOptions{TrainDir: filepath.Join(root, "data", "train"), TestDir: filepath.Join(root, "data", "test"),
				Patch: []int{16, 16, 1}, ValSplit: 0.25},
			Train:     TrainOptions{Enable: true, Epochs: 2, BatchSize: 2, Optimizer: train.OptimizerOptions{Kind: train.AdamW, LR: 1e-3}},
			Test:      TestOptions{Enable: true},
			Paths:     PathOptions{ResultDir: filepath.Join(root, "out"), Name: "mae", RunID: 1},
			MAEChecks: 1,
			Log:       quiet(),
		}, func() []nn.Param { return m.Params() }
	}
	for _, tc := range []struct {
		name string
		opts func(root string, dev tensor.Device) (Options, func() []nn.Param)
	}{{"crappify", crappify}, {"masking", masking}} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			makeData(t, root)
			if tc.name == "masking" {
				writeImages(t, filepath.Join(root, "data", "train"), 4, data.Float32, 16, 16, 1)
			}
			o, _ := tc.opts(root, tensor.CPU{})
			want, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			dev := tensor.NewTrackingCPU()
			dev.TraceAllocs(true)
			defer func() {
				if t.Failed() {
					for _, l := range dev.LiveSites() {
						t.Log("live:", l)
					}
				}
			}()
			o, params := tc.opts(t.TempDir(), dev)
			o.Data.TrainDir, o.Data.TestDir = filepath.Join(root, "data", "train"), filepath.Join(root, "data", "test")
			got, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range want.Metrics {
				if g := got.Metrics[k]; math.Abs(float64(g-v)) > 1e-2*math.Max(1, math.Abs(float64(v))) {
					t.Errorf("test %s on the tracking device %v, on the CPU %v", k, g, v)
				}
			}
			if g, v := got.BestValLoss, want.BestValLoss; math.Abs(float64(g-v)) > 1e-2*math.Abs(float64(v)) {
				t.Errorf("best validation loss on the tracking device %v, on the CPU %v", got.BestValLoss, want.BestValLoss)
			}
			ps := params()
			trainable := len(nn.Trainables(ps))
			// Each parameter and buffer, and AdamW's two moments per trainable tensor;
			// plus one per parameter and buffer that train.LoadWeights (restoring the
			// best weights) uploads and does not free — train's, not this package's.
			limit := 2*len(ps) + 2*trainable
			if n, _ := dev.Live(); n > limit {
				t.Errorf("%d buffers live after Run, want at most %d (%d parameters and buffers, %d trainable)", n, limit, len(ps), trainable)
			}
		})
	}
}
