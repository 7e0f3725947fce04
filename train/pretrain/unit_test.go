package pretrain

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/selfsup/selfsup/data"
	"github.com/selfsup/selfsup/internal/workflows"
	"github.com/selfsup/selfsup/tensor"
)

func TestCrappifyCache(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "train")
	writeImages(t, dir, 2, data.Uint8, 24, 24, 1)
	ds, err := data.LoadDir(context.Background(), dir, data.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := sourceDir(dir, "")
	run := func(noise, factor float64) ([]*data.Image, int) {
		t.Helper()
		c := &crappifier{factor: factor, noise: noise, seed: 3, log: quiet()}
		imgs, err := c.source(context.Background(), dir, src, ds.Samples)
		if err != nil {
			t.Fatal(err)
		}
		return imgs, c.made
	}
	first, made := run(0.1, 4)
	if made != 2 {
		t.Fatalf("first run made %d images, want 2", made)
	}
	cases := []struct {
		name          string
		noise, factor float64
		made          int
		same          bool // same images as the first run
	}{
		{"same settings reuse the cache", 0.1, 4, 0, true},
		{"noise change regenerates", 0.3, 4, 2, false},
		{"factor change regenerates", 0.3, 2, 2, false},
		{"back to the first settings", 0.1, 4, 2, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			imgs, made := run(tc.noise, tc.factor)
			if made != tc.made {
				t.Errorf("made %d images, want %d", made, tc.made)
			}
			m, err := ReadManifest(src)
			if err != nil {
				t.Fatal(err)
			}
			if m.Noise != tc.noise || m.Factor != tc.factor || m.Seed != 3 || len(m.Files) != 2 {
				t.Errorf("manifest %+v", m)
			}
			if eq := slices.Equal(imgs[0].Data, first[0].Data); eq != tc.same {
				t.Errorf("same images as the first run: %v, want %v", eq, tc.same)
			}
			back, err := data.ReadImage(filepath.Join(src, "img00.tif"))
			if err != nil || back.DType != data.Uint8 || !slices.Equal(back.Data, imgs[0].Data) {
				t.Errorf("cached file differs from the returned image (%v)", err)
			}
		})
	}
	t.Run("changed original regenerates that file", func(t *testing.T) {
		later := time.Now().Add(time.Hour)
		if err := os.Chtimes(filepath.Join(dir, "img01.tif"), later, later); err != nil {
			t.Fatal(err)
		}
		if _, made := run(0.1, 4); made != 1 {
			t.Errorf("made %d, want 1", made)
		}
	})
}

func TestBatchesDeterministic(t *testing.T) {
	imgs := make([]*data.Image, 5)
	for i := range imgs {
		imgs[i] = data.NewImage(data.Uint8, 20, 20, 2)
		for k := range imgs[i].Data {
			imgs[i].Data[k] = float32((k*7 + i*13) % 251)
		}
	}
	p, err := makePairs(imgs, nil, data.Normalization{Type: data.NormDiv}, pairOptions{patch: []int{8, 8, 2}, random: true})
	if err != nil {
		t.Fatal(err)
	}
	aug := data.AugmentOptions{DAProb: 0.5, HFlip: true, RandomRot: true}
	mk := func() *batches {
		return &batches{p: p, bs: 2, seed: 9, salt: workflows.SaltTrain, shuffle: true, aug: &aug, dev: tensor.CPU{}}
	}
	a, b := mk(), mk()
	if a.Len() != 3 {
		t.Fatalf("Len %d, want 3", a.Len())
	}
	ctx := context.Background()
	// b is asked out of order: batches depend only on (epoch, i).
	for _, ei := range [][2]int{{1, 2}, {0, 0}, {1, 0}, {0, 2}} {
		xb, yb, err := b.Batch(ctx, ei[0], ei[1])
		if err != nil {
			t.Fatal(err)
		}
		xa, _, _ := a.Batch(ctx, ei[0], ei[1])
		if !slices.Equal(xa.Data(), xb.Data()) || xb != yb {
			t.Errorf("epoch %d batch %d differs between generators (or masking target is not the input)", ei[0], ei[1])
		}
	}
	x0, _, _ := a.Batch(ctx, 0, 0)
	x1, _, _ := a.Batch(ctx, 1, 0)
	if slices.Equal(x0.Data(), x1.Data()) {
		t.Errorf("epochs 0 and 1 gave the same first batch")
	}
	if s := x0.Shape(); !slices.Equal(s, []int{2, 2, 8, 8}) {
		t.Errorf("batch shape %v", s)
	}
	last, _, _ := a.Batch(ctx, 0, 2)
	if last.Dim(0) != 1 {
		t.Errorf("last batch has %d samples, want 1", last.Dim(0))
	}
}

func TestBatchLayout(t *testing.T) {
	for _, shape := range [][]int{{3, 4, 2}, {2, 3, 4, 3}} {
		a, b := data.NewImage(data.Float32, shape...), data.NewImage(data.Float32, shape...)
		for i := range a.Data {
			a.Data[i], b.Data[i] = float32(i), float32(-i)
		}
		x := workflows.ToBatch([]*data.Image{a, b})
		want := append([]int{2, shape[len(shape)-1]}, shape[:len(shape)-1]...)
		if !slices.Equal(x.Shape(), want) {
			t.Fatalf("shape %v, want %v", x.Shape(), want)
		}
		// Channel 1 of sample 0 at the first voxel is a.Data[1].
		if got := x.Data()[len(a.Data)/shape[len(shape)-1]]; got != a.Data[1] {
			t.Errorf("%v: channel-first layout wrong: %v", shape, got)
		}
		if !slices.Equal(workflows.FromBatch(x.Data(), x.Shape(), 1), b.Data) {
			t.Errorf("%v: fromBatch does not invert toBatch", shape)
		}
	}
}

func TestPyFloat(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{27.31, "27.31"}, {20, "20.0"}, {0, "0.0"}, {1e-5, "1e-05"}, {1234567, "1234567.0"},
		{1e16, "1e+16"}, {math.Inf(1), "inf"}, {math.NaN(), "nan"}, {0.125, "0.125"},
	} {
		if got := pyFloat(tc.v); got != tc.want {
			t.Errorf("pyFloat(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	base := func() Options {
		o := crappifyOptions(t.TempDir(), 1)
		return o
	}
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"no model", func(o *Options) { o.NewModel = nil }, "Model"},
		{"no name", func(o *Options) { o.Paths.Name = "" }, "-name"},
		{"factor", func(o *Options) { o.Crappify.Factor = 3 }, "RESIZING_FACTOR"},
		{"noise", func(o *Options) { o.Crappify.Noise = 2 }, "NOISE"},
		{"loss", func(o *Options) { o.Loss = "SSIM" }, "LOSS.TYPE"},
		{"patch rank", func(o *Options) { o.Data.Patch = []int{32, 1} }, "DATA.PATCH_SIZE"},
		{"overlap axes", func(o *Options) { o.Test.Overlap = []float64{0} }, "DATA.TEST.OVERLAP"},
		{"epochs", func(o *Options) { o.Train.Epochs = 0 }, "TRAIN.EPOCHS"},
		{"split", func(o *Options) { o.Data.ValSplit = 1.5 }, "SPLIT_TRAIN"},
		{"test dir", func(o *Options) { o.Data.TestDir = "" }, "DATA.TEST.PATH"},
		{"masking needs mae", func(o *Options) { o.Pretext = Masking }, "needs an MAE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := base()
			tc.edit(&o)
			_, err := Run(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want it to mention %q", err, tc.want)
			}
		})
	}
}
