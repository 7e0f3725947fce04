package tensor

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// TrackingCPU is a debugging device: the [CPU] kernels over buffers whose allocations
// and frees it counts, so that a test can check that a training loop returns all its
// per-step memory (as it must on a GPU, where [Device.Free] hands memory back to a
// caching allocator) while running on the CPU. Its buffers remember it, so that
// Buffer.Device() is the *TrackingCPU and code that frees through b.Device().Free(b)
// reaches it; tensors on it pass [Tensor.To] and device comparisons like any device.
// Code that special-cases the CPU with a dev.(tensor.CPU) type assertion sees a
// non-CPU device, which exercises its accelerator paths on the host.
// Use it through a pointer ([NewTrackingCPU]); it is safe for concurrent use.
type TrackingCPU struct {
	CPU

	mu    sync.Mutex
	live  map[*cpuBuffer]string // live buffer → allocation site ("" unless tracing)
	elems int
	trace bool
}

var _ Device = (*TrackingCPU)(nil)

// NewTrackingCPU returns a tracking device with no live buffers.
func NewTrackingCPU() *TrackingCPU {
	return &TrackingCPU{live: map[*cpuBuffer]string{}}
}

// Name returns "cpu-tracking".
func (d *TrackingCPU) Name() string { return "cpu-tracking" }

// Alloc returns a host buffer of n elements, filled with NaN (so that code relying on
// zeroed memory shows it), and records it as live. Like [CPU.Alloc] it takes large
// buffers from the CPU buffer cache.
func (d *TrackingCPU) Alloc(n int) Buffer {
	b := allocCPU(n, d, true)
	site := ""
	d.mu.Lock()
	trace := d.trace
	d.mu.Unlock()
	if trace {
		site = callSite()
	}
	d.mu.Lock()
	d.live[b] = site
	d.elems += n
	d.mu.Unlock()
	return b
}

// Free forgets b, fills it with NaN and releases it like [CPU.Free] (any later use of
// b panics). It panics when b was not allocated by d or was already freed (a double
// free on a GPU), naming b's size.
func (d *TrackingCPU) Free(b Buffer) {
	cb, ok := b.(*cpuBuffer)
	if !ok || cb.dev != d {
		panic(fmt.Sprintf("tensor: TrackingCPU.Free: buffer of %d elements on %s was not allocated by this device", b.Len(), b.Device().Name()))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, live := d.live[cb]; !live {
		panic(fmt.Sprintf("tensor: TrackingCPU.Free: buffer of %d elements freed twice", len(cb.data)))
	}
	delete(d.live, cb)
	d.elems -= len(cb.data)
	freeCPU("TrackingCPU.Free", cb, true)
}

// Live returns the number of allocated, not yet freed buffers and their total
// number of elements.
func (d *TrackingCPU) Live() (buffers, elements int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.live), d.elems
}

// TraceAllocs turns recording of allocation call sites on or off (off by default; it
// costs a stack walk per Alloc). Buffers allocated while it is on are reported by
// [TrackingCPU.LiveSites].
func (d *TrackingCPU) TraceAllocs(on bool) {
	d.mu.Lock()
	d.trace = on
	d.mu.Unlock()
}

// LiveSites returns one line per allocation site of the live buffers allocated while
// tracing was on: the count, the total elements and the calling functions outside
// package tensor, innermost first; sorted by total elements, largest first.
func (d *TrackingCPU) LiveSites() []string {
	type agg struct{ n, elems int }
	d.mu.Lock()
	m := map[string]*agg{}
	for b, site := range d.live {
		if site == "" {
			continue
		}
		a := m[site]
		if a == nil {
			a = &agg{}
			m[site] = a
		}
		a.n++
		a.elems += len(b.data)
	}
	d.mu.Unlock()
	sites := make([]string, 0, len(m))
	for s := range m {
		sites = append(sites, s)
	}
	sort.Slice(sites, func(i, j int) bool {
		a, b := m[sites[i]], m[sites[j]]
		if a.elems != b.elems {
			return a.elems > b.elems
		}
		return sites[i] < sites[j]
	})
	out := make([]string, len(sites))
	for i, s := range sites {
		out[i] = fmt.Sprintf("%d buffers, %d elements: %s", m[s].n, m[s].elems, s)
	}
	return out
}

// callSite returns the first few callers of Alloc outside package tensor's
// allocation helpers, as "pkg.Func:line < pkg.Caller:line < …".
func callSite() string {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var parts []string
	for len(parts) < 5 {
		f, more := frames.Next()
		name := f.Function
		if i := strings.LastIndex(name, "/"); i >= 0 {
			name = name[i+1:]
		}
		inTensor := strings.HasPrefix(name, "tensor.") && !strings.HasSuffix(f.File, "_test.go")
		if !inTensor || len(parts) > 0 {
			parts = append(parts, fmt.Sprintf("%s:%d", name, f.Line))
		}
		if !more {
			break
		}
	}
	return strings.Join(parts, " < ")
}
