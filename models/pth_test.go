package models

import (
	"archive/zip"
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/nn"
	"github.com/selfsup/selfsup/tensor"
)

// The .pth files under testdata/pth were written by Debian's PyTorch 1.13 with
// examples/pth/make_pth.py.

func TestReadPTHTensors(t *testing.T) {
	f, err := ReadPTH("testdata/pth/tensors.pth")
	if err != nil {
		t.Fatal(err)
	}
	base := make([]float32, 24) // torch.arange(24).reshape(4, 6) / 8 - 1
	for i := range base {
		base[i] = float32(i)/8 - 1
	}
	at := func(r, c int) float32 { return base[r*6+c] }
	var transposed, offset []float32
	for c := range 6 {
		for r := range 4 {
			transposed = append(transposed, at(r, c))
		}
	}
	for r := 1; r < 4; r++ {
		for c := 2; c < 5; c++ {
			offset = append(offset, at(r, c))
		}
	}
	cases := []struct {
		key, dtype string
		shape      []int
		want       []float32
	}{
		{"f32", "float32", []int{2, 3}, []float32{1.5, -2, 3.25, 0, 1e-3, -7}},
		{"transposed", "float32", []int{6, 4}, transposed},
		{"offset_view", "float32", []int{3, 3}, offset},
		{"shared_a", "float32", []int{4}, []float32{1, 1.5, 2, 2.5}},
		{"shared_b", "float32", []int{2, 3}, []float32{0, 1, 2, 2.5, 3.5, 4.5}},
		{"f64", "float64", []int{2, 2}, []float32{0.1, -0.2, 1e10, 3}},
		{"f16", "float16", []int{5}, []float32{1, -0.5, 65504, 6.1035156e-05, 5.9604645e-08}},
		{"bf16", "bfloat16", []int{4}, []float32{1, -3.5, 1.00025555e30, 0.0078125}},
		{"i64", "int64", []int{4}, []float32{0, -3, 1 << 20, 123456}},
		{"bool", "bool", []int{3}, []float32{1, 0, 1}},
		{"scalar", "float32", []int{}, []float32{3.5}},
	}
	if len(f.Tensors) != len(cases) || f.Wrapper != "" {
		t.Fatalf("%d tensors (order %v), wrapper %q; want %d, \"\"", len(f.Tensors), f.Order, f.Wrapper, len(cases))
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			x, ok := f.Tensors[c.key]
			if !ok {
				t.Fatalf("missing; have %v", f.Order)
			}
			if !slices.Equal(x.Shape(), c.shape) || f.DTypes[c.key] != c.dtype {
				t.Fatalf("shape %v dtype %s, want %v %s", x.Shape(), f.DTypes[c.key], c.shape, c.dtype)
			}
			got := x.Values()
			for i := range got {
				if d := math.Abs(float64(got[i] - c.want[i])); d > 1e-6*math.Max(1, math.Abs(float64(c.want[i]))) {
					t.Fatalf("values %v, want %v", got, c.want)
				}
			}
		})
	}
}

func TestReadPTHUNetMatchesPyTorch(t *testing.T) {
	f, err := ReadPTH("testdata/pth/unet_small.pth")
	if err != nil {
		t.Fatal(err)
	}
	io, err := ReadPTH("testdata/pth/unet_small_io.pth")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewUNet(UNetOptions{FeatureMaps: []int{4, 8}}, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Transfer(m, f.Tensors, TransferOptions{Strict: true, KeepHead: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Loaded) != len(m.Params()) || len(f.Order) != len(m.Params()) {
		t.Fatalf("loaded %d of %d (file has %d)\n%v", len(rep.Loaded), len(m.Params()), len(f.Order), rep)
	}
	for i, p := range m.Params() { // same registration order as PyTorch
		if f.Order[i] != p.Name {
			t.Fatalf("entry %d: file %s, model %s", i, f.Order[i], p.Name)
		}
	}
	nn.SetTraining(m, false)
	got := m.Forward(nil, nn.NewVar(io.Tensors["input"])).Value.Values()
	want := io.Tensors["output"].Values()
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-5 {
			t.Fatalf("output[%d] = %g, PyTorch %g", i, got[i], want[i])
		}
	}
}

func TestReadPTHBiaPyCheckpoint(t *testing.T) {
	ck, err := ReadPTH("testdata/pth/biapy_ckpt.pth")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := ReadPTH("testdata/pth/unet_small.pth")
	if err != nil {
		t.Fatal(err)
	}
	if ck.Wrapper != "model" || ck.Meta["epoch"] != "best" || ck.Meta["biapy_version"] != "3.5.13" {
		t.Fatalf("wrapper %q meta %v", ck.Wrapper, ck.Meta)
	}
	if !slices.Equal(ck.Order, plain.Order) {
		t.Fatalf("keys %v, want %v (module. prefix stripped)", ck.Order, plain.Order)
	}
	for _, k := range plain.Order {
		if !slices.Equal(ck.Tensors[k].Values(), plain.Tensors[k].Values()) {
			t.Fatalf("%s differs", k)
		}
	}
	if ck.DTypes["down_path.0.block.0.block.1.num_batches_tracked"] != "int64" ||
		ck.Tensors["down_path.0.block.0.block.1.num_batches_tracked"].Item() != 7 {
		t.Fatalf("num_batches_tracked: %s %v", ck.DTypes["down_path.0.block.0.block.1.num_batches_tracked"],
			ck.Tensors["down_path.0.block.0.block.1.num_batches_tracked"])
	}
	// TransferFile takes the .pth directly.
	m, err := NewUNet(UNetOptions{FeatureMaps: []int{4, 8}, OutChannels: 2}, tensor.NewRNG(1))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := TransferFile(m, "testdata/pth/biapy_ckpt.pth", TransferOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Reinitialised) != 2 || len(rep.Loaded) != len(plain.Order)-2 || len(rep.Missing)+len(rep.Unexpected) != 0 {
		t.Fatal(rep)
	}
}

// rezip copies the zip at path to a new file, passing each entry through edit
// (returning nil drops the entry).
func rezip(t *testing.T, path string, edit func(name string, b []byte) []byte) string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, zf := range zr.File {
		b, err := readZip(zf)
		if err != nil {
			t.Fatal(err)
		}
		if b = edit(zf.Name, b); b == nil {
			continue
		}
		w, _ := zw.Create(zf.Name)
		w.Write(b)
	}
	zw.Close()
	out := filepath.Join(t.TempDir(), "edited.pth")
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReadPTHErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pth")
	os.WriteFile(garbage, []byte("\x80\x02not a zip"), 0o644)
	src := "testdata/pth/tensors.pth"
	cases := []struct {
		name, path string
		want       []string
	}{
		{"not a zip", garbage, []string{"garbage.pth", "not a PyTorch zip checkpoint"}},
		{"missing file", filepath.Join(dir, "nope.pth"), []string{"nope.pth"}},
		{"missing storage", rezip(t, src, func(n string, b []byte) []byte {
			if n == "tensors/data/0" {
				return nil
			}
			return b
		}), []string{"edited.pth", "key f32", "data/0 missing"}},
		{"short storage", rezip(t, src, func(n string, b []byte) []byte {
			if n == "tensors/data/0" {
				return b[:8]
			}
			return b
		}), []string{"key f32", "storage data/0 has 2"}},
		{"truncated pickle", rezip(t, src, func(n string, b []byte) []byte {
			if strings.HasSuffix(n, "data.pkl") {
				return b[:len(b)/2]
			}
			return b
		}), []string{"edited.pth", "data.pkl", "pickle"}},
		{"no data.pkl", rezip(t, src, func(n string, b []byte) []byte {
			if strings.HasSuffix(n, "data.pkl") {
				return nil
			}
			return b
		}), []string{"no data.pkl"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadPTH(c.path)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestUnpickleOpcodes(t *testing.T) {
	// Protocol 4 framing, memo and STACK_GLOBAL; LONG1, BINFLOAT, BININT, nested
	// containers and an unknown class, as {"a": [-129, 2.5, None, True], "b": obj}.
	p := []byte("\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00" +
		"}\x94(\x8c\x01a\x94]\x94(\x8a\x02\x7f\xffG@\x04\x00\x00\x00\x00\x00\x00N\x88e" +
		"\x8c\x01b\x8c\x03foo\x94\x8c\x03Bar\x94\x93)\x81}\x8c\x01x\x94J\xff\xff\xff\xffsbu.")
	v, err := unpickle(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := v.(*pyDict)
	if !ok {
		t.Fatalf("%T", v)
	}
	a, _ := d.get("a")
	l, ok := a.(*pyList)
	if !ok || len(l.Items) != 4 || l.Items[0] != int64(-129) || l.Items[1] != 2.5 || l.Items[2] != nil || l.Items[3] != true {
		t.Fatalf("a = %#v", a)
	}
	b, _ := d.get("b")
	o, ok := b.(*pyObject)
	if !ok || o.Class != (pyGlobal{"foo", "Bar"}) {
		t.Fatalf("b = %#v", b)
	}
	if st, ok := o.State.(*pyDict); !ok || st.Values[0] != int64(-1) {
		t.Fatalf("b state = %#v", o.State)
	}
	for _, bad := range []string{"", "\x80\x02", "\x80\x02h\x05.", "\x80\x02\xff.", "\x80\x02e."} {
		if _, err := unpickle([]byte(bad), nil); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
