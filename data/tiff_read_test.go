package data

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// randomSamples returns n values exactly representable both in dt and in float32.
func randomSamples(r *rand.Rand, dt DType, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		switch dt {
		case Float32, Float64:
			v[i] = float32(r.NormFloat64() * 1000)
		case Uint32:
			v[i] = float32(r.IntN(1 << 24))
		case Int32:
			v[i] = float32(r.IntN(1<<25) - 1<<24)
		default:
			lo, hi := dt.Range()
			v[i] = float32(lo + float64(r.IntN(int(hi-lo)+1)))
		}
	}
	return v
}

var allDTypes = []DType{Uint8, Int8, Uint16, Int16, Uint32, Int32, Float32, Float64}

// TestDecodeTIFFLayouts decodes synthetic files covering every supported layout:
// dtype × byte order × classic/BigTIFF × compression × predictor × strips/tiles ×
// chunky/planar × samples per pixel, with several pages.
func TestDecodeTIFFLayouts(t *testing.T) {
	type layout struct {
		name         string
		planar       bool
		rps          int
		tileW, tileH int
	}
	layouts := []layout{
		{"strip", false, 0, 0, 0},
		{"strips3", false, 3, 0, 0},
		{"tiles", false, 0, 16, 16},
		{"planar-strips", true, 4, 0, 0},
		{"planar-tiles", true, 0, 16, 32},
	}
	const H, W, pages = 19, 21, 2
	r := rand.New(rand.NewPCG(1, 2))
	for _, dt := range allDTypes {
		t.Run(dt.String(), func(t *testing.T) {
			preds := []uint64{1, 2}
			if !dt.IsInteger() {
				preds = []uint64{1, 3}
			}
			n := 0
			for _, be := range []bool{false, true} {
				for _, big := range []bool{false, true} {
					for _, comp := range []uint64{1, 5, 8, 32946, 32773} {
						for _, pred := range preds {
							for _, lay := range layouts {
								for _, spp := range []int{1, 3} {
									s := tiffSpec{bigEndian: be, big: big, dtype: dt, pages: pages, H: H, W: W, spp: spp,
										planar: lay.planar, rps: lay.rps, tileW: lay.tileW, tileH: lay.tileH,
										compression: comp, predictor: pred}
									want := randomSamples(r, dt, pages*H*W*spp)
									m, err := DecodeTIFF(buildTIFF(t, s, want))
									if err != nil {
										t.Fatalf("%+v: %v", s, err)
									}
									if !slices.Equal(m.Shape, []int{pages, H, W, spp}) || m.DType != dt {
										t.Fatalf("%+v: shape %v dtype %v", s, m.Shape, m.DType)
									}
									if i := firstDiff(m.Data, want); i >= 0 {
										t.Fatalf("%+v: sample %d = %v, want %v", s, i, m.Data[i], want[i])
									}
									n++
								}
							}
						}
					}
				}
			}
			if n != 2*2*5*2*len(layouts)*2 {
				t.Fatalf("ran %d cases", n)
			}
		})
	}
}

func firstDiff(a, b []float32) int {
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// seq returns 0, 1, 2, … n-1 as float32 (distinct values to check placement).
func seq(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i % 65536)
	}
	return v
}

func TestDecodeTIFFImageJ(t *testing.T) {
	const H, W = 5, 7
	plane := H * W
	t.Run("hyperstack channels and slices", func(t *testing.T) {
		// 2 channels × 3 slices: pages in ImageJ order c fastest, then z.
		vals := seq(6 * plane)
		s := tiffSpec{dtype: Uint16, pages: 6, H: H, W: W, spp: 1,
			desc: "ImageJ=1.11a\nimages=6\nchannels=2\nslices=3\nhyperstack=true\nmode=composite\n"}
		m, err := DecodeTIFF(buildTIFF(t, s, vals))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Shape, []int{3, H, W, 2}) {
			t.Fatalf("shape %v, want [3 %d %d 2]", m.Shape, H, W)
		}
		for z := range 3 {
			for c := range 2 {
				page := z*2 + c
				for i := range plane {
					if got, want := m.Data[(z*plane+i)*2+c], vals[page*plane+i]; got != want {
						t.Fatalf("z %d c %d pixel %d = %v, want %v", z, c, i, got, want)
					}
				}
			}
		}
	})
	t.Run("frames and slices fold into z", func(t *testing.T) {
		vals := seq(4 * plane)
		s := tiffSpec{dtype: Uint8, pages: 4, H: H, W: W, spp: 1, desc: "ImageJ=1.11a\nimages=4\nslices=2\nframes=2\n"}
		m, err := DecodeTIFF(buildTIFF(t, s, vals))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Shape, []int{4, H, W, 1}) || firstDiff(m.Data, vals) >= 0 {
			t.Fatalf("shape %v data differs", m.Shape)
		}
	})
	t.Run("single slice stays 3-D", func(t *testing.T) {
		s := tiffSpec{dtype: Float32, H: H, W: W, spp: 1, desc: "ImageJ=1.11a\nimages=1\nslices=1\n"}
		m, err := DecodeTIFF(buildTIFF(t, s, seq(plane)))
		if err != nil || !slices.Equal(m.Shape, []int{1, H, W, 1}) {
			t.Fatalf("shape %v, err %v; want [1 %d %d 1]", m.Shape, err, H, W)
		}
	})
	t.Run("one IFD, contiguous images", func(t *testing.T) {
		// ImageJ writes large stacks with a single IFD; the other images follow the first.
		vals := seq(3 * plane)
		s := tiffSpec{dtype: Uint16, H: 3 * H, W: W, spp: 1, tagH: H, desc: "ImageJ=1.11a\nimages=3\nslices=3\n"}
		m, err := DecodeTIFF(buildTIFF(t, s, vals))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.Shape, []int{3, H, W, 1}) || firstDiff(m.Data, vals) >= 0 {
			t.Fatalf("shape %v, data differs", m.Shape)
		}
	})
	t.Run("shaped description", func(t *testing.T) {
		s := tiffSpec{dtype: Uint8, H: H, W: W, spp: 2, desc: `{"shape": [1, 5, 7, 2]}`}
		m, err := DecodeTIFF(buildTIFF(t, s, seq(2*plane)))
		if err != nil || !slices.Equal(m.Shape, []int{1, H, W, 2}) {
			t.Fatalf("shape %v, err %v", m.Shape, err)
		}
		s.desc = `{"shape": [5, 7, 2]}`
		m, err = DecodeTIFF(buildTIFF(t, s, seq(2*plane)))
		if err != nil || !slices.Equal(m.Shape, []int{H, W, 2}) {
			t.Fatalf("shape %v, err %v", m.Shape, err)
		}
	})
}

// TestReadTIFFErrors checks that corrupt, truncated and unsupported files give an
// error naming the file and the problem.
func TestReadTIFFErrors(t *testing.T) {
	good := func(s tiffSpec) []byte {
		return buildTIFF(t, s, seq(s.H*s.W*s.spp*max(s.pages, 1)))
	}
	base := tiffSpec{dtype: Uint8, H: 8, W: 8, spp: 1}
	le := binary.LittleEndian
	// firstIFD returns the offset of the first IFD of a classic little-endian file.
	firstIFD := func(b []byte) int { return int(le.Uint32(b[4:])) }
	// setTag overwrites the inline value of tag in the first IFD.
	setTag := func(b []byte, tag uint16, v uint32) []byte {
		b = slices.Clone(b)
		off := firstIFD(b)
		n := int(le.Uint16(b[off:]))
		for i := range n {
			e := b[off+2+12*i:]
			if le.Uint16(e) == tag {
				if le.Uint16(e[2:]) == tiffShort {
					le.PutUint16(e[8:], uint16(v))
				} else {
					le.PutUint32(e[8:], v)
				}
				return b
			}
		}
		t.Fatalf("tag %d not found", tag)
		return nil
	}
	deflated := good(tiffSpec{dtype: Uint8, H: 64, W: 64, spp: 1, compression: 8})
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "not a TIFF file"},
		{"text", []byte("hello, world, not a tiff"), "byte-order mark"},
		{"bad version", append([]byte("II\x2b\x01"), make([]byte, 8)...), "version"},
		{"short BigTIFF header", []byte("II\x2b\x00\x08\x00\x00\x00\x10"), "truncated BigTIFF header"},
		{"IFD past end", func() []byte { b := good(base); le.PutUint32(b[4:], 1<<30); return b }(), "outside the file"},
		{"zero IFD offset", func() []byte { b := good(base); le.PutUint32(b[4:], 0); return b }(), "no image"},
		{"IFD cycle", func() []byte {
			b := good(base)
			off := firstIFD(b)
			n := int(le.Uint16(b[off:]))
			le.PutUint32(b[off+2+12*n:], uint32(off))
			return b
		}(), "loops back"},
		{"truncated IFD", func() []byte { b := good(base); return b[:firstIFD(b)+20] }(), "outside the file"},
		{"truncated strip", func() []byte { b := good(base); return b[:40] }(), "outside the file"},
		{"zero width", setTag(good(base), tagImageWidth, 0), "ImageWidth 0 out of range"},
		{"JPEG", setTag(good(base), tagCompression, 7), "unsupported compression 7 (JPEG)"},
		{"12 bits", setTag(good(base), tagBitsPerSample, 12), "unsupported sample type: 12 bits"},
		{"YCbCr", setTag(good(base), tagPhotometric, 6), "YCbCr"},
		{"huge image", setTag(setTag(setTag(good(base), tagImageWidth, 1<<16), tagImageLength, 1<<14), tagRowsPerStrip, 1<<14), "file can hold"},
		{"strip too short", setTag(good(base), tagStripByteCounts, 10), "cannot decode"},
		{"corrupt deflate", func() []byte {
			b := slices.Clone(deflated)
			for i := 20; i < 60; i++ {
				b[i] ^= 0x5a
			}
			return b
		}(), "chunk 0"},
		{"truncated deflate", setTag(deflated, tagStripByteCounts, 30), "truncated or corrupt"},
		{"bad predictor", setTag(good(tiffSpec{dtype: Float32, H: 4, W: 4, spp: 1, predictor: 3}), tagPredictor, 2), "unsupported Predictor 2 for float32"},
		{"pages differ", func() []byte {
			a := good(tiffSpec{dtype: Uint8, pages: 2, H: 8, W: 8, spp: 1})
			// Second page: change its width tag (the last IFD in the file).
			off := firstIFD(a)
			n := int(le.Uint16(a[off:]))
			next := int(le.Uint32(a[off+2+12*n:]))
			le.PutUint32(a[next+2+8:], 4) // first entry is ImageWidth (LONG)
			return a
		}(), "pages differ"},
		{"planar ImageJ stack without IFDs", good(tiffSpec{dtype: Uint8, H: 4, W: 4, spp: 2, compression: 8,
			desc: "ImageJ=1.11a\nimages=5\nslices=5\n"}), "compressed or tiled"},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".tif")
			if err := os.WriteFile(path, tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := ReadTIFF(path)
			if err == nil {
				t.Fatalf("no error, image shape %v", m.Shape)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want the path and %q", err, tc.want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		path := filepath.Join(dir, "nope.tif")
		if _, err := ReadTIFF(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("error %v, want one naming %s", err, path)
		}
	})
}

func TestUnpackBits(t *testing.T) {
	for _, tc := range []struct {
		src, want []byte
	}{
		{[]byte{0xFE, 0xAA, 0x02, 0x80, 0x00, 0x2A, 0xFD, 0xAA, 0x03, 0x80, 0x00, 0x2A, 0x22, 0xF7, 0xAA},
			[]byte{0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0xAA, 0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0x22, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA}},
		{[]byte{0x80, 0x00, 0x07}, []byte{0x07}}, // -128 is a no-op
	} {
		dst := make([]byte, len(tc.want))
		n, err := unpackBits(dst, tc.src)
		if err != nil || n != len(tc.want) || !slices.Equal(dst, tc.want) {
			t.Errorf("unpackBits(% x) = % x (%d, %v), want % x", tc.src, dst[:n], n, err, tc.want)
		}
	}
	if _, err := unpackBits(make([]byte, 10), []byte{0x05, 1, 2}); err == nil {
		t.Error("literal run past the end: no error")
	}
}

func ExampleReadTIFF() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "stack.tif")
	// A 3-D stack: 2 slices of 2×3 pixels, one channel, stored as uint16.
	m := NewImage(Uint16, 2, 2, 3, 1)
	for i := range m.Data {
		m.Data[i] = float32(100 * i)
	}
	if err := WriteTIFF(path, m, TIFFOptions{Compression: TIFFDeflate}); err != nil {
		panic(err)
	}
	back, err := ReadTIFF(path)
	if err != nil {
		panic(err)
	}
	fmt.Println(back.Shape, back.DType, back.Data[back.Index(1, 1, 2, 0)])
	// Output: [2 2 3 1] uint16 1100
}
