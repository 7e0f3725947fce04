package data

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPNGRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	dir := t.TempDir()
	for _, dt := range []DType{Uint8, Uint16} {
		for _, C := range []int{1, 3, 4} {
			m := NewImage(dt, 23, 31, C)
			m.Data = randomSamples(r, dt, len(m.Data))
			if C == 4 {
				m.Data[3] = 7 // make sure alpha is not opaque everywhere
			}
			path := filepath.Join(dir, "a.png")
			if err := WritePNG(path, m); err != nil {
				t.Fatal(err)
			}
			back, err := ReadImage(path)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(back.Shape, m.Shape) || back.DType != dt || firstDiff(back.Data, m.Data) >= 0 {
				t.Fatalf("%v C=%d: read back %v %v, values differ at %d", dt, C, back.Shape, back.DType, firstDiff(back.Data, m.Data))
			}
		}
	}
}

// TestDecodePNGColourTypes encodes with image/png directly and checks channels and
// values for each colour type, including gray+alpha and palette files.
func TestDecodePNGColourTypes(t *testing.T) {
	rect := image.Rect(0, 0, 3, 2)
	ga := image.NewNRGBA(rect) // written as RGBA by image/png
	pal := image.NewPaletted(rect, color.Palette{color.Black, color.White, color.Gray{Y: 9}})
	g16 := image.NewGray16(rect)
	rgba64 := image.NewNRGBA64(rect)
	for i := range 6 {
		x, y := i%3, i/3
		ga.SetNRGBA(x, y, color.NRGBA{uint8(i), uint8(2 * i), uint8(3 * i), uint8(40 * i)})
		pal.SetColorIndex(x, y, uint8(i%3))
		g16.SetGray16(x, y, color.Gray16{Y: uint16(1000 * i)})
		rgba64.SetNRGBA64(x, y, color.NRGBA64{uint16(i), 300, 60000, uint16(i * 1000)})
	}
	for _, tc := range []struct {
		img   image.Image
		dt    DType
		C     int
		pixel []float32 // pixel (x=2, y=1)
	}{
		{ga, Uint8, 4, []float32{5, 10, 15, 200}},
		{pal, Uint8, 1, []float32{2}},
		{g16, Uint16, 1, []float32{5000}},
		{rgba64, Uint16, 4, []float32{5, 300, 60000, 5000}},
	} {
		var b bytes.Buffer
		if err := png.Encode(&b, tc.img); err != nil {
			t.Fatal(err)
		}
		m, err := DecodePNG(b.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Shape, []int{2, 3, tc.C}) || m.DType != tc.dt {
			t.Fatalf("%T: shape %v %v, want [2 3 %d] %v", tc.img, m.Shape, m.DType, tc.C, tc.dt)
		}
		if got := m.Data[m.Index(0, 1, 2, 0) : m.Index(0, 1, 2, 0)+tc.C]; !slices.Equal(got, tc.pixel) {
			t.Fatalf("%T: pixel %v, want %v", tc.img, got, tc.pixel)
		}
	}
	// Gray + alpha (colour type 4), which image/png cannot write: 2×1 pixels, 8 bits.
	m, err := DecodePNG(rawPNG(2, 1, 8, 4, []byte{0, 10, 200, 20, 255}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Shape, []int{1, 2, 2}) || !slices.Equal(m.Data, []float32{10, 200, 20, 255}) {
		t.Fatalf("gray+alpha: %v %v, want [1 2 2] [10 200 20 255]", m.Shape, m.Data)
	}
	m, err = DecodePNG(rawPNG(1, 1, 16, 4, []byte{0, 1, 2, 3, 4}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Shape, []int{1, 1, 2}) || m.DType != Uint16 || !slices.Equal(m.Data, []float32{258, 772}) {
		t.Fatalf("gray+alpha 16: %v %v %v", m.Shape, m.DType, m.Data)
	}
}

// rawPNG builds a one-IDAT PNG from filtered scanlines (each starting with its filter byte).
func rawPNG(w, h uint32, depth, colorType byte, scanlines []byte) []byte {
	chunk := func(out []byte, typ string, data []byte) []byte {
		out = binary.BigEndian.AppendUint32(out, uint32(len(data)))
		start := len(out)
		out = append(out, typ...)
		out = append(out, data...)
		return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, depth, colorType, 0, 0, 0)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(scanlines)
	zw.Close()
	out := []byte("\x89PNG\r\n\x1a\n")
	out = chunk(out, "IHDR", ihdr)
	out = chunk(out, "IDAT", z.Bytes())
	return chunk(out, "IEND", nil)
}

func TestPNGErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.png")
	for _, tc := range []struct {
		m    *Image
		want string
	}{
		{NewImage(Float32, 2, 2, 1), "uint8 or uint16"},
		{NewImage(Uint8, 2, 2, 2, 1), "2-D images"},
		{NewImage(Uint8, 2, 2, 2), "1, 3 or 4 channels"},
	} {
		if err := WritePNG(path, tc.m); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("WritePNG %v %v: error %v, want %q", tc.m.Shape, tc.m.DType, err, tc.want)
		}
	}
	if _, err := DecodePNG([]byte("not a png at all, no no no")); err == nil || !strings.Contains(err.Error(), "not a PNG") {
		t.Errorf("DecodePNG(text): %v", err)
	}
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 40, 40)))
	trunc := filepath.Join(dir, "trunc.png")
	if err := os.WriteFile(trunc, b.Bytes()[:b.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPNG(trunc); err == nil || !strings.Contains(err.Error(), trunc) {
		t.Errorf("ReadPNG(truncated): %v, want an error naming the file", err)
	}
}
