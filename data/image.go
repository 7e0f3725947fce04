package data

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/selfsup/selfsup/tensor"
)

// DType is the sample type an [Image] was read from (or is to be written as). Samples
// are always held as float32 in memory; DType records the file's type so outputs can be
// written back in it. uint32, int32 and float64 samples beyond float32's 24-bit mantissa
// lose precision in memory.
type DType uint8

// The sample types of [DType]. The zero value is invalid.
const (
	InvalidDType DType = iota
	Uint8
	Int8
	Uint16
	Int16
	Uint32
	Int32
	Float32
	Float64
)

var dtypeNames = [...]string{"invalid", "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"}

// String returns the numpy name of d ("uint8", "float32", …).
func (d DType) String() string {
	if int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return fmt.Sprintf("DType(%d)", int(d))
}

// Bits returns the size of one sample of type d in bits (0 for an invalid type).
func (d DType) Bits() int {
	switch d {
	case Uint8, Int8:
		return 8
	case Uint16, Int16:
		return 16
	case Uint32, Int32, Float32:
		return 32
	case Float64:
		return 64
	}
	return 0
}

// IsInteger reports whether d is an integer type.
func (d DType) IsInteger() bool { return d >= Uint8 && d <= Int32 }

// Range returns the smallest and largest value representable by d (±MaxFloat for the
// float types).
func (d DType) Range() (lo, hi float64) {
	switch d {
	case Uint8:
		return 0, math.MaxUint8
	case Int8:
		return math.MinInt8, math.MaxInt8
	case Uint16:
		return 0, math.MaxUint16
	case Int16:
		return math.MinInt16, math.MaxInt16
	case Uint32:
		return 0, math.MaxUint32
	case Int32:
		return math.MinInt32, math.MaxInt32
	case Float32:
		return -math.MaxFloat32, math.MaxFloat32
	}
	return -math.MaxFloat64, math.MaxFloat64
}

// Cast converts v to a value representable by d the way numpy's astype does for
// in-range values: integer types truncate toward zero; out-of-range values saturate
// at the type's limits (numpy wraps instead) and NaN becomes 0. Float types return v.
func (d DType) Cast(v float32) float32 {
	if !d.IsInteger() {
		return v
	}
	if v != v {
		return 0
	}
	lo, hi := d.Range()
	f := math.Trunc(float64(v))
	if f < lo {
		f = lo
	} else if f > hi {
		f = hi
	}
	return float32(f)
}

// Image is a 2-D or 3-D multi-channel image: float32 samples in row-major order over
// Shape, which is [Y, X, C] for 2-D images and [Z, Y, X, C] for 3-D ones (channels
// last, as BiaPy's read_img_as_ndarray returns them). DType is the sample type of the
// file it came from, so it can be written back in that type.
type Image struct {
	Data  []float32 // samples in row-major order over Shape
	Shape []int     // [Y, X, C] or [Z, Y, X, C]
	DType DType     // sample type of the source file
}

// NewImage returns a zero image of the given dtype and shape ([Y, X, C] or
// [Z, Y, X, C]). It panics for other ranks or non-positive sizes.
func NewImage(dtype DType, shape ...int) *Image {
	n := imageNumel("NewImage", shape)
	return &Image{Data: make([]float32, n), Shape: slices.Clone(shape), DType: dtype}
}

func imageNumel(op string, shape []int) int {
	if len(shape) != 3 && len(shape) != 4 {
		panic(fmt.Sprintf("data: %s: shape %v, want [Y X C] or [Z Y X C]", op, shape))
	}
	n := 1
	for _, s := range shape {
		if s <= 0 {
			panic(fmt.Sprintf("data: %s: shape %v has a non-positive size", op, shape))
		}
		n *= s
	}
	return n
}

// Is3D reports whether m has a z axis (Shape [Z, Y, X, C]).
func (m *Image) Is3D() bool { return len(m.Shape) == 4 }

// Depth returns Z (1 for 2-D images).
func (m *Image) Depth() int {
	if m.Is3D() {
		return m.Shape[0]
	}
	return 1
}

// Height returns Y.
func (m *Image) Height() int { return m.Shape[len(m.Shape)-3] }

// Width returns X.
func (m *Image) Width() int { return m.Shape[len(m.Shape)-2] }

// Channels returns C.
func (m *Image) Channels() int { return m.Shape[len(m.Shape)-1] }

// Index returns the position in Data of sample (z, y, x, c); z must be 0 for 2-D images.
func (m *Image) Index(z, y, x, c int) int {
	return ((z*m.Height()+y)*m.Width()+x)*m.Channels() + c
}

// Clone returns a deep copy of m.
func (m *Image) Clone() *Image {
	return &Image{Data: slices.Clone(m.Data), Shape: slices.Clone(m.Shape), DType: m.DType}
}

// Validate returns an error when Shape is not [Y X C] or [Z Y X C] with positive sizes,
// Data does not hold exactly their product, or DType is invalid.
func (m *Image) Validate() error {
	if len(m.Shape) != 3 && len(m.Shape) != 4 {
		return fmt.Errorf("image shape %v, want [Y X C] or [Z Y X C]", m.Shape)
	}
	n := 1
	for _, s := range m.Shape {
		if s <= 0 {
			return fmt.Errorf("image shape %v has a non-positive size", m.Shape)
		}
		n *= s
	}
	if len(m.Data) != n {
		return fmt.Errorf("image shape %v needs %d samples, has %d", m.Shape, n, len(m.Data))
	}
	if m.DType == InvalidDType || int(m.DType) >= len(dtypeNames) {
		return fmt.Errorf("image has invalid dtype %v", m.DType)
	}
	return nil
}

// ToTensor returns a CPU tensor of shape m.Shape ([Y, X, C] or [Z, Y, X, C]) that
// shares m.Data (no copy).
func (m *Image) ToTensor() *tensor.Tensor {
	return tensor.FromSlice(m.Data, m.Shape...)
}

// ImageFromTensor returns an image of the given dtype holding t's values; t:
// [Y, X, C] or [Z, Y, X, C] on any device. The data is shared when t is a contiguous
// CPU tensor and copied otherwise.
func ImageFromTensor(t *tensor.Tensor, dtype DType) *Image {
	shape := slices.Clone(t.Shape())
	imageNumel("ImageFromTensor", shape)
	var d []float32
	if _, ok := t.Device().(tensor.CPU); ok && t.IsContiguous() {
		d = t.Data()
	} else {
		d = t.Values()
	}
	return &Image{Data: d, Shape: shape, DType: dtype}
}

// ReadImage reads a TIFF (.tif, .tiff) or PNG (.png) file, chosen by the file name's
// extension (case-insensitive); see [ReadTIFF] and [ReadPNG].
func ReadImage(path string) (*Image, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".tif", ".tiff":
		return ReadTIFF(path)
	case ".png":
		return ReadPNG(path)
	}
	return nil, fmt.Errorf("data: ReadImage %s: unsupported file extension (want .tif, .tiff or .png)", path)
}

// WriteImage writes m as TIFF (.tif, .tiff, uncompressed) or PNG (.png), chosen by the
// file name's extension; see [WriteTIFF] and [WritePNG].
func WriteImage(path string, m *Image) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".tif", ".tiff":
		return WriteTIFF(path, m, TIFFOptions{})
	case ".png":
		return WritePNG(path, m)
	}
	return fmt.Errorf("data: WriteImage %s: unsupported file extension (want .tif, .tiff or .png)", path)
}

// writeAtomic writes a file through a temporary file in the same folder, synced and
// renamed into place, so readers never see a partial file.
func writeAtomic(path string, encode func(w io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err = encode(w); err != nil {
		return err
	}
	if err = w.Flush(); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil { // CreateTemp makes it 0600
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
