package segment

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/models"
	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
	"github.com/selfsup/selfsup/train"
	"github.com/selfsup/selfsup/train/pretrain"
)

// writeDisks writes n size×size uint8 images of bright disks (class 1) and, with
// squares, bright squares (class 2) on a noisy dark background into dir/raw, and
// their labels into dir/label: binary masks {0, 255} or class ids.
func writeDisks(t *testing.T, dir string, n, size int, seed uint64, squares bool) {
	t.Helper()
	for _, sub := range []string{"raw", "label"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rng := tensor.NewRNG(seed)
	for k := range n {
		img := data.NewImage(data.Uint8, size, size, 1)
		lbl := data.NewImage(data.Uint8, size, size, 1)
		for range 3 {
			cy, cx := 8+rng.IntN(size-16), 8+rng.IntN(size-16)
			r := 4 + rng.IntN(4)
			sq := squares && rng.Float64() < 0.5
			for y := range size {
				for x := range size {
					dy, dx := y-cy, x-cx
					in := dy*dy+dx*dx <= r*r
					if sq {
						in = max(abs(dy), abs(dx)) <= r
					}
					if !in {
						continue
					}
					switch {
					case sq:
						lbl.Data[y*size+x] = 2
					case squares:
						lbl.Data[y*size+x] = 1
					default:
						lbl.Data[y*size+x] = 255
					}
				}
			}
		}
		for i := range img.Data {
			v := 40 + 30*rng.Float64()
			switch lbl.Data[i] {
			case 0:
			case 2:
				v += 180
			default:
				v += 100
			}
			img.Data[i] = float32(math.Round(v))
		}
		name := fmt.Sprintf("img%02d.tif", k)
		if err := data.WriteTIFF(filepath.Join(dir, "raw", name), img, data.TIFFOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := data.WriteTIFF(filepath.Join(dir, "label", name), lbl, data.TIFFOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// quiet returns a logger that discards everything.
func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// unet builds a tiny U-Net with out output channels.
func unet(rng *tensor.RNG, out int) (nn.Module, error) {
	return models.NewUNet(models.UNetOptions{FeatureMaps: []int{8, 16}, OutChannels: out}, rng)
}

// segOptions returns a small job on the data under root.
func segOptions(root string, classes, epochs int) Options {
	d := filepath.Join(root, "data")
	return Options{
		NewModel: unet,
		Classes:  classes,
		Data: DataOptions{
			TrainDir: filepath.Join(d, "train", "raw"), TrainLabelDir: filepath.Join(d, "train", "label"),
			ValSplit: 0.25, TestDir: filepath.Join(d, "test", "raw"), TestLabelDir: filepath.Join(d, "test", "label"),
			Patch: []int{24, 24, 1},
		},
		Augment: data.AugmentOptions{DAProb: 0.5, VFlip: true, HFlip: true, Rot90: true},
		Train: TrainOptions{Enable: true, Epochs: epochs, BatchSize: 4, Seed: 3, ChartFreq: 1,
			Optimizer: train.OptimizerOptions{Kind: train.AdamW, LR: 5e-3}},
		Test:  TestOptions{Enable: true, Overlap: []float64{0.5, 0.5}},
		Paths: PathOptions{ResultDir: filepath.Join(root, "out"), Name: "seg", RunID: 1, ConfigText: "PROBLEM:\n  TYPE: SEMANTIC_SEG\n"},
		Log:   quiet(),
	}
}

func makeDisks(t *testing.T, root string, squares bool) {
	writeDisks(t, filepath.Join(root, "data", "train"), 4, 48, 1, squares)
	writeDisks(t, filepath.Join(root, "data", "test"), 2, 40, 2, squares)
}

func TestRunBinaryLearns(t *testing.T) {
	root := t.TempDir()
	makeDisks(t, root, false)
	for _, loss := range []string{LossCE, LossDice, LossCEDice} {
		t.Run(loss, func(t *testing.T) {
			o := segOptions(root, 2, 8)
			o.Loss = loss
			o.Paths.Name = "seg_" + strings.ToLower(loss)
			var out strings.Builder
			o.Out = &out
			rep, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			if iou := float64(rep.Metrics["IoU"]); !(iou > 0.6) {
				t.Errorf("test IoU %v after %d epochs, want > 0.6 (history %+v)", iou, rep.Epochs, rep.History)
			}
			h := rep.History
			if len(h) != 8 || !(float64(h[len(h)-1].Metrics["train/IoU"]) > float64(h[0].Metrics["train/IoU"])) {
				t.Errorf("train IoU did not rise: %+v", h)
			}
			if _, ok := h[0].Metrics["val/Dice"]; !ok {
				t.Errorf("no val/Dice in %v", h[0].Metrics)
			}
			if !strings.Contains(out.String(), "Test IoU (merge patches): ") {
				t.Errorf("result lines missing from output:\n%s", out.String())
			}
			lay := NewLayout(o.Paths)
			for _, p := range []string{lay.Report, filepath.Join(lay.ConfigDir, lay.JobID+".yaml"),
				train.CheckpointPath(lay.Checkpoints, lay.JobID, "best"), lay.TensorBoard, lay.Charts} {
				if _, err := os.Stat(p); err != nil {
					t.Error(err)
				}
			}
			back, err := ReadReport(lay.Report)
			if err != nil || len(back.Images) != 2 || back.Metrics["Dice"] != rep.Metrics["Dice"] {
				t.Fatalf("report %+v, %v", back, err)
			}
			img, err := data.ReadImage(back.Images[0].Output)
			if err != nil {
				t.Fatal(err)
			}
			if img.DType != data.Uint8 || !slices.Equal(img.Shape, []int{40, 40, 1}) {
				t.Errorf("per-image output %v %v, want uint8 [40 40 1]", img.DType, img.Shape)
			}
			for _, v := range img.Data {
				if v != 0 && v != 1 {
					t.Fatalf("label value %v, want 0 or 1", v)
				}
			}
		})
	}
}

func TestRunMultiClass(t *testing.T) {
	root := t.TempDir()
	makeDisks(t, root, true)
	o := segOptions(root, 3, 10)
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if iou := float64(rep.Metrics["IoU"]); !(iou > 0.4) {
		t.Errorf("test mean IoU %v, want > 0.4 (history %+v)", iou, rep.History)
	}
	img, err := data.ReadImage(rep.Images[1].Output)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[float32]bool{}
	for _, v := range img.Data {
		seen[v] = true
	}
	if len(seen) < 2 || !(seen[0]) {
		t.Errorf("classes predicted %v", seen)
	}
	for v := range seen {
		if v < 0 || v > 2 {
			t.Errorf("class %v outside [0, 3)", v)
		}
	}
}

// pretrainCheckpoint runs a 1-epoch crappify pretraining of the same U-Net on the
// raw training images and returns its best checkpoint.
func pretrainCheckpoint(t *testing.T, root string) string {
	t.Helper()
	po := pretrain.Options{
		NewModel: func(rng *tensor.RNG) (nn.Module, error) { return unet(rng, 1) },
		Crappify: pretrain.CrappifyOptions{Factor: 2, Noise: 0.1},
		Data: pretrain.DataOptions{TrainDir: filepath.Join(root, "data", "train", "raw"),
			TrainSourceDir: filepath.Join(root, "ssl_source"), Patch: []int{24, 24, 1}},
		Train: pretrain.TrainOptions{Enable: true, Epochs: 1, BatchSize: 4, Seed: 5,
			Optimizer: train.OptimizerOptions{Kind: train.AdamW, LR: 1e-3}},
		Paths: pretrain.PathOptions{ResultDir: filepath.Join(root, "out"), Name: "ssl"},
		Log:   quiet(),
	}
	rep, err := pretrain.Run(context.Background(), po)
	if err != nil {
		t.Fatal(err)
	}
	return rep.Checkpoint
}

func TestTransferFromPretrain(t *testing.T) {
	root := t.TempDir()
	makeDisks(t, root, false)
	ckpt := pretrainCheckpoint(t, root)
	sd, err := models.ReadWeights(ckpt)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("head re-initialised, body loaded, frozen then unfrozen", func(t *testing.T) {
		o := segOptions(root, 2, 2)
		o.Paths.Name = "ft"
		o.Pretrained = PretrainedOptions{Checkpoint: ckpt, FreezeEpochs: 1}
		rep, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		tr := rep.Transfer
		if tr == nil || tr.Loaded == 0 || tr.Missing != 0 || tr.Unexpected != 0 || tr.Frozen == 0 {
			t.Fatalf("transfer report %+v", tr)
		}
		if !slices.Equal(tr.Reinitialised, []string{"last_block.weight", "last_block.bias"}) {
			t.Errorf("re-initialised %v, want the head last_block.{weight,bias}", tr.Reinitialised)
		}
		if tr.UnfrozenAtEpoch != 2 {
			t.Errorf("unfrozen at epoch %d, want 2", tr.UnfrozenAtEpoch)
		}
		back, err := ReadReport(NewLayout(o.Paths).Report)
		if err != nil || back.Transfer == nil || back.Transfer.Loaded != tr.Loaded {
			t.Errorf("report.json transfer %+v, %v", back.Transfer, err)
		}
	})

	t.Run("frozen layers unchanged by training", func(t *testing.T) {
		m, err := unet(tensor.NewRNG(9), 1)
		if err != nil {
			t.Fatal(err)
		}
		o := segOptions(root, 2, 1)
		o.Model, o.NewModel = m, nil
		o.Paths.Name = "frozen"
		o.Test.Enable = false
		o.Pretrained = PretrainedOptions{Checkpoint: ckpt, FreezeEpochs: 3}
		rep, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Transfer.UnfrozenAtEpoch != 0 {
			t.Errorf("unfrozen at epoch %d, want never", rep.Transfer.UnfrozenAtEpoch)
		}
		changed := 0
		for _, p := range m.Params() {
			if p.Kind != nn.Trainable {
				continue
			}
			src, ok := sd[p.Name]
			same := ok && slices.Equal(src.Values(), p.Value.Values())
			if strings.HasPrefix(p.Name, "last_block") {
				if same {
					t.Errorf("%s equals the checkpoint's: the head was loaded", p.Name)
				}
				changed++
				continue
			}
			if !same {
				t.Errorf("%s changed while frozen", p.Name)
			}
		}
		if changed != 2 {
			t.Errorf("%d head entries, want 2", changed)
		}
	})

	t.Run("shape mismatch without and with skip-unmatched", func(t *testing.T) {
		multi := t.TempDir()
		makeDisks(t, multi, true)
		o := segOptions(multi, 3, 1)
		o.Paths.Name = "mismatch"
		o.Test.Enable = false
		o.Pretrained = PretrainedOptions{Checkpoint: ckpt, Transfer: models.TransferOptions{KeepHead: true}}
		if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "last_block") {
			t.Errorf("error %v, want a shape mismatch on last_block", err)
		}
		o.Pretrained.Transfer.SkipUnmatched = true
		rep, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Transfer.Skipped != 2 || rep.Transfer.Loaded == 0 {
			t.Errorf("transfer %+v, want the 2 head entries skipped", rep.Transfer)
		}
	})
}

func TestTestOnlyFromCheckpoint(t *testing.T) {
	root := t.TempDir()
	makeDisks(t, root, false)
	o := segOptions(root, 2, 1)
	o.Test.Enable = false
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	o.Train.Enable, o.Test.Enable = false, true
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	lay := NewLayout(o.Paths)
	if rep.Checkpoint != train.CheckpointPath(lay.Checkpoints, lay.JobID, "best") || len(rep.Images) != 2 {
		t.Errorf("test-only run: checkpoint %q, %d images", rep.Checkpoint, len(rep.Images))
	}
}
