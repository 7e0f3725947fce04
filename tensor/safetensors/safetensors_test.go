package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

// rawFile assembles a safetensors file from a literal header and data section.
func rawFile(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

// le packs values little-endian.
func le(vals ...any) []byte {
	var b bytes.Buffer
	for _, v := range vals {
		if err := binary.Write(&b, binary.LittleEndian, v); err != nil {
			panic(err)
		}
	}
	return b.Bytes()
}

// sameBits reports whether a and b are bitwise equal (so NaN equals NaN).
func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

func TestRoundTrip(t *testing.T) {
	base := tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	tests := []struct {
		name    string
		tensors map[string]*tensor.Tensor
		meta    map[string]string
	}{
		{"empty", map[string]*tensor.Tensor{}, nil},
		{"nil map and metadata", nil, map[string]string{"format": "pt", "epoch": "3", "x<&>": "é\"\n"}},
		{"scalar", map[string]*tensor.Tensor{"loss": tensor.Scalar(0.25)}, nil},
		{"mixed", map[string]*tensor.Tensor{
			"b.weight":   base,
			"a.bias":     tensor.FromSlice([]float32{-1, float32(math.Inf(1)), float32(math.NaN())}, 3),
			"transposed": base.Transpose(0, 1),
			"sliced":     base.Slice(1, 1, 3),
			"empty":      tensor.FromSlice([]float32{}, 0, 4),
			"5d":         tensor.Full(tensor.CPU{}, 7, 1, 2, 1, 2, 1),
			"zero-d":     tensor.Scalar(-3),
		}, map[string]string{"k": "v"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tt.tensors, tt.meta); err != nil {
				t.Fatal(err)
			}
			if n := binary.LittleEndian.Uint64(buf.Bytes()); n%8 != 0 {
				t.Errorf("header length %d is not a multiple of 8", n)
			}
			first := slices.Clone(buf.Bytes())
			f, err := Read(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Tensors) != len(tt.tensors) || len(f.Order) != len(tt.tensors) {
				t.Fatalf("got %d tensors, order %v; want %d", len(f.Tensors), f.Order, len(tt.tensors))
			}
			if !slices.IsSorted(f.Order) {
				t.Errorf("order %v is not sorted", f.Order)
			}
			for name, want := range tt.tensors {
				got := f.Tensors[name]
				if got == nil {
					t.Fatalf("tensor %q missing", name)
				}
				if !slices.Equal(got.Shape(), want.Shape()) || !sameBits(got.Values(), want.Values()) {
					t.Errorf("tensor %q: got %v %v, want %v %v", name, got.Shape(), got.Values(), want.Shape(), want.Values())
				}
				if f.DTypes[name] != "F32" {
					t.Errorf("tensor %q: dtype %q", name, f.DTypes[name])
				}
			}
			if len(f.Metadata) != len(tt.meta) {
				t.Errorf("metadata %v, want %v", f.Metadata, tt.meta)
			}
			for k, v := range tt.meta {
				if f.Metadata[k] != v {
					t.Errorf("metadata[%q] = %q, want %q", k, f.Metadata[k], v)
				}
			}
			// Deterministic: writing what was read gives the same bytes.
			var again bytes.Buffer
			if err := Write(&again, f.Tensors, f.Metadata); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first, again.Bytes()) {
				t.Errorf("rewrite differs:\n%q\n%q", first, again.Bytes())
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name    string
		tensors map[string]*tensor.Tensor
		meta    map[string]string
		want    string
	}{
		{"nil tensor", map[string]*tensor.Tensor{"w": nil}, nil, `"w" is nil`},
		{"reserved name", map[string]*tensor.Tensor{"__metadata__": tensor.Scalar(1)}, nil, "reserved"},
		{"bad utf8 name", map[string]*tensor.Tensor{"\xff": tensor.Scalar(1)}, nil, "UTF-8"},
		{"bad utf8 metadata", nil, map[string]string{"k": "\xff"}, "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Write(&bytes.Buffer{}, tt.tensors, tt.meta)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestReadDTypes(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	tests := []struct {
		dtype string
		data  []byte
		want  []float32
	}{
		{"F32", le(float32(1.5), float32(-2), inf, nan), []float32{1.5, -2, inf, nan}},
		{"F64", le(1.5, -2.0, 1e300, 0.1), []float32{1.5, -2, inf, 0.1}},
		// 1, -2, 65504 (max), 2^-24 (smallest subnormal), -0, +Inf, 1/3 rounded, NaN.
		{"F16", le(uint16(0x3C00), uint16(0xC000), uint16(0x7BFF), uint16(0x0001), uint16(0x8000), uint16(0x7C00), uint16(0x3555), uint16(0x7E00)),
			[]float32{1, -2, 65504, 1.0 / (1 << 24), float32(math.Copysign(0, -1)), inf, 0.333251953125, float32(math.Float32frombits(0x7fc00000))}},
		{"BF16", le(uint16(0x3F80), uint16(0xC040), uint16(0x4049), uint16(0x7F80)), []float32{1, -3, 3.140625, inf}},
		{"I64", le(int64(0), int64(-7), int64(1<<24), int64(-1<<24)), []float32{0, -7, 1 << 24, -1 << 24}},
		{"I32", le(int32(5), int32(-1), int32(1<<24), int32(-1<<24)), []float32{5, -1, 1 << 24, -1 << 24}},
		{"I16", le(int16(-32768), int16(32767), int16(0), int16(-1)), []float32{-32768, 32767, 0, -1}},
		{"I8", le(int8(-128), int8(127), int8(0), int8(-1)), []float32{-128, 127, 0, -1}},
		{"U8", []byte{0, 255, 1, 128}, []float32{0, 255, 1, 128}},
		{"BOOL", []byte{0, 1, 1, 0}, []float32{0, 1, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.dtype, func(t *testing.T) {
			header := `{"x":{"dtype":"` + tt.dtype + `","shape":[2,` + strconv.Itoa(len(tt.want)/2) + `],"data_offsets":[0,` + strconv.Itoa(len(tt.data)) + `]}}`
			f, err := Read(bytes.NewReader(rawFile(header, tt.data)))
			if err != nil {
				t.Fatal(err)
			}
			x := f.Tensors["x"]
			if !slices.Equal(x.Shape(), []int{2, len(tt.want) / 2}) || f.DTypes["x"] != tt.dtype {
				t.Fatalf("shape %v dtype %q", x.Shape(), f.DTypes["x"])
			}
			if !sameBits(x.Values(), tt.want) {
				t.Errorf("got %v, want %v", x.Values(), tt.want)
			}
		})
	}
}

func TestReadHeaderVariants(t *testing.T) {
	data := le(float32(1), float32(2), float32(3))
	tests := []struct {
		name   string
		header string
		order  []string
		meta   map[string]string
	}{
		{"order follows data, not the header", `{"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`,
			[]string{"a", "b"}, nil},
		{"null metadata and padding", `{"__metadata__":null,"z":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}` + "   \n\t",
			[]string{"z"}, nil},
		{"metadata last, zero-size tensor", `{"e":{"dtype":"F32","shape":[2,0],"data_offsets":[12,12]},"z":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"__metadata__":{"a":"b"}}`,
			[]string{"z", "e"}, map[string]string{"a": "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Read(bytes.NewReader(rawFile(tt.header, data)))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.Order, tt.order) {
				t.Errorf("order %v, want %v", f.Order, tt.order)
			}
			if len(f.Metadata) != len(tt.meta) || f.Metadata["a"] != tt.meta["a"] {
				t.Errorf("metadata %v, want %v", f.Metadata, tt.meta)
			}
			var all []float32
			for _, name := range f.Order {
				all = append(all, f.Tensors[name].Values()...)
			}
			if !slices.Equal(all, []float32{1, 2, 3}) {
				t.Errorf("values in order %v", all)
			}
		})
	}
}
