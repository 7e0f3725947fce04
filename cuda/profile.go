package cuda

// Pure-Go bookkeeping of the profiling mode (SELFSUP_CUDA_PROFILE=1): the device times
// every launch and memory operation and hands the durations to a profiler, which sums
// them by name. It never touches the driver, so it builds and is tested without the
// cuda tag.

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// ProfileEntry is the time spent in one kernel or memory operation since the last
// [Device.ResetProfile]: Name is "module/kernel" for launches, or "FromHost", "ToHost",
// "Fill", "Alloc(miss)" (a new driver allocation, not served by the cache),
// "Synchronize".
type ProfileEntry struct {
	Name  string        // "module/kernel" or the memory operation
	Count int           // number of calls
	Total time.Duration // summed duration of the calls
}

// Mean returns the mean duration of one call.
func (e ProfileEntry) Mean() time.Duration {
	if e.Count == 0 {
		return 0
	}
	return e.Total / time.Duration(e.Count)
}

// profiler sums durations by name; safe for concurrent use.
type profiler struct {
	mu      sync.Mutex
	entries map[string]*ProfileEntry
}

func newProfiler() *profiler { return &profiler{entries: map[string]*ProfileEntry{}} }

// add records one call of name that took dt.
func (p *profiler) add(name string, dt time.Duration) {
	p.mu.Lock()
	e := p.entries[name]
	if e == nil {
		e = &ProfileEntry{Name: name}
		p.entries[name] = e
	}
	e.Count++
	e.Total += dt
	p.mu.Unlock()
}

// reset drops every entry.
func (p *profiler) reset() {
	p.mu.Lock()
	clear(p.entries)
	p.mu.Unlock()
}

// snapshot returns the entries sorted by total time, longest first (ties by name).
func (p *profiler) snapshot() []ProfileEntry {
	p.mu.Lock()
	out := make([]ProfileEntry, 0, len(p.entries))
	for _, e := range p.entries {
		out = append(out, *e)
	}
	p.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Total != out[j].Total {
			return out[i].Total > out[j].Total
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// WriteProfile prints the first top entries of a profile (all when top ≤ 0) as a table
// (name, count, total ms, mean µs, share of the total) followed by the overall total.
func WriteProfile(w io.Writer, entries []ProfileEntry, top int) {
	var total time.Duration
	calls := 0
	for _, e := range entries {
		total += e.Total
		calls += e.Count
	}
	fmt.Fprintf(w, "  %-34s %9s %11s %11s %7s\n", "kernel / operation", "count", "total ms", "mean µs", "share")
	for i, e := range entries {
		if top > 0 && i >= top {
			break
		}
		share := 0.0
		if total > 0 {
			share = 100 * float64(e.Total) / float64(total)
		}
		fmt.Fprintf(w, "  %-34s %9d %11.3f %11.1f %6.1f%%\n", e.Name, e.Count,
			float64(e.Total)/1e6, float64(e.Mean())/1e3, share)
	}
	fmt.Fprintf(w, "  %-34s %9d %11.3f\n", "total (all entries)", calls, float64(total)/1e6)
}
