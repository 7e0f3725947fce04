package safetensors

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// corruptCases are malformed files with a substring their error must contain.
func corruptCases() []struct {
	name string
	file []byte
	want string
} {
	f32x2 := le(float32(1), float32(2))
	hdr := func(entries string) string { return "{" + entries + "}" }
	one := func(name, dtype, shape, offsets string) string {
		return `"` + name + `":{"dtype":"` + dtype + `","shape":` + shape + `,"data_offsets":` + offsets + `}`
	}
	huge := make([]byte, 8)
	binary.LittleEndian.PutUint64(huge, 1<<40)
	return []struct {
		name string
		file []byte
		want string
	}{
		{"empty file", nil, "header length"},
		{"short length field", []byte{8, 0, 0}, "header length"},
		{"header length over limit", append(huge, "{}"...), "limit"},
		{"truncated header", rawFile(hdr(one("w", "F32", "[2]", "[0,8]")), f32x2)[:20], "header length"},
		{"bad JSON", rawFile(`{"w":{"dtype":"F32",`, nil), "header"},
		{"not an object", rawFile(`[1, 2]`, nil), "want an object"},
		{"trailing garbage", rawFile(`{} x`, nil), "unexpected bytes"},
		{"unknown dtype", rawFile(hdr(one("w", "U16", "[2]", "[0,4]")), f32x2[:4]), `"w": unsupported dtype "U16"`},
		{"missing dtype", rawFile(`{"w":{"shape":[2],"data_offsets":[0,8]}}`, f32x2), `"w": missing dtype`},
		{"missing shape", rawFile(`{"w":{"dtype":"F32","data_offsets":[0,8]}}`, f32x2), `"w": missing shape`},
		{"null entry", rawFile(`{"w":null}`, nil), `"w": is null`},
		{"unknown field", rawFile(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, f32x2), `"w": json: unknown field`},
		{"negative dim", rawFile(hdr(one("w", "F32", "[-2]", "[0,8]")), f32x2), `"w": shape [-2]`},
		{"shape overflow", rawFile(hdr(one("w", "F32", "[4294967296,4294967296]", "[0,8]")), f32x2), `"w": shape`},
		{"one offset", rawFile(hdr(one("w", "F32", "[2]", "[8]")), f32x2), `"w": data_offsets [8]`},
		{"reversed offsets", rawFile(hdr(one("w", "F32", "[0]", "[8,0]")), f32x2), `"w": data_offsets [8 0]`},
		{"wrong byte count", rawFile(hdr(one("w", "F32", "[3]", "[0,8]")), f32x2), `"w": data_offsets [0 8]: 8 bytes, shape [3] of F32 needs 12`},
		{"offsets past data", rawFile(hdr(one("w", "F32", "[4]", "[0,16]")), f32x2), "cover 16 bytes, file holds 8"},
		{"truncated data", rawFile(hdr(one("w", "F32", "[2]", "[0,8]")), f32x2[:5]), "cover 8 bytes, file holds 5"},
		{"extra data", rawFile(hdr(one("w", "F32", "[2]", "[0,8]")), append(f32x2, 0)), "cover 8 bytes, file holds 9"},
		{"overlapping offsets", rawFile(hdr(one("a", "F32", "[2]", "[0,8]")+","+one("b", "F32", "[1]", "[4,8]")), f32x2), `"b": data_offsets [4 8] overlap`},
		{"gap", rawFile(hdr(one("a", "F32", "[1]", "[0,4]")+","+one("b", "F32", "[0]", "[8,8]")), f32x2), `"b": data_offsets [8 8] leave a gap`},
		{"duplicate name", rawFile(hdr(one("a", "F32", "[1]", "[0,4]")+","+one("a", "F32", "[1]", "[4,8]")), f32x2), `duplicate entry "a"`},
		{"metadata not strings", rawFile(`{"__metadata__":{"epoch":3}}`, nil), "__metadata__"},
		{"I64 too large", rawFile(hdr(one("ids", "I64", "[1]", "[0,8]")), le(int64(1<<24+1))), `"ids": I64 value 16777217`},
		{"I32 too small", rawFile(hdr(one("ids", "I32", "[1]", "[0,4]")), le(int32(-1<<24-1))), `"ids": I32 value -16777217`},
		{"bad BOOL", rawFile(hdr(one("m", "BOOL", "[1]", "[0,1]")), []byte{2}), `"m": BOOL byte 2`},
	}
}

func TestReadCorrupt(t *testing.T) {
	for _, tt := range corruptCases() {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Read(bytes.NewReader(tt.file))
			if err == nil {
				t.Fatalf("no error; got %d tensors", len(f.Tensors))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestFileErrorsNamePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	if err := os.WriteFile(path, rawFile(`{"w":{"dtype":"Q8","shape":[],"data_offsets":[0,1]}}`, []byte{0}), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `tensor "w"`) {
		t.Errorf("error %v: want the path %s and the tensor name", err, path)
	}
	missing := filepath.Join(t.TempDir(), "missing.safetensors")
	if _, err := ReadFile(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("error %v: want the path %s", err, missing)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	w := map[string]*tensor.Tensor{"w": tensor.FromSlice([]float32{1, 2}, 2)}
	if err := WriteFile(path, w, map[string]string{"epoch": "1"}); err != nil {
		t.Fatal(err)
	}
	// A failing write (nil tensor) leaves the old file and no temporary behind.
	if err := WriteFile(path, map[string]*tensor.Tensor{"w": nil}, nil); err == nil {
		t.Fatal("no error for a nil tensor")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "ckpt.safetensors" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %v, want only ckpt.safetensors", names)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Tensors["w"].Values(); len(got) != 2 || got[1] != 2 || f.Metadata["epoch"] != "1" {
		t.Errorf("read back %v %v", got, f.Metadata)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", info.Mode().Perm())
	}
	if err := WriteFile(filepath.Join(dir, "no/such/dir/x.safetensors"), w, nil); err == nil {
		t.Error("no error writing into a missing directory")
	}
}

// FuzzRead checks that Read never panics and that whatever it accepts survives a
// Write/Read round trip unchanged.
func FuzzRead(f *testing.F) {
	var valid bytes.Buffer
	err := Write(&valid, map[string]*tensor.Tensor{
		"a": tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3),
		"b": tensor.Scalar(7),
		"c": tensor.FromSlice([]float32{}, 0),
	}, map[string]string{"k": "v"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid.Bytes())
	for _, c := range corruptCases() {
		f.Add(c.file)
	}
	f.Add(rawFile(`{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"i":{"dtype":"I64","shape":[1],"data_offsets":[4,12]}}`,
		le(uint16(0x3C00), uint16(0x0001), int64(-5))))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		if len(file.Order) != len(file.Tensors) || len(file.DTypes) != len(file.Tensors) {
			t.Fatalf("order %d, dtypes %d, tensors %d", len(file.Order), len(file.DTypes), len(file.Tensors))
		}
		var buf bytes.Buffer
		if err := Write(&buf, file.Tensors, file.Metadata); err != nil {
			t.Fatalf("rewrite: %v", err)
		}
		again, err := Read(&buf)
		if err != nil {
			t.Fatalf("reread: %v", err)
		}
		for name, x := range file.Tensors {
			y := again.Tensors[name]
			if y == nil || !x.SameShape(y) || !sameBits(x.Values(), y.Values()) {
				t.Fatalf("tensor %q changed in the round trip", name)
			}
		}
	})
}
