package data

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

func TestReflectIndex(t *testing.T) {
	// np.pad([0, 1, 2, 3], (5, 5), "reflect")
	want := []int{1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2}
	for i, w := range want {
		if got := reflectIndex(i-5, 4); got != w {
			t.Errorf("reflectIndex(%d, 4) = %d, want %d", i-5, got, w)
		}
	}
	if reflectIndex(-3, 1) != 0 || reflectIndex(2, 1) != 0 {
		t.Error("a one-pixel axis reflects onto itself")
	}
}

func TestReflectToShapeAndCropEnd(t *testing.T) {
	img := &Image{Data: []float32{0, 1, 2, 3, 4, 5}, Shape: []int{2, 3, 1}, DType: Uint8}
	got := ReflectToShape(img, []int{4, 2})
	// Y padded by 2 at the start: np.pad(rows, (2, 0), "reflect") gives rows 0, 1, 0, 1.
	want := []float32{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}
	if !slices.Equal(got.Shape, []int{4, 3, 1}) || !slices.Equal(got.Data, want) || got.DType != Uint8 {
		t.Errorf("ReflectToShape = %v %v, want [4 3 1] %v", got.Shape, got.Data, want)
	}
	if back := CropEnd(got, []int{2, 3}); !slices.Equal(back.Data, img.Data) {
		t.Errorf("CropEnd = %v, want %v", back.Data, img.Data)
	}
	if ReflectToShape(img, []int{2, 3}) != img {
		t.Error("ReflectToShape copied an image that needs no padding")
	}
}

func TestCheckPatch(t *testing.T) {
	cases := []struct {
		name         string
		shape, patch []int
		reflect      bool
		want         string
	}{
		{"ok", []int{64, 64, 1}, []int{32, 32, 1}, false, ""},
		{"bad patch", []int{64, 64, 1}, []int{32, 1}, false, "patch size"},
		{"3D image 2D patch", []int{8, 64, 64, 1}, []int{32, 32, 1}, false, "is 3-D"},
		{"channels", []int{64, 64, 3}, []int{32, 32, 1}, false, "3 channels"},
		{"too small", []int{16, 64, 1}, []int{32, 32, 1}, false, "larger than image"},
		{"too small but reflect", []int{16, 64, 1}, []int{32, 32, 1}, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckPatch(c.shape, c.patch, c.reflect)
			if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
				t.Errorf("CheckPatch = %v, want error containing %q", err, c.want)
			}
		})
	}
}

func TestRandomPatch(t *testing.T) {
	img := NewImage(Uint16, 5, 20, 30, 2)
	for i := range img.Data {
		img.Data[i] = float32(i)
	}
	a, b := tensor.NewRNG(7), tensor.NewRNG(7)
	seen := map[string]bool{}
	for range 50 {
		p, o := RandomPatch(img, []int{5, 8, 8}, a)
		if o2 := RandomOrigin([]int{5, 20, 30}, []int{5, 8, 8}, b); !slices.Equal(o, o2) {
			t.Fatalf("same seed, origins %v and %v", o, o2)
		}
		if o[0] != 0 || o[1] < 0 || o[1] > 12 || o[2] < 0 || o[2] > 22 {
			t.Fatalf("origin %v out of range", o)
		}
		if p.DType != Uint16 || p.Data[0] != img.Data[img.Index(o[0], o[1], o[2], 0)] || p.Data[len(p.Data)-1] != img.Data[img.Index(4, o[1]+7, o[2]+7, 1)] {
			t.Fatalf("patch at %v has the wrong values", o)
		}
		seen[fmt.Sprint(o)] = true
	}
	if len(seen) < 20 {
		t.Errorf("only %d distinct origins in 50 draws", len(seen))
	}
}

func TestTrainPatches(t *testing.T) {
	img := NewImage(Float32, 40, 24, 1)
	cases := []struct {
		name    string
		patch   []int
		reflect bool
		want    int
		err     string
	}{
		{"whole image", []int{40, 24, 1}, false, 1, ""},
		{"tiled", []int{20, 12, 1}, false, 4, ""},
		{"too large", []int{48, 24, 1}, false, 0, "larger than image"},
		{"reflect completes", []int{48, 24, 1}, true, 1, ""},
		{"channel mismatch", []int{20, 12, 3}, false, 0, "channels"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps, err := TrainPatches(img, c.patch, []float64{0, 0}, []int{0, 0}, c.reflect)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) != c.want || !slices.Equal(ps[0].Shape, c.patch) {
				t.Errorf("%d patches of %v, want %d of %v", len(ps), ps[0].Shape, c.want, c.patch)
			}
		})
	}
}

func TestCropAtPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "CropAt") {
			t.Errorf("panic %v", r)
		}
	}()
	CropAt(NewImage(Float32, 4, 4, 1), []int{2, 2}, []int{3, 3})
}
