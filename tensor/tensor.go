package tensor

import (
	"fmt"
	"slices"
)

// Buffer is a flat block of float32 elements owned by a [Device]. Tensors are views
// over buffers; several tensors may share one buffer.
type Buffer interface {
	// Device returns the device that owns the memory.
	Device() Device
	// Len returns the number of float32 elements in the buffer.
	Len() int
}

// Tensor is an n-dimensional float32 array: a shape, strides and an offset (all in
// elements) over a [Buffer]. Axes follow PyTorch's order (N, C, (D,) H, W), so weights
// map 1:1 onto BiaPy/PyTorch state_dicts. Element (i0, i1, …) lives at
// buffer[offset + Σ ik·strides[k]]. Views (Reshape, Permute, Transpose, Slice, Expand)
// share the buffer and cost nothing; kernels take contiguous tensors except
// [Device.CopyStrided] and the broadcasting [Device.Binary].
type Tensor struct {
	buf     Buffer
	shape   []int
	strides []int
	offset  int
}

// New returns a tensor of the given shape on dev whose contents are undefined
// (callers overwrite every element). A shape with no dimensions is a scalar.
func New(dev Device, shape ...int) *Tensor {
	n := numel("New", shape)
	return &Tensor{buf: dev.Alloc(n), shape: slices.Clone(shape), strides: contiguousStrides(shape)}
}

// Zeros returns a tensor of the given shape on dev filled with zeros.
func Zeros(dev Device, shape ...int) *Tensor { return Full(dev, 0, shape...) }

// Full returns a tensor of the given shape on dev with every element equal to v.
func Full(dev Device, v float32, shape ...int) *Tensor {
	t := New(dev, shape...)
	dev.Fill(t, v)
	return t
}

// FromSlice returns a CPU tensor of the given shape that uses data as its storage
// (no copy: later writes to data are visible through the tensor). len(data) must equal
// the product of shape; an empty shape means a scalar holding data[0].
func FromSlice(data []float32, shape ...int) *Tensor {
	n := numel("FromSlice", shape)
	if len(data) != n {
		panic(fmt.Sprintf("tensor: FromSlice: %d values for shape %v (%d elements)", len(data), shape, n))
	}
	return &Tensor{buf: &cpuBuffer{data: data}, shape: slices.Clone(shape), strides: contiguousStrides(shape)}
}

// Scalar returns a 0-d CPU tensor holding v.
func Scalar(v float32) *Tensor { return FromSlice([]float32{v}) }

// FromBuffer returns a contiguous tensor of the given shape over buf starting at
// element offset. It panics if the buffer is too small.
func FromBuffer(buf Buffer, offset int, shape ...int) *Tensor {
	n := numel("FromBuffer", shape)
	if offset < 0 || offset+n > buf.Len() {
		panic(fmt.Sprintf("tensor: FromBuffer: shape %v at offset %d exceeds buffer of %d", shape, offset, buf.Len()))
	}
	return &Tensor{buf: buf, shape: slices.Clone(shape), strides: contiguousStrides(shape), offset: offset}
}

func numel(op string, shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor: %s: negative dimension in shape %v", op, shape))
		}
		n *= d
	}
	return n
}

func contiguousStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// Shape returns the dimensions. The slice must not be modified.
func (t *Tensor) Shape() []int { return t.shape }

// Strides returns the element strides of each axis. The slice must not be modified.
func (t *Tensor) Strides() []int { return t.strides }

// Offset returns the element offset of the first element in the buffer.
func (t *Tensor) Offset() int { return t.offset }

// Buffer returns the underlying storage.
func (t *Tensor) Buffer() Buffer { return t.buf }

// Device returns the device holding the tensor's memory.
func (t *Tensor) Device() Device { return t.buf.Device() }

// Rank returns the number of dimensions.
func (t *Tensor) Rank() int { return len(t.shape) }

// Dim returns the size of axis i; negative i counts from the end.
func (t *Tensor) Dim(i int) int { return t.shape[t.axis("Dim", i)] }

// Numel returns the number of elements.
func (t *Tensor) Numel() int {
	n := 1
	for _, d := range t.shape {
		n *= d
	}
	return n
}

// String describes the tensor's shape and device, not its values.
func (t *Tensor) String() string {
	return fmt.Sprintf("Tensor%v@%s", t.shape, t.Device().Name())
}

// SameShape reports whether t and u have equal shapes.
func (t *Tensor) SameShape(u *Tensor) bool { return slices.Equal(t.shape, u.shape) }

// IsContiguous reports whether the elements are laid out densely in row-major order
// (size-1 axes may have any stride).
func (t *Tensor) IsContiguous() bool {
	s := 1
	for i := len(t.shape) - 1; i >= 0; i-- {
		if t.shape[i] == 1 {
			continue
		}
		if t.strides[i] != s {
			return false
		}
		s *= t.shape[i]
	}
	return true
}

func (t *Tensor) axis(op string, i int) int {
	r := len(t.shape)
	if i < 0 {
		i += r
	}
	if i < 0 || i >= r {
		panic(fmt.Sprintf("tensor: %s: axis %d out of range for shape %v", op, i, t.shape))
	}
	return i
}

func (t *Tensor) view(shape, strides []int, offset int) *Tensor {
	return &Tensor{buf: t.buf, shape: shape, strides: strides, offset: offset}
}

// Reshape returns a view with a new shape holding the same elements in the same
// row-major order. One dimension may be -1 and is inferred. t must be contiguous
// (call [Tensor.Contiguous] first); otherwise Reshape panics.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	shape = slices.Clone(shape)
	n, infer := 1, -1
	for i, d := range shape {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("tensor: Reshape: %v to %v: bad dimension", t.shape, shape))
		default:
			n *= d
		}
	}
	total := t.Numel()
	if infer >= 0 {
		if n == 0 || total%n != 0 {
			panic(fmt.Sprintf("tensor: Reshape: %v to %v: cannot infer -1", t.shape, shape))
		}
		shape[infer] = total / n
		n = total
	}
	if n != total {
		panic(fmt.Sprintf("tensor: Reshape: %v to %v: %d≠%d elements", t.shape, shape, total, n))
	}
	if !t.IsContiguous() {
		panic(fmt.Sprintf("tensor: Reshape: %v to %v: tensor is not contiguous (strides %v)", t.shape, shape, t.strides))
	}
	return t.view(shape, contiguousStrides(shape), t.offset)
}

// Permute returns a view with the axes reordered: result axis i is t's axis axes[i]
// (torch.permute).
func (t *Tensor) Permute(axes ...int) *Tensor {
	if len(axes) != len(t.shape) {
		panic(fmt.Sprintf("tensor: Permute: %d axes for shape %v", len(axes), t.shape))
	}
	shape := make([]int, len(axes))
	strides := make([]int, len(axes))
	seen := make([]bool, len(axes))
	for i, a := range axes {
		a = t.axis("Permute", a)
		if seen[a] {
			panic(fmt.Sprintf("tensor: Permute: repeated axis in %v for shape %v", axes, t.shape))
		}
		seen[a] = true
		shape[i], strides[i] = t.shape[a], t.strides[a]
	}
	return t.view(shape, strides, t.offset)
}

// Transpose returns a view with axes a and b swapped.
func (t *Tensor) Transpose(a, b int) *Tensor {
	a, b = t.axis("Transpose", a), t.axis("Transpose", b)
	shape, strides := slices.Clone(t.shape), slices.Clone(t.strides)
	shape[a], shape[b] = shape[b], shape[a]
	strides[a], strides[b] = strides[b], strides[a]
	return t.view(shape, strides, t.offset)
}

// Slice returns a view of the elements start ≤ i < end along axis (torch.narrow).
func (t *Tensor) Slice(axis, start, end int) *Tensor {
	axis = t.axis("Slice", axis)
	if start < 0 || end > t.shape[axis] || start > end {
		panic(fmt.Sprintf("tensor: Slice: [%d:%d] on axis %d of shape %v", start, end, axis, t.shape))
	}
	shape := slices.Clone(t.shape)
	shape[axis] = end - start
	return t.view(shape, slices.Clone(t.strides), t.offset+start*t.strides[axis])
}

// Expand returns a broadcast view of shape: size-1 axes of t are repeated with
// stride 0, and missing leading axes are added (NumPy broadcasting rules).
func (t *Tensor) Expand(shape ...int) *Tensor {
	r := len(shape)
	if r < len(t.shape) {
		panic(fmt.Sprintf("tensor: Expand: %v to %v: fewer dimensions", t.shape, shape))
	}
	strides := make([]int, r)
	lead := r - len(t.shape)
	for i := range r {
		if i < lead {
			continue
		}
		d := t.shape[i-lead]
		switch {
		case d == shape[i]:
			strides[i] = t.strides[i-lead]
		case d == 1:
			strides[i] = 0
		default:
			panic(fmt.Sprintf("tensor: Expand: %v to %v: axis %d has size %d", t.shape, shape, i-lead, d))
		}
	}
	return t.view(slices.Clone(shape), strides, t.offset)
}

// Unsqueeze returns a view with a new size-1 axis inserted at position axis
// (0 ≤ axis ≤ rank; negative counts from the end as in torch.unsqueeze).
func (t *Tensor) Unsqueeze(axis int) *Tensor {
	r := len(t.shape)
	if axis < 0 {
		axis += r + 1
	}
	if axis < 0 || axis > r {
		panic(fmt.Sprintf("tensor: Unsqueeze: axis %d for shape %v", axis, t.shape))
	}
	st := 1
	if axis < r {
		st = t.strides[axis] * t.shape[axis]
	}
	shape := slices.Insert(slices.Clone(t.shape), axis, 1)
	strides := slices.Insert(slices.Clone(t.strides), axis, st)
	return t.view(shape, strides, t.offset)
}

// Contiguous returns t itself if it is contiguous, otherwise a dense row-major copy
// on the same device.
func (t *Tensor) Contiguous() *Tensor {
	if t.IsContiguous() {
		return t
	}
	return t.Clone()
}

// Clone returns a dense row-major copy of t on the same device.
func (t *Tensor) Clone() *Tensor {
	dev := t.Device()
	c := New(dev, t.shape...)
	dev.CopyStrided(c, t)
	return c
}

// CopyFrom copies src's elements into t (both any layout, same shape, same device).
func (t *Tensor) CopyFrom(src *Tensor) {
	if !t.SameShape(src) {
		panic(fmt.Sprintf("tensor: CopyFrom: %v←%v: shapes differ", t.shape, src.shape))
	}
	t.Device().CopyStrided(t, src)
}

// To returns t on dev: t itself when it already lives there, otherwise a contiguous
// copy transferred through host memory.
func (t *Tensor) To(dev Device) *Tensor {
	if t.Device() == dev {
		return t
	}
	host := t.Values()
	out := New(dev, t.shape...)
	dev.FromHost(out.buf, out.offset, host)
	return out
}

// Data returns the live backing slice of a contiguous CPU tensor (no copy: writes
// change the tensor). It panics for tensors on other devices (use [Tensor.To] or
// [Tensor.Values]) and for non-contiguous views (use [Tensor.Contiguous]).
func (t *Tensor) Data() []float32 {
	cb, ok := t.buf.(*cpuBuffer)
	if !ok {
		panic(fmt.Sprintf("tensor: Data: %v is not on the CPU", t))
	}
	if !t.IsContiguous() {
		panic(fmt.Sprintf("tensor: Data: shape %v strides %v is not contiguous", t.shape, t.strides))
	}
	return cb.data[t.offset : t.offset+t.Numel()]
}

// Values returns a new host slice with t's elements in row-major order, from any
// device and any layout.
func (t *Tensor) Values() []float32 {
	c := t.Contiguous()
	out := make([]float32, c.Numel())
	c.Device().ToHost(out, c.buf, c.offset)
	if c != t {
		c.Device().Free(c.buf) // the temporary dense copy
	}
	return out
}

// Item returns the single element of a one-element tensor.
func (t *Tensor) Item() float32 {
	if t.Numel() != 1 {
		panic(fmt.Sprintf("tensor: Item: shape %v has %d elements", t.shape, t.Numel()))
	}
	return t.Values()[0]
}
