package data

import (
	"bytes"
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	xtiff "golang.org/x/image/tiff"
)

// TestWriteTIFFRoundTrip writes and reads back every dtype × 2-D/3-D × channels ×
// compression, including a multi-strip size and a 3-D stack of one slice.
func TestWriteTIFFRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	dir := t.TempDir()
	shapes := [][]int{{13, 17}, {70, 300}, {1, 9, 11}, {3, 13, 17}, {2, 70, 300}}
	for _, dt := range allDTypes {
		for _, comp := range []TIFFCompression{TIFFUncompressed, TIFFDeflate} {
			for _, sh := range shapes {
				for _, C := range []int{1, 2, 3, 4} {
					name := fmt.Sprintf("%v/comp%d/%v/c%d", dt, comp, sh, C)
					t.Run(name, func(t *testing.T) {
						shape := append(slices.Clone(sh), C)
						m := NewImage(dt, shape...)
						m.Data = randomSamples(r, dt, len(m.Data))
						path := filepath.Join(dir, "img.tif")
						if err := WriteTIFF(path, m, TIFFOptions{Compression: comp}); err != nil {
							t.Fatal(err)
						}
						back, err := ReadTIFF(path)
						if err != nil {
							t.Fatal(err)
						}
						if !slices.Equal(back.Shape, m.Shape) || back.DType != dt {
							t.Fatalf("read back %v %v, wrote %v %v", back.Shape, back.DType, m.Shape, dt)
						}
						if i := firstDiff(back.Data, m.Data); i >= 0 {
							t.Fatalf("sample %d = %v, wrote %v", i, back.Data[i], m.Data[i])
						}
					})
				}
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("folder holds %v (err %v), want only img.tif: temporary files left behind", entries, err)
	}
}

func TestWriteTIFFBigTIFF(t *testing.T) {
	m := NewImage(Uint16, 2, 5, 6, 3)
	m.Data = seq(len(m.Data))
	for _, comp := range []TIFFCompression{TIFFUncompressed, TIFFDeflate} {
		var b bytes.Buffer
		if err := EncodeTIFF(&b, m, TIFFOptions{Compression: comp, bigTIFF: true}); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b.Bytes(), []byte("II\x2b\x00\x08\x00")) {
			t.Fatalf("header % x is not a BigTIFF header", b.Bytes()[:8])
		}
		back, err := DecodeTIFF(b.Bytes())
		if err != nil || !slices.Equal(back.Shape, m.Shape) || firstDiff(back.Data, m.Data) >= 0 {
			t.Fatalf("BigTIFF round trip: shape %v, err %v", back.Shape, err)
		}
	}
}

func TestWriteTIFFCastAndDescription(t *testing.T) {
	m := &Image{Data: []float32{-3.7, 2.9, 300, 254.99}, Shape: []int{1, 4, 1}, DType: Uint8}
	var b bytes.Buffer
	if err := EncodeTIFF(&b, m, TIFFOptions{}); err != nil {
		t.Fatal(err)
	}
	back, err := DecodeTIFF(b.Bytes())
	if err != nil || !slices.Equal(back.Data, []float32{0, 2, 255, 254}) {
		t.Fatalf("cast to uint8: %v (err %v), want [0 2 255 254]", back.Data, err)
	}
	for _, tc := range []struct {
		shape []int
		dt    DType
		want  string
	}{
		{[]int{3, 4, 5, 1}, Uint16, "ImageJ=1.11a\nimages=3\nslices=3\n"},
		{[]int{3, 4, 5, 3}, Uint8, "ImageJ=1.11a\nimages=3\nslices=3\n"},
		{[]int{3, 4, 5, 2}, Float32, `{"shape":[3,4,5,2]}`},
		{[]int{4, 5, 2}, Int16, `{"shape":[4,5,2]}`},
	} {
		var b bytes.Buffer
		if err := EncodeTIFF(&b, NewImage(tc.dt, tc.shape...), TIFFOptions{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b.Bytes(), []byte(tc.want)) {
			t.Errorf("%v %v: file lacks description %q", tc.shape, tc.dt, tc.want)
		}
	}
}

// TestWriteTIFFIndependentDecoder decodes written files with golang.org/x/image/tiff.
func TestWriteTIFFIndependentDecoder(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, dt := range []DType{Uint8, Uint16} {
		for _, C := range []int{1, 3} {
			for _, comp := range []TIFFCompression{TIFFUncompressed, TIFFDeflate} {
				m := NewImage(dt, 150, 230, C)
				m.Data = randomSamples(r, dt, len(m.Data))
				var b bytes.Buffer
				if err := EncodeTIFF(&b, m, TIFFOptions{Compression: comp}); err != nil {
					t.Fatal(err)
				}
				img, err := xtiff.Decode(&b)
				if err != nil {
					t.Fatalf("%v C=%d comp %d: x/image/tiff: %v", dt, C, comp, err)
				}
				if i := firstDiff(fromGoImage(t, img, C), m.Data); i >= 0 {
					t.Fatalf("%v C=%d comp %d: x/image/tiff sample %d differs", dt, C, comp, i)
				}
			}
		}
	}
}

// fromGoImage returns the raw samples of a decoded gray or RGB image.Image (C channels).
func fromGoImage(t *testing.T, img image.Image, C int) []float32 {
	b := img.Bounds()
	var out []float32
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			switch s := img.(type) {
			case *image.Gray:
				out = append(out, float32(s.GrayAt(x, y).Y))
			case *image.Gray16:
				out = append(out, float32(s.Gray16At(x, y).Y))
			default:
				r, g, bl, a := img.At(x, y).RGBA()
				if a != 0xffff {
					t.Fatalf("%T: alpha %d", img, a)
				}
				shift := uint32(0)
				if _, ok := img.(*image.RGBA); ok {
					shift = 8
				}
				out = append(out, float32(r>>shift), float32(g>>shift), float32(bl>>shift))
			}
		}
	}
	if len(out) != b.Dx()*b.Dy()*C {
		t.Fatalf("%T: %d samples for %v×%d", img, len(out), b, C)
	}
	return out
}

func TestWriteTIFFErrors(t *testing.T) {
	dir := t.TempDir()
	bad := []struct {
		name string
		m    *Image
		path string
		want string
	}{
		{"no folder", NewImage(Uint8, 2, 2, 1), filepath.Join(dir, "missing", "a.tif"), "missing"},
		{"bad shape", &Image{Data: make([]float32, 4), Shape: []int{4}, DType: Uint8}, filepath.Join(dir, "b.tif"), "want [Y X C]"},
		{"short data", &Image{Data: make([]float32, 3), Shape: []int{2, 2, 1}, DType: Uint8}, filepath.Join(dir, "c.tif"), "needs 4 samples"},
		{"no dtype", &Image{Data: make([]float32, 4), Shape: []int{2, 2, 1}}, filepath.Join(dir, "d.tif"), "invalid dtype"},
	}
	for _, tc := range bad {
		err := WriteTIFF(tc.path, tc.m, TIFFOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want the path and %q", tc.name, err, tc.want)
		}
	}
}
