package data

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	xtiff "golang.org/x/image/tiff"
)

// realDataRoot is the folder of real microscopy files the reader is checked on: the
// in-repo subset testdata/images, or the whole shared folder named by SELFSUP_DATA
// (same layout: <dataset>/<split>/<raw|label>/…).
func realDataRoot() string {
	if d := os.Getenv("SELFSUP_DATA"); d != "" {
		return d
	}
	return filepath.Join("testdata", "images")
}

// TestReadRealImages reads every .tif/.png under realDataRoot and checks values, not
// only shapes: each TIFF page 0 against golang.org/x/image/tiff, the ISBI 3-D stacks
// against the PNG slices they were built from, the BBBC039 instance labels against the
// original colour-index masks, and value ranges and object counts stated in the data
// README.
func TestReadRealImages(t *testing.T) {
	root := realDataRoot()
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".tif", ".tiff", ".png":
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 8 {
		t.Fatalf("%s: found %d image files, want at least 8", root, len(files))
	}
	counts := map[string]int{}
	for _, p := range files {
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		t.Run(rel, func(t *testing.T) {
			m, err := ReadImage(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Validate(); err != nil {
				t.Fatal(err)
			}
			if ext := strings.ToLower(filepath.Ext(p)); ext != ".png" {
				checkAgainstXTIFF(t, p, m)
				counts["x/image/tiff"]++
			}
			for _, c := range realChecks {
				if c.match.MatchString(rel) {
					c.check(t, root, rel, m)
					counts[c.name]++
				}
			}
		})
	}
	// Every check whose dataset is present ran at least once, so a broken path
	// pattern cannot hide.
	for _, c := range realChecks {
		if _, err := os.Stat(filepath.Join(root, c.dataset)); err == nil && counts[c.name] == 0 {
			t.Errorf("check %q matched no file under %s", c.name, root)
		}
	}
	t.Logf("%d files under %s; checks run: %v", len(files), root, counts)
}

// checkAgainstXTIFF compares page 0 of a TIFF with golang.org/x/image/tiff's decoding.
func checkAgainstXTIFF(t *testing.T, path string, m *Image) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := xtiff.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("x/image/tiff cannot decode it: %v", err)
	}
	want := fromGoImage(t, img, m.Channels())
	page := m.Data[:m.Height()*m.Width()*m.Channels()]
	if i := firstDiff(page, want); i >= 0 {
		t.Fatalf("page 0 sample %d = %v, x/image/tiff gives %v", i, page[i], want[i])
	}
}

type realCheck struct {
	name, dataset string
	match         *regexp.Regexp
	check         func(t *testing.T, root, rel string, m *Image)
}

func wantShape(t *testing.T, m *Image, dt DType, shape ...int) {
	t.Helper()
	if !slices.Equal(m.Shape, shape) || m.DType != dt {
		t.Fatalf("shape %v %v, want %v %v", m.Shape, m.DType, shape, dt)
	}
}

func minMax(v []float32) (lo, hi float32) {
	lo, hi = v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// distinctNonZero returns the number of distinct non-zero values.
func distinctNonZero(v []float32) int {
	seen := map[float32]bool{}
	for _, x := range v {
		if x != 0 {
			seen[x] = true
		}
	}
	return len(seen)
}

func checkBinary255(t *testing.T, m *Image) {
	t.Helper()
	ones := 0
	for i, v := range m.Data {
		if v != 0 && v != 255 {
			t.Fatalf("label sample %d = %v, want 0 or 255", i, v)
		}
		if v == 255 {
			ones++
		}
	}
	if f := float64(ones) / float64(len(m.Data)); f < 0.6 || f > 0.9 {
		t.Fatalf("interior fraction %.3f, README says about 0.78", f)
	}
}

var isbiStack = regexp.MustCompile(`_z(\d\d)-(\d\d)\.tif$`)

var realChecks = []realCheck{
	{"isbi png", "isbi2012_membranes", regexp.MustCompile(`^isbi2012_membranes/.*\.png$`), func(t *testing.T, _, rel string, m *Image) {
		wantShape(t, m, Uint8, 512, 512, 1)
		if strings.Contains(rel, "/label/") {
			checkBinary255(t, m)
		} else if lo, hi := minMax(m.Data); hi-lo < 100 {
			t.Fatalf("raw EM slice spans only [%v, %v]", lo, hi)
		}
	}},
	{"isbi 3d stack = png slices", "isbi2012_membranes_3d", regexp.MustCompile(`^isbi2012_membranes_3d/.*\.tif$`), func(t *testing.T, root, rel string, m *Image) {
		g := isbiStack.FindStringSubmatch(rel)
		if g == nil {
			t.Fatalf("unexpected name %s", rel)
		}
		z0, _ := strconv.Atoi(g[1])
		z1, _ := strconv.Atoi(g[2])
		wantShape(t, m, Uint8, z1-z0+1, 512, 512, 1)
		if strings.Contains(rel, "/label/") {
			checkBinary255(t, m)
		}
		parts := strings.Split(rel, "/") // isbi2012_membranes_3d/<split>/<kind>/file
		compared := 0
		for z := range m.Depth() {
			png := filepath.Join(root, "isbi2012_membranes", parts[1], parts[2], fmt.Sprintf("slice_%02d.png", z0+z))
			if _, err := os.Stat(png); err != nil {
				continue
			}
			s, err := ReadPNG(png)
			if err != nil {
				t.Fatal(err)
			}
			n := len(s.Data)
			if i := firstDiff(m.Data[z*n:(z+1)*n], s.Data); i >= 0 {
				t.Fatalf("z %d sample %d = %v, %s has %v", z, i, m.Data[z*n+i], png, s.Data[i])
			}
			compared++
		}
		if compared == 0 {
			t.Fatal("no PNG slice found to compare with")
		}
	}},
	{"bbbc039 raw", "bbbc039_nuclei", regexp.MustCompile(`^bbbc039_nuclei/(train|test)/raw/.*\.tif$`), func(t *testing.T, _, _ string, m *Image) {
		wantShape(t, m, Uint16, 520, 696, 1)
		if lo, hi := minMax(m.Data); lo < 100 || hi > 4095 || hi < 1000 {
			t.Fatalf("values [%v, %v], README says about 120..4095 (12-bit)", lo, hi)
		}
	}},
	{"bbbc039 label = mask png", "bbbc039_nuclei", regexp.MustCompile(`^bbbc039_nuclei/(train|test)/label/.*\.tif$`), func(t *testing.T, root, rel string, m *Image) {
		wantShape(t, m, Uint16, 520, 696, 1)
		if n := distinctNonZero(m.Data); n < 53 || n > 143 {
			t.Fatalf("%d instances, README says 53..143", n)
		}
		parts := strings.Split(rel, "/")
		png := filepath.Join(root, "bbbc039_nuclei", "original_masks", parts[1], strings.TrimSuffix(parts[3], ".tif")+".png")
		mask, err := ReadPNG(png)
		if err != nil {
			t.Fatalf("original mask: %v", err)
		}
		for i, v := range m.Data {
			if (v > 0) != (mask.Data[4*i] > 0) {
				t.Fatalf("pixel %d: label %v, original mask red %v", i, v, mask.Data[4*i])
			}
		}
	}},
	{"bbbc039 mask png", "bbbc039_nuclei", regexp.MustCompile(`^bbbc039_nuclei/original_masks/.*\.png$`), func(t *testing.T, _, _ string, m *Image) {
		wantShape(t, m, Uint8, 520, 696, 4)
		for i := 0; i < len(m.Data); i += 4 {
			if r, g, b, a := m.Data[i], m.Data[i+1], m.Data[i+2], m.Data[i+3]; r > 3 || g != 0 || b != 0 || a != 255 {
				t.Fatalf("pixel %d = (%v %v %v %v), README says R in 0..3, G=B=0, A=255", i/4, r, g, b, a)
			}
		}
	}},
	{"dsb2018", "dsb2018_nuclei_sample", regexp.MustCompile(`^dsb2018_nuclei_sample/`), func(t *testing.T, _, rel string, m *Image) {
		wantShape(t, m, Uint16, 512, 512, 1)
		lo, hi := minMax(m.Data)
		if strings.Contains(rel, "/label/") {
			if n := distinctNonZero(m.Data); n != 125 || hi != 183 {
				t.Fatalf("%d objects, max id %v; README says 125 and 183", n, hi)
			}
		} else if lo != 0 || hi != 235 {
			t.Fatalf("values [%v, %v], README says 0..235", lo, hi)
		}
	}},
	{"skimage", "skimage_microscopy_samples", regexp.MustCompile(`^skimage_microscopy_samples/`), func(t *testing.T, _, rel string, m *Image) {
		if strings.HasSuffix(rel, "ihc.png") {
			wantShape(t, m, Uint8, 512, 512, 3)
		} else {
			wantShape(t, m, Uint8, 660, 550, 1)
		}
		if lo, hi := minMax(m.Data); hi-lo < 100 {
			t.Fatalf("values span only [%v, %v]", lo, hi)
		}
	}},
}
