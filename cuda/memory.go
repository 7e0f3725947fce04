//go:build cuda

package cuda

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/selfsup/selfsup/tensor"
	"gorgonia.org/cu"
)

// Alloc returns a buffer of n float32 elements with undefined contents, reusing a
// cached block of the same size class when there is one. When the driver is out of
// memory it empties the cache and retries once, then panics.
func (d *Device) Alloc(n int) tensor.Buffer {
	if n < 0 {
		panic(fmt.Sprintf("cuda: Alloc: %d elements", n))
	}
	b := &buffer{dev: d, n: n}
	if n == 0 {
		return b
	}
	size := bucketBytes(n)
	d.mu.Lock()
	defer d.mu.Unlock()
	if l := d.cache[size]; len(l) > 0 {
		b.ptr = l[len(l)-1]
		d.cache[size] = l[:len(l)-1]
		d.cached -= size
	} else {
		var err error
		if p := d.prof.Load(); p != nil {
			d.do(func() {
				err = timed(p, "Alloc(miss)", func() (e error) { b.ptr, e = cu.MemAlloc(size); return e })
			})
		} else {
			d.do(func() { b.ptr, err = cu.MemAlloc(size) })
		}
		if err != nil && d.cached > 0 {
			d.do(d.freeCache)
			d.do(func() { b.ptr, err = cu.MemAlloc(size) })
		}
		if err != nil {
			panic(fmt.Sprintf("cuda: Alloc: %d elements (%.1f MiB): %v (in use %.1f MiB)",
				n, float64(size)/(1<<20), err, float64(d.inUse)/(1<<20)))
		}
	}
	b.size = size
	d.inUse += size
	d.peak = max(d.peak, d.inUse)
	return b
}

// Free returns b's block to the allocator's cache. Kernels already queued that read b
// still see its contents: later work reusing the block runs after them on the stream.
func (d *Device) Free(b tensor.Buffer) {
	cb := d.buf("Free", b)
	cb.freed = true
	if cb.n == 0 {
		return
	}
	d.mu.Lock()
	d.cache[cb.size] = append(d.cache[cb.size], cb.ptr)
	d.inUse -= cb.size
	d.cached += cb.size
	d.mu.Unlock()
}

// freeCache gives every cached block back to the driver; it runs on the worker with
// d.mu held by the caller or during Close.
func (d *Device) freeCache() {
	for size, l := range d.cache {
		for _, p := range l {
			if err := cu.MemFree(p); err != nil {
				d.setErr(fmt.Errorf("cuda: freeing cached block: %v", err))
			}
		}
		delete(d.cache, size)
	}
	d.cached = 0
}

// EmptyCache releases every cached (freed) block to the driver, as PyTorch's
// torch.cuda.empty_cache does. Buffers in use are untouched.
func (d *Device) EmptyCache() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.do(d.freeCache)
}

// MemStats returns the allocator's counters.
func (d *Device) MemStats() MemStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return MemStats{InUse: d.inUse, Cached: d.cached, Peak: d.peak}
}

// ResetPeak sets the Peak counter of MemStats to the memory in use now.
func (d *Device) ResetPeak() {
	d.mu.Lock()
	d.peak = d.inUse
	d.mu.Unlock()
}

// FromHost copies src into dst starting at element offset, after all queued work.
func (d *Device) FromHost(dst tensor.Buffer, offset int, src []float32) {
	b := d.buf("FromHost", dst)
	if offset < 0 || offset+len(src) > b.n {
		panic(fmt.Sprintf("cuda: FromHost: %d elements at offset %d into a buffer of %d", len(src), offset, b.n))
	}
	if len(src) == 0 {
		return
	}
	copyIn := func() error {
		return cu.MemcpyHtoD(b.ptr+cu.DevicePtr(4*offset), unsafe.Pointer(&src[0]), int64(4*len(src)))
	}
	d.do(func() {
		err := d.maybeTimed("FromHost", copyIn)
		if err != nil {
			panic(fmt.Sprintf("cuda: FromHost: %v", err))
		}
	})
}

// ToHost copies len(dst) elements of src starting at element offset into dst, after
// all queued work has finished.
func (d *Device) ToHost(dst []float32, src tensor.Buffer, offset int) {
	b := d.buf("ToHost", src)
	if offset < 0 || offset+len(dst) > b.n {
		panic(fmt.Sprintf("cuda: ToHost: %d elements at offset %d from a buffer of %d", len(dst), offset, b.n))
	}
	if len(dst) == 0 {
		return
	}
	copyOut := func() error {
		return cu.MemcpyDtoH(unsafe.Pointer(&dst[0]), b.ptr+cu.DevicePtr(4*offset), int64(4*len(dst)))
	}
	d.do(func() {
		if err := d.maybeTimed("ToHost", copyOut); err != nil {
			panic(fmt.Sprintf("cuda: ToHost: %v", err))
		}
	})
}

// Fill sets every element of the contiguous tensor dst to v.
func (d *Device) Fill(dst *tensor.Tensor, v float32) {
	if !dst.IsContiguous() {
		panic(fmt.Sprintf("cuda: Fill: shape %v strides %v is not contiguous", dst.Shape(), dst.Strides()))
	}
	n := dst.Numel()
	if n == 0 {
		return
	}
	p := cu.DevicePtr(d.ptr(dst))
	bits := math.Float32bits(v)
	fill := func() error { return cu.MemsetD32(p, bits, int64(n)) }
	if d.prof.Load() != nil {
		d.do(func() {
			if err := d.maybeTimed("Fill", fill); err != nil {
				panic(fmt.Sprintf("cuda: Fill: %v", err))
			}
		})
		return
	}
	d.check()
	d.enqueue(func() {
		if err := fill(); err != nil {
			d.setErr(fmt.Errorf("cuda: Fill: %v", err))
		}
	})
}

// maybeTimed runs f on the worker, timed under name in profiling mode.
func (d *Device) maybeTimed(name string, f func() error) error {
	if p := d.prof.Load(); p != nil {
		return timed(p, name, f)
	}
	return f()
}

// maxCopyRank is the number of (merged) axes copy_strided handles in one launch.
const maxCopyRank = 6

// CopyStrided copies src into dst element by element; both may be any view (strided,
// permuted, sliced, broadcast source) of equal shapes.
func (d *Device) CopyStrided(dst, src *tensor.Tensor) {
	if !dst.SameShape(src) {
		panic(fmt.Sprintf("cuda: CopyStrided: shapes %v and %v differ", dst.Shape(), src.Shape()))
	}
	n := dst.Numel()
	if n == 0 {
		return
	}
	pd, ps := d.ptr(dst), d.ptr(src)
	if pd == ps && slicesEqual(dst.Strides(), src.Strides()) {
		return // copying a view onto itself
	}
	if dst.IsContiguous() && src.IsContiguous() {
		if dst.Buffer() == src.Buffer() && pd < ps+uint64(4*n) && ps < pd+uint64(4*n) {
			// Overlapping ranges of one buffer (memmove): go through a temporary.
			tmp := tensor.New(d, n)
			d.launch("memory", "copy_contig", [3]int{blocks(n, threadsPerBlock)}, [3]int{threadsPerBlock}, 0, tmp, src, n)
			d.launch("memory", "copy_contig", [3]int{blocks(n, threadsPerBlock)}, [3]int{threadsPerBlock}, 0, dst, tmp, n)
			d.Free(tmp.Buffer())
			return
		}
		d.launch("memory", "copy_contig", [3]int{blocks(n, threadsPerBlock)}, [3]int{threadsPerBlock}, 0, dst, src, n)
		return
	}
	shape, st := mergeAxes(dst.Shape(), dst.Strides(), src.Strides())
	d.copyStrided(pd, ps, shape, st[0], st[1])
}

// copyStrided launches copy_strided on device addresses, splitting off leading axes
// while the merged rank exceeds maxCopyRank.
func (d *Device) copyStrided(pd, ps uint64, shape, ds, ss []int) {
	if r := len(shape); r > maxCopyRank {
		for i := range shape[0] {
			d.copyStrided(pd+uint64(4*i*ds[0]), ps+uint64(4*i*ss[0]), shape[1:], ds[1:], ss[1:])
		}
		return
	}
	n := 1
	for _, v := range shape {
		n *= v
	}
	sh, dst, sst := padAxes(shape, maxCopyRank), padAxes(ds, maxCopyRank), padAxes(ss, maxCopyRank)
	args := []any{pd, ps, n}
	for _, v := range [][]int{sh, dst, sst} {
		for _, x := range v {
			args = append(args, x)
		}
	}
	d.launch("memory", "copy_strided", [3]int{blocks(n, threadsPerBlock)}, [3]int{threadsPerBlock}, 0, args...)
}
