package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzReadTIFF feeds arbitrary bytes to the TIFF decoder: it must return an image or
// an error, never panic or hang, and a returned image must be self-consistent. The seed
// corpus holds the real files of testdata/images up to 32 KiB plus small synthetic files for every
// layout (BigTIFF, big-endian, tiles, planar, LZW, Deflate, PackBits, predictors,
// ImageJ stacks).
func FuzzReadTIFF(f *testing.F) {
	filepath.WalkDir(filepath.Join("testdata", "images"), func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".tif") {
			// Multi-megabyte seeds stall Go's mutator (a few execs per minute), so only
			// the small real files (the Deflate labels) are seeds.
			if b, err := os.ReadFile(p); err == nil && len(b) <= 32<<10 {
				f.Add(b)
			}
		}
		return nil
	})
	seeds := []tiffSpec{
		{dtype: Uint8, H: 5, W: 6, spp: 1},
		{dtype: Uint16, H: 5, W: 6, spp: 1, big: true, compression: 5},
		{dtype: Int16, H: 9, W: 7, spp: 3, bigEndian: true, compression: 32773, predictor: 2},
		{dtype: Float32, H: 9, W: 7, spp: 2, tileW: 16, tileH: 16, compression: 8, predictor: 3},
		{dtype: Float64, H: 4, W: 4, spp: 1, bigEndian: true, big: true, tileW: 16, tileH: 16, compression: 5, predictor: 3},
		{dtype: Uint8, H: 6, W: 5, spp: 3, planar: true, rps: 2, compression: 32946},
		{dtype: Uint32, H: 3, W: 4, spp: 1, pages: 3, compression: 32773},
		{dtype: Int8, H: 3, W: 4, spp: 1, pages: 4, desc: "ImageJ=1.11a\nimages=4\nchannels=2\nslices=2\n"},
		{dtype: Uint16, H: 6, W: 4, spp: 1, tagH: 2, desc: "ImageJ=1.11a\nimages=3\nslices=3\n"},
	}
	for _, s := range seeds {
		f.Add(buildTIFF(f, s, seq(s.H*s.W*s.spp*max(s.pages, 1))))
	}
	defer func(n uint64) { tiffMaxSamples = n }(tiffMaxSamples)
	tiffMaxSamples = 1 << 18 // keep executions fast; larger images take the same paths
	f.Fuzz(func(t *testing.T, b []byte) {
		t0 := time.Now()
		m, err := DecodeTIFF(b)
		if d := time.Since(t0); d > 10*time.Second { // with the sample cap, decoding takes milliseconds
			t.Fatalf("decoding took %v (err %v): a near-hang", d, err)
		}
		if err != nil {
			if m != nil {
				t.Fatal("image and error both returned")
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("decoded image is inconsistent: %v", err)
		}
	})
}
