package train

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// chartEpoch is a plausible epoch: falling losses, rising PSNR/SSIM.
func chartEpoch(ep int, withVal bool) EpochStats {
	x := float64(ep)
	e := EpochStats{Epoch: ep, Epochs: 10, TrainLoss: 1 / x, ValLoss: math.NaN(), LR: 1e-3,
		Metrics: map[string]float64{"train/PSNR": 15 + 2*math.Log(x), "train/SSIM": 0.5 + 0.04*x}}
	if withVal {
		e.ValLoss = 1.2/x + 0.05
		e.Metrics["val/PSNR"] = 14 + 2*math.Log(x)
		e.Metrics["val/SSIM"] = 0.45 + 0.04*x
	}
	return e
}

// colorPixels counts the pixels of img within a small distance of c.
func colorPixels(img image.Image, c color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			d := math.Abs(float64(r>>8)-float64(c.R)) + math.Abs(float64(g>>8)-float64(c.G)) +
				math.Abs(float64(bl>>8)-float64(c.B))
			if d < 30 {
				n++
			}
		}
	}
	return n
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestChartLogger(t *testing.T) {
	cases := []struct {
		name      string
		freq      int
		withVal   bool
		epochs    int
		afterFreq int  // number of files after epoch freq (0: none yet)
		wantVal   bool // validation curves drawn
	}{
		{"freq 5 with validation", 5, true, 7, 3, true},
		{"freq 2 train only", 2, false, 3, 3, false},
		{"freq 0 only at Close", 0, true, 2, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "charts")
			l := NewChartLogger(dir, "job_1", c.freq)
			want := []string{"job_1_PSNR.png", "job_1_SSIM.png", "job_1_loss.png"}
			for ep := 1; ep <= c.epochs; ep++ {
				l.Step(StepStats{Epoch: ep})
				if err := l.Epoch(chartEpoch(ep, c.withVal)); err != nil {
					t.Fatal(err)
				}
				got := dirNames(t, dir)
				switch {
				case c.freq > 0 && ep < c.freq:
					if len(got) != 0 {
						t.Fatalf("epoch %d < freq %d: files %v", ep, c.freq, got)
					}
				case c.freq > 0 && ep == c.freq:
					if len(got) != c.afterFreq {
						t.Fatalf("epoch %d: files %v, want %d", ep, got, c.afterFreq)
					}
				case c.freq <= 0 && len(got) != 0:
					t.Fatalf("freq %d: files %v before Close", c.freq, got)
				}
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			got := dirNames(t, dir) // no temporary files left behind
			if len(got) != len(want) {
				t.Fatalf("files %v, want %v", got, want)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("files %v, want %v", got, want)
				}
			}
			for _, name := range want {
				img := decodePNG(t, filepath.Join(dir, name))
				if b := img.Bounds(); b.Dx() < 400 || b.Dx() > 1200 || b.Dy() < 300 || b.Dy() > 900 {
					t.Errorf("%s: size %v", name, b.Size())
				}
				// The curves are drawn: pixels of the train (and validation) colour exist.
				if n := colorPixels(img, chartTrainColor); n < 200 {
					t.Errorf("%s: %d train-coloured pixels", name, n)
				}
				n := colorPixels(img, chartValColor)
				if c.wantVal && n < 200 {
					t.Errorf("%s: %d validation-coloured pixels", name, n)
				}
				if !c.wantVal && n > 0 {
					t.Errorf("%s: %d validation-coloured pixels without validation", name, n)
				}
			}
		})
	}
}

func TestChartLoggerRedraws(t *testing.T) {
	dir := t.TempDir()
	l := NewChartLogger(dir, "j", 1)
	path := filepath.Join(dir, "j_loss.png")
	var sizes []int
	for ep := 1; ep <= 3; ep++ {
		if err := l.Epoch(chartEpoch(ep, true)); err != nil {
			t.Fatal(err)
		}
		// More epochs, more curve pixels.
		sizes = append(sizes, colorPixels(decodePNG(t, path), chartTrainColor))
	}
	if !(sizes[0] < sizes[1] && sizes[1] < sizes[2]) {
		t.Errorf("train-coloured pixels per epoch %v: not growing", sizes)
	}
	// Close after a drawing writes nothing new; an unwritable dir is an error.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bad := NewChartLogger(filepath.Join(file, "charts"), "j", 1)
	if err := bad.Epoch(chartEpoch(1, true)); err == nil {
		t.Error("charts under a regular file: no error")
	}
}
