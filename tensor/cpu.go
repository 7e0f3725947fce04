package tensor

import (
	"fmt"

	"github.com/selfsup/selfsup/internal/parallel"
)

// CPU is the host device. Its kernels are pure Go (plus assembly for the GEMM
// micro-kernels where the processor has AVX2/AVX-512), parallel across cores inside each
// kernel through one shared worker pool (see [SetThreads]). The zero value is ready to
// use and all CPU values are the same device.
type CPU struct{}

var _ Device = CPU{}

// cpuBuffer is host memory. dev is the device that allocated it when that is not the
// plain CPU (a [TrackingCPU]); nil means CPU{}.
//
// origin says whether data is the caller's ([FromSlice]), a plain allocation or a slice
// of the buffer cache (cpu_alloc.go) that Free hands back; freed is set by Free, which
// also cuts data off so that a later use panics.
type cpuBuffer struct {
	data   []float32
	dev    Device
	origin bufferOrigin
	freed  bool
}

func (b *cpuBuffer) Device() Device {
	if b.dev != nil {
		return b.dev
	}
	return CPU{}
}
func (b *cpuBuffer) Len() int { return len(b.data) }

// Threads returns how many goroutines the CPU kernels use.
func Threads() int { return parallel.Threads() }

// SetThreads sets how many goroutines the CPU kernels use (n < 1: GOMAXPROCS) and
// returns the previous value.
func SetThreads(n int) int { return parallel.SetThreads(n) }

// Name returns "cpu".
func (CPU) Name() string { return "cpu" }

// Alloc returns a buffer of n elements with undefined contents: buffers of 1024
// elements or more come from a process-wide cache of freed buffers (see
// [SetCPUCacheLimit], [CPUCacheStats]). With SELFSUP_CPU_POISON=1 in the environment
// every buffer starts filled with NaN.
func (CPU) Alloc(n int) Buffer { return allocCPU(n, nil, poison) }

// Free releases b: a cached-size buffer goes back to the cache for the next Alloc. Any
// later use of b, or of a tensor over it, panics; freeing b twice panics. Buffers of
// [FromSlice] tensors are never cached (their slice stays the caller's).
func (CPU) Free(b Buffer) {
	cb, ok := b.(*cpuBuffer)
	if !ok || cb.dev != nil {
		panic(fmt.Sprintf("tensor: CPU.Free: buffer of %d elements on %s was not allocated by the CPU device", b.Len(), b.Device().Name()))
	}
	freeCPU("CPU.Free", cb, poison)
}

// FromHost copies src into dst at element offset.
func (CPU) FromHost(dst Buffer, offset int, src []float32) {
	copy(cpuData(dst)[offset:offset+len(src)], src)
}

// ToHost copies len(dst) elements of src at element offset into dst.
func (CPU) ToHost(dst []float32, src Buffer, offset int) {
	copy(dst, cpuData(src)[offset:offset+len(dst)])
}

func cpuData(b Buffer) []float32 {
	cb, ok := b.(*cpuBuffer)
	if !ok {
		panic(fmt.Sprintf("tensor: CPU kernel given a %s buffer", b.Device().Name()))
	}
	return cb.data
}

// data returns the contiguous elements of t for a CPU kernel, panicking with op's name
// if t is not a contiguous CPU tensor.
func data(op string, t *Tensor) []float32 {
	if !t.IsContiguous() {
		panic(fmt.Sprintf("tensor: %s: shape %v strides %v is not contiguous", op, t.shape, t.strides))
	}
	return cpuData(t.buf)[t.offset : t.offset+t.Numel()]
}

// mustSameShape panics unless every tensor has ref's shape.
func mustSameShape(op string, ref *Tensor, ts ...*Tensor) {
	for _, t := range ts {
		if !ref.SameShape(t) {
			panic(fmt.Sprintf("tensor: %s: shapes %v and %v differ", op, ref.shape, t.shape))
		}
	}
}

// Fill sets every element of dst to v.
func (CPU) Fill(dst *Tensor, v float32) {
	d := data("Fill", dst)
	parallel.For(len(d), 1<<15, func(lo, hi int) {
		s := d[lo:hi]
		for i := range s {
			s[i] = v
		}
	})
}

// CopyStrided copies src into dst; both may be arbitrary views of the same shape.
func (CPU) CopyStrided(dst, src *Tensor) {
	mustSameShape("CopyStrided", dst, src)
	n := dst.Numel()
	if n == 0 {
		return
	}
	dd, sd := cpuData(dst.buf), cpuData(src.buf)
	if dst.IsContiguous() && src.IsContiguous() {
		copy(dd[dst.offset:dst.offset+n], sd[src.offset:src.offset+n])
		return
	}
	shape, ds, ss := mergeAxes(dst.shape, dst.strides, src.strides)
	r := len(shape)
	inner := shape[r-1]
	dIn, sIn := ds[r-1], ss[r-1]
	rows := n / inner
	parallel.For(rows, max(1, (1<<14)/inner), func(lo, hi int) {
		idx := make([]int, r-1)
		unravel(lo, shape[:r-1], idx)
		for row := lo; row < hi; row++ {
			do, so := dst.offset, src.offset
			for k, i := range idx {
				do += i * ds[k]
				so += i * ss[k]
			}
			if dIn == 1 && sIn == 1 {
				copy(dd[do:do+inner], sd[so:so+inner])
			} else {
				for j := range inner {
					dd[do+j*dIn] = sd[so+j*sIn]
				}
			}
			increment(idx, shape[:r-1])
		}
	})
}

// mergeAxes drops size-1 axes and merges adjacent axes that are contiguous with each
// other in both stride sets, returning a shape of rank ≥ 1 and the matching strides.
func mergeAxes(shape, sa, sb []int) (outShape, outA, outB []int) {
	for i, d := range shape {
		if d == 1 {
			continue
		}
		k := len(outShape) - 1
		if k >= 0 && outA[k] == sa[i]*d && outB[k] == sb[i]*d {
			outShape[k] *= d
			outA[k], outB[k] = sa[i], sb[i]
			continue
		}
		outShape = append(outShape, d)
		outA = append(outA, sa[i])
		outB = append(outB, sb[i])
	}
	if len(outShape) == 0 {
		return []int{1}, []int{1}, []int{1}
	}
	return outShape, outA, outB
}

// unravel writes the multi-index of flat row-major position pos within shape to idx.
func unravel(pos int, shape, idx []int) {
	for k := len(shape) - 1; k >= 0; k-- {
		idx[k] = pos % shape[k]
		pos /= shape[k]
	}
}

// increment advances the multi-index idx by one position in row-major order.
func increment(idx, shape []int) {
	for k := len(idx) - 1; k >= 0; k-- {
		idx[k]++
		if idx[k] < shape[k] {
			return
		}
		idx[k] = 0
	}
}
