package data

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/selfsup/selfsup/tensor"
)

func TestDType(t *testing.T) {
	for _, tc := range []struct {
		d    DType
		name string
		bits int
		cast [3]float32 // Cast(-3.7), Cast(2.9), Cast(1e10)
	}{
		{Uint8, "uint8", 8, [3]float32{0, 2, 255}},
		{Int8, "int8", 8, [3]float32{-3, 2, 127}},
		{Uint16, "uint16", 16, [3]float32{0, 2, 65535}},
		{Int16, "int16", 16, [3]float32{-3, 2, 32767}},
		{Uint32, "uint32", 32, [3]float32{0, 2, math.MaxUint32}},
		{Int32, "int32", 32, [3]float32{-3, 2, math.MaxInt32}},
		{Float32, "float32", 32, [3]float32{-3.7, 2.9, 1e10}},
		{Float64, "float64", 64, [3]float32{-3.7, 2.9, 1e10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.d.String() != tc.name || tc.d.Bits() != tc.bits {
				t.Fatalf("String %q Bits %d", tc.d.String(), tc.d.Bits())
			}
			got := [3]float32{tc.d.Cast(-3.7), tc.d.Cast(2.9), tc.d.Cast(1e10)}
			if got != tc.cast {
				t.Fatalf("Cast = %v, want %v", got, tc.cast)
			}
			if tc.d.IsInteger() && tc.d.Cast(float32(math.NaN())) != 0 {
				t.Fatal("Cast(NaN) != 0")
			}
		})
	}
	if InvalidDType.String() != "invalid" || DType(99).String() != "DType(99)" {
		t.Fatal("invalid dtype names")
	}
}

func TestImageTensorAndIndex(t *testing.T) {
	m := NewImage(Uint16, 2, 3, 4, 5)
	if !m.Is3D() || m.Depth() != 2 || m.Height() != 3 || m.Width() != 4 || m.Channels() != 5 {
		t.Fatalf("accessors of %v", m.Shape)
	}
	m.Data[m.Index(1, 2, 3, 4)] = 7
	if m.Data[len(m.Data)-1] != 7 {
		t.Fatal("Index of the last sample is not the last position")
	}
	x := m.ToTensor()
	if !slices.Equal(x.Shape(), m.Shape) || x.Data()[len(m.Data)-1] != 7 {
		t.Fatalf("ToTensor shape %v", x.Shape())
	}
	x.Data()[0] = 3 // shares memory
	if m.Data[0] != 3 {
		t.Fatal("ToTensor copied the data")
	}
	back := ImageFromTensor(x, Uint16)
	if !slices.Equal(back.Shape, m.Shape) || back.DType != Uint16 || &back.Data[0] != &m.Data[0] {
		t.Fatal("ImageFromTensor of a contiguous CPU tensor should share the data")
	}
	// A permuted (non-contiguous) view is copied in row-major order.
	y := tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3, 1).Permute(1, 0, 2)
	p := ImageFromTensor(y, Float32)
	if !slices.Equal(p.Shape, []int{3, 2, 1}) || !slices.Equal(p.Data, []float32{1, 4, 2, 5, 3, 6}) {
		t.Fatalf("permuted: %v %v", p.Shape, p.Data)
	}
	c := m.Clone()
	c.Data[0] = 9
	if m.Data[0] == 9 {
		t.Fatal("Clone shares data")
	}
	m2 := NewImage(Uint8, 3, 4, 1)
	if m2.Is3D() || m2.Depth() != 1 || m2.Index(0, 2, 3, 0) != 11 {
		t.Fatal("2-D accessors")
	}
}

func TestNewImagePanics(t *testing.T) {
	for _, shape := range [][]int{{2, 2}, {1, 2, 3, 4, 5}, {2, 0, 1}} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(r.(string), "data: NewImage: shape") {
					t.Errorf("NewImage(%v): panic %v", shape, r)
				}
			}()
			NewImage(Uint8, shape...)
		}()
	}
}

func TestReadWriteImageDispatch(t *testing.T) {
	dir := t.TempDir()
	m := NewImage(Uint8, 4, 5, 1)
	m.Data = seq(len(m.Data))
	for _, name := range []string{"a.tif", "b.TIFF", "c.png"} {
		path := filepath.Join(dir, name)
		if err := WriteImage(path, m); err != nil {
			t.Fatal(err)
		}
		back, err := ReadImage(path)
		if err != nil || !slices.Equal(back.Shape, m.Shape) || firstDiff(back.Data, m.Data) >= 0 {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if err := WriteImage(filepath.Join(dir, "d.jpg"), m); err == nil || !strings.Contains(err.Error(), "d.jpg") {
		t.Fatalf("WriteImage .jpg: %v", err)
	}
	if _, err := ReadImage(filepath.Join(dir, "d.jpg")); err == nil || !strings.Contains(err.Error(), "d.jpg") {
		t.Fatalf("ReadImage .jpg: %v", err)
	}
}
