package data

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeTestImages writes each name → image into dir (created), by extension.
func writeTestImages(t *testing.T, dir string, imgs map[string]*Image) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, m := range imgs {
		if err := WriteImage(filepath.Join(dir, name), m); err != nil {
			t.Fatal(err)
		}
	}
}

func filled(v float32, dt DType, shape ...int) *Image {
	m := NewImage(dt, shape...)
	for i := range m.Data {
		m.Data[i] = v
	}
	return m
}

func TestListImages(t *testing.T) {
	dir := t.TempDir()
	writeTestImages(t, dir, map[string]*Image{
		"b.tif": filled(1, Uint8, 4, 4, 1), "a.PNG": filled(2, Uint8, 4, 4, 1), "c.tiff": filled(3, Uint16, 4, 4, 1),
	})
	for _, junk := range []string{"notes.txt", ".hidden.tif"} {
		if err := os.WriteFile(filepath.Join(dir, junk), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.tif"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := ListImages(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.PNG", "b.tif", "c.tiff"}; !slices.Equal(got, want) {
		t.Errorf("ListImages = %v, want %v", got, want)
	}
	for _, d := range []string{t.TempDir(), filepath.Join(dir, "missing")} {
		if _, err := ListImages(d); err == nil || !strings.Contains(err.Error(), filepath.Base(d)) {
			t.Errorf("ListImages(%s) error %v, want one naming the folder", d, err)
		}
	}
}

func TestMatchLabels(t *testing.T) {
	cases := []struct {
		name        string
		raw, labels []string
		want        []string
		err         string
	}{
		{"by stem", []string{"a.tif", "b.png"}, []string{"a.png", "b.tif"}, []string{"a.png", "b.tif"}, ""},
		{"missing label", []string{"a.tif", "b.tif"}, []string{"a.tif"}, nil, "have no label in lab: b.tif"},
		{"extra label", []string{"a.tif"}, []string{"a.tif", "z.tif"}, nil, "have no image in raw: z.tif"},
		{"duplicate raw stem", []string{"a.png", "a.tif"}, []string{"a.tif"}, nil, "same name"},
		{"duplicate label stem", []string{"a.tif"}, []string{"a.png", "a.tif"}, nil, "same name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := MatchLabels("raw", c.raw, "lab", c.labels)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, c.want) {
				t.Errorf("MatchLabels = %v, %v, want %v", got, err, c.want)
			}
		})
	}
}

func TestLoadDir(t *testing.T) {
	root := t.TempDir()
	good := filepath.Join(root, "x")
	writeTestImages(t, good, map[string]*Image{
		"im1.tif": filled(1, Uint8, 32, 32, 1), "im2.tif": filled(2, Uint8, 40, 32, 1), "im3.png": filled(3, Uint16, 32, 48, 1),
	})
	labels := filepath.Join(root, "y")
	writeTestImages(t, labels, map[string]*Image{
		"im1.png": filled(1, Uint8, 32, 32, 1), "im2.tif": filled(1, Uint8, 40, 32, 1), "im3.tif": filled(1, Uint8, 32, 48, 2),
	})
	ds, err := LoadDir(context.Background(), good, LoadOptions{LabelDir: labels, Patch: []int{32, 32, 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Samples) != 3 || ds.Samples[1].Name != "im2.tif" || ds.Samples[1].Image.Data[0] != 2 ||
		ds.Samples[2].Image.DType != Uint16 || ds.Samples[2].Label.Channels() != 2 {
		t.Errorf("loaded %+v", ds.Samples)
	}

	cases := []struct {
		name string
		imgs map[string]*Image
		opts LoadOptions
		want string
	}{
		{"mixed 2D and 3D", map[string]*Image{"a.tif": filled(1, Uint8, 8, 8, 1), "b.tif": filled(1, Uint8, 2, 8, 8, 1)}, LoadOptions{}, "b.tif is 3-D"},
		{"channels", map[string]*Image{"a.tif": filled(1, Uint8, 8, 8, 1), "b.tif": filled(1, Uint8, 8, 8, 3)}, LoadOptions{}, "channel mismatch"},
		{"patch larger", map[string]*Image{"a.tif": filled(1, Uint8, 8, 8, 1), "b.tif": filled(1, Uint8, 8, 4, 1)}, LoadOptions{Patch: []int{8, 8, 1}}, "b.tif: patch size [8 8 1] larger than image"},
		{"patch channels", map[string]*Image{"a.tif": filled(1, Uint8, 8, 8, 1)}, LoadOptions{Patch: []int{8, 8, 3}}, "a.tif: image has 1 channels"},
		{"reflect allows small", map[string]*Image{"a.tif": filled(1, Uint8, 8, 4, 1)}, LoadOptions{Patch: []int{8, 8, 1}, ReflectToCompleteShape: true}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "imgs")
			writeTestImages(t, dir, c.imgs)
			_, err := LoadDir(context.Background(), dir, c.opts)
			if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
				t.Errorf("LoadDir error %v, want %q", err, c.want)
			}
		})
	}

	t.Run("label shape", func(t *testing.T) {
		lab := filepath.Join(root, "badlab")
		writeTestImages(t, lab, map[string]*Image{
			"im1.tif": filled(1, Uint8, 32, 32, 1), "im2.tif": filled(1, Uint8, 32, 32, 1), "im3.tif": filled(1, Uint8, 32, 48, 1),
		})
		if _, err := LoadDir(context.Background(), good, LoadOptions{LabelDir: lab}); err == nil || !strings.Contains(err.Error(), "im2.tif has shape") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("corrupt file named", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "bad.tif"), []byte("not a tiff"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadDir(context.Background(), dir, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "bad.tif") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := LoadDir(ctx, good, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "canceled") {
			t.Errorf("error %v", err)
		}
	})
}

func TestSplitIndices(t *testing.T) {
	cases := []struct {
		name      string
		n         int
		frac      float64
		random    bool
		wantTrain []int
		wantVal   []int
		err       string
	}{
		{"ordered", 10, 0.2, false, []int{0, 1, 2, 3, 4, 5, 6, 7}, []int{8, 9}, ""},
		{"ceil like sklearn", 10, 0.15, false, []int{0, 1, 2, 3, 4, 5, 6, 7}, []int{8, 9}, ""},
		{"none left", 3, 0.9, false, nil, nil, "leaves 0 for training"},
		{"bad fraction", 3, 0, false, nil, nil, "must be in (0, 1)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, va, err := SplitIndices(c.n, c.frac, c.random, 1)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || !slices.Equal(tr, c.wantTrain) || !slices.Equal(va, c.wantVal) {
				t.Errorf("SplitIndices = %v %v %v, want %v %v", tr, va, err, c.wantTrain, c.wantVal)
			}
		})
	}
	// Random: seeded, a partition, and not always the same items.
	tr1, va1, _ := SplitIndices(50, 0.1, true, 42)
	tr2, va2, _ := SplitIndices(50, 0.1, true, 42)
	_, va3, _ := SplitIndices(50, 0.1, true, 43)
	if !slices.Equal(va1, va2) || !slices.Equal(tr1, tr2) || slices.Equal(va1, va3) || len(va1) != 5 || len(tr1) != 45 {
		t.Errorf("random splits: %v / %v / %v", va1, va2, va3)
	}
	all := slices.Concat(tr1, va1)
	slices.Sort(all)
	for i, v := range all {
		if v != i {
			t.Fatalf("train ∪ val is not a partition of 0..49: %v", all)
		}
	}
}

func TestLoadTrainVal(t *testing.T) {
	root := t.TempDir()
	imgs := map[string]*Image{}
	for _, n := range []string{"a.tif", "b.tif", "c.tif", "d.tif"} {
		imgs[n] = filled(1, Uint8, 8, 8, 1)
	}
	writeTestImages(t, filepath.Join(root, "train"), imgs)
	writeTestImages(t, filepath.Join(root, "val"), map[string]*Image{"v.tif": filled(1, Uint8, 8, 8, 1)})
	writeTestImages(t, filepath.Join(root, "val3"), map[string]*Image{"v.tif": filled(1, Uint8, 8, 8, 3)})

	tr, va, err := LoadTrainVal(context.Background(), filepath.Join(root, "train"), LoadOptions{}, ValSource{FromTrain: true, Split: 0.25, Random: true, Seed: 3})
	if err != nil || len(tr.Samples) != 3 || len(va.Samples) != 1 {
		t.Fatalf("split: %v, %v, %v", tr, va, err)
	}
	tr, va, err = LoadTrainVal(context.Background(), filepath.Join(root, "train"), LoadOptions{}, ValSource{Dir: filepath.Join(root, "val")})
	if err != nil || len(tr.Samples) != 4 || len(va.Samples) != 1 || va.Samples[0].Name != "v.tif" {
		t.Fatalf("folder: %v, %v, %v", tr, va, err)
	}
	if _, va, err = LoadTrainVal(context.Background(), filepath.Join(root, "train"), LoadOptions{}, ValSource{}); err != nil || va != nil {
		t.Errorf("no validation: %v, %v", va, err)
	}
	if _, _, err = LoadTrainVal(context.Background(), filepath.Join(root, "train"), LoadOptions{}, ValSource{Dir: filepath.Join(root, "val3")}); err == nil || !strings.Contains(err.Error(), "channel mismatch") {
		t.Errorf("channel mismatch: %v", err)
	}
}
