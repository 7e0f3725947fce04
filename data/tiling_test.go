package data

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestAxisOrigins(t *testing.T) {
	cases := []struct {
		name                        string
		size, patch, frame, stepPad int
		ov                          float64
		want                        []int
	}{
		{"exact fit", 64, 32, 0, 0, 0, []int{0, 32}},
		{"overshoot spread", 50, 32, 0, 0, 0, []int{0, 18}},
		{"half overlap", 64, 32, 0, 0, 0.5, []int{0, 11, 22, 32}},
		{"padding", 64, 32, 4, 4, 0, []int{0, 20, 40}},
		{"single crop", 32, 32, 0, 0, 0, []int{0}},
		{"patch equals image with overlap", 32, 32, 0, 0, 0.5, []int{0, 0}}, // BiaPy's duplicate
		{"float step 0.7", 100, 20, 0, 0, 0.7, []int{0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80}},
		{"asymmetric Y of tiling2d_4", 50, 16, 6, 2, 0, []int{0, 12, 24, 36, 46}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := axisOrigins(c.size, c.patch, c.frame, c.stepPad, c.ov)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("origins %v, want %v", got, c.want)
			}
		})
	}
}

func TestNewTilingErrors(t *testing.T) {
	cases := []struct {
		name        string
		size, patch []int
		ov          []float64
		pad         []int
		want        string
	}{
		{"rank", []int{4}, []int{4}, []float64{0}, []int{0}, "want [Y X]"},
		{"axes", []int{8, 8}, []int{4, 4, 4}, []float64{0, 0}, []int{0, 0}, "must all have 2 axes"},
		{"patch larger", []int{8, 8}, []int{16, 8}, []float64{0, 0}, []int{0, 0}, "REFLECT_TO_COMPLETE_SHAPE"},
		{"padding half", []int{32, 32}, []int{16, 16}, []float64{0, 0}, []int{8, 0}, "padding"},
		{"overlap one", []int{32, 32}, []int{16, 16}, []float64{1, 0}, []int{0, 0}, "overlap"},
		{"negative overlap", []int{32, 32, 32}, []int{16, 16, 16}, []float64{0, -0.1, 0}, []int{0, 0, 0}, "overlap"},
		{"empty step", []int{32, 32}, []int{4, 4}, []float64{0.9, 0}, []int{0, 0}, "empty step"},
		// BiaPy's crosswise 2-D padding: X steps 21 with patches of 20, a pixel is never cropped.
		{"asymmetric gap", []int{40, 33}, []int{20, 20}, []float64{0, 0}, []int{4, 1}, "do not cover"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewTiling(c.size, c.patch, c.ov, c.pad)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// tileTestImage returns an image of the given shape with distinct random values.
func tileTestImage(r *rand.Rand, shape ...int) *Image {
	m := NewImage(Float32, shape...)
	for i := range m.Data {
		m.Data[i] = float32(r.IntN(1 << 20))
	}
	return m
}

func TestTilingRoundTrip(t *testing.T) {
	cases := []struct {
		shape, patch []int
		ov           []float64
		pad          []int
	}{
		{[]int{37, 29, 2}, []int{16, 12}, []float64{0.3, 0.6}, []int{3, 2}},
		{[]int{50, 64, 2}, []int{16, 32}, []float64{0.5, 0}, []int{2, 6}}, // asymmetric, as tiling2d_4
		{[]int{9, 21, 17, 3}, []int{4, 8, 8}, []float64{0.5, 0.25, 0}, []int{1, 2, 3}},
		{[]int{8, 8, 8, 1}, []int{8, 8, 8}, []float64{0, 0, 0}, []int{0, 0, 0}},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		t.Run(fmt.Sprint(c.shape, c.patch, c.ov, c.pad), func(t *testing.T) {
			img := tileTestImage(r, c.shape...)
			nd := len(c.shape) - 1
			tl, err := NewTiling(c.shape[:nd], c.patch, c.ov, c.pad)
			if err != nil {
				t.Fatal(err)
			}
			patches, err := tl.Crop(img)
			if err != nil {
				t.Fatal(err)
			}
			padded, _ := tl.Pad(img)
			for k, p := range patches {
				if want := CropAt(padded, tl.Origin(k), tl.Patch); !slices.Equal(p.Data, want.Data) {
					t.Fatalf("patch %d differs from the padded image at %v", k, tl.Origin(k))
				}
			}
			back, err := tl.Merge(patches)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(back.Data, img.Data) || !slices.Equal(back.Shape, img.Shape) {
				t.Error("merge of the crops is not the image")
			}
			scaled := make([]*Image, len(patches))
			for k, p := range patches {
				scaled[k] = p.Clone()
				for i := range scaled[k].Data {
					scaled[k].Data[i] *= float32(k + 1)
				}
			}
			got, err := tl.Merge(scaled)
			if err != nil {
				t.Fatal(err)
			}
			assertClose(t, "scaled merge", got.Data, bruteForceMerge(tl, scaled, img.Channels()), 1e-6, 0)
		})
	}
}

func TestTilingMergeErrors(t *testing.T) {
	tl, err := NewTiling([]int{8, 8}, []int{4, 4}, []float64{0, 0}, []int{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tl.Merge(make([]*Image, 3)); err == nil || !strings.Contains(err.Error(), "want 4") {
		t.Errorf("wrong count: %v", err)
	}
	ps := []*Image{NewImage(Float32, 4, 4, 1), NewImage(Float32, 4, 4, 1), NewImage(Float32, 4, 5, 1), NewImage(Float32, 4, 4, 1)}
	if _, err := tl.Merge(ps); err == nil || !strings.Contains(err.Error(), "patch 2") {
		t.Errorf("wrong shape: %v", err)
	}
	m := tl.NewMerger(1)
	m.Add(0, make([]float32, 16))
	if _, err := m.Image(Float32); err == nil || !strings.Contains(err.Error(), "no patch") {
		t.Errorf("incomplete merge: %v", err)
	}
	if _, err := tl.Crop(NewImage(Float32, 8, 9, 1)); err == nil {
		t.Error("Crop accepted an image of the wrong shape")
	}
}

func TestMedianPadding(t *testing.T) {
	img := NewImage(Float32, 6, 7, 8, 1)
	for i := range img.Data {
		img.Data[i] = float32(i * i % 97)
	}
	tl, err := NewTiling([]int{6, 7, 8}, []int{4, 4, 4}, []float64{0, 0, 0}, []int{1, 1, 1})
	if err != nil {
		t.Fatal(err)
	}
	tl.MedianPadding = true
	p, err := tl.Pad(img)
	if err != nil {
		t.Fatal(err)
	}
	// Later axes overwrite earlier ones at the corners: X faces hold the medians of
	// the first/last X columns of the image, Y faces (away from X pads) the Y rows.
	at := func(z, y, x int) float32 { return p.Data[p.Index(z, y, x, 0)] }
	xFirst := median(CropAt(img, []int{0, 0, 0}, []int{6, 7, 1}).Data)
	yLast := median(CropAt(img, []int{0, 6, 0}, []int{6, 1, 8}).Data)
	zFirst := median(CropAt(img, []int{0, 0, 0}, []int{1, 7, 8}).Data)
	if at(2, 2, 0) != xFirst || at(2, 8, 2) != yLast || at(0, 2, 2) != zFirst || at(2, 2, 2) != img.Data[img.Index(1, 1, 1, 0)] {
		t.Errorf("median padding: x face %v (want %v), y face %v (want %v), z face %v (want %v)",
			at(2, 2, 0), xFirst, at(2, 8, 2), yLast, at(0, 2, 2), zFirst)
	}
}

func ExampleTiling() {
	// A 64×50 image cut into 32×32 patches with 4 pixels of padding: 3×3 patches.
	tl, err := NewTiling([]int{64, 50}, []int{32, 32}, []float64{0, 0}, []int{4, 4})
	if err != nil {
		panic(err)
	}
	fmt.Println(tl.Len(), tl.Counts(), tl.PaddedSize())
	for k := range 3 {
		fmt.Println(tl.Origin(k))
	}
	img := NewImage(Float32, 64, 50, 1)
	patches, _ := tl.Crop(img) // each [32, 32, 1], from the reflect-padded 72×58 frame
	merged, _ := tl.Merge(patches)
	fmt.Println(len(patches), patches[0].Shape, merged.Shape)
	// Output:
	// 9 [3 3] [72 58]
	// [0 0]
	// [0 13]
	// [0 26]
	// 9 [32 32 1] [64 50 1]
}
