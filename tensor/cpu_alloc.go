package tensor

import (
	"fmt"
	"math"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"sync"
)

// This file holds the CPU device's caching allocator. A training loop asks for the same
// buffer sizes every step; handing the buffers freed at the previous step's Tape.Reset
// back out, instead of allocating (and zeroing) fresh memory and leaving the old one to
// the garbage collector, saves the zeroing and keeps the process's memory near one
// step's working set. Buffers below cacheMinElems stay plain Go allocations.
//
// Size classes: a request of n ≥ cacheMinElems elements is rounded up to the next of 8
// classes per power of two (at most 12.5 % more memory), so that slightly different
// sizes share buffers.

// cacheMinElems is the smallest request (in float32 elements) served from the cache.
const cacheMinElems = 1024

// cpuCache is the process-wide cache of free float32 slices, by capacity class.
type cpuCache struct {
	mu      sync.Mutex
	free    map[int][][]float32 // class (capacity in elements) → free slices of that capacity
	cached  int64               // bytes held in free
	inUse   int64               // bytes of pooled buffers handed out and not yet freed
	limit   int64               // bound on cached; < 0 until first use (default computed lazily)
	hits    int64
	misses  int64
	evicted int64
}

var cache = cpuCache{free: map[int][][]float32{}, limit: -1}

// poison is set by the environment variable SELFSUP_CPU_POISON=1: CPU buffers are filled
// with NaN when allocated and when freed, so that code relying on zeroed memory from
// Alloc, or reading a buffer after Free, produces NaN.
var poison = os.Getenv("SELFSUP_CPU_POISON") == "1"

// sizeClass returns the capacity (in elements) of the class serving a request of n ≥
// cacheMinElems elements: n rounded up to a multiple of 2^(⌊log₂ n⌋−3).
func sizeClass(n int) int {
	step := 1 << max(0, bits.Len(uint(n))-1-3)
	return (n + step - 1) &^ (step - 1)
}

// defaultCacheLimit returns half of the machine's memory (MemTotal in /proc/meminfo), or
// 4 GiB when that is unknown.
func defaultCacheLimit() int64 {
	const fallback = 4 << 30
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return fallback
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil || kb <= 0 {
				return fallback
			}
			return kb * 1024 / 2
		}
	}
	return fallback
}

// get returns a slice of n elements (capacity: n's class) from the cache or, on a miss,
// freshly allocated. Its contents are undefined.
func (c *cpuCache) get(n int) []float32 {
	class := sizeClass(n)
	c.mu.Lock()
	c.inUse += 4 * int64(class)
	if l := c.free[class]; len(l) > 0 {
		s := l[len(l)-1]
		l[len(l)-1] = nil
		c.free[class] = l[:len(l)-1]
		c.cached -= 4 * int64(class)
		c.hits++
		c.mu.Unlock()
		return s[:n]
	}
	c.misses++
	c.mu.Unlock()
	s := make([]float32, n, class)
	_ = adviseHuge(s) // a hint (only the n elements asked for: the size class's tail may never be touched); see adviseHuge
	return s
}

// put returns s (a slice from get) to the cache, evicting other free slices when the
// cache would exceed its limit, or dropping s itself when it alone exceeds it.
func (c *cpuCache) put(s []float32) {
	class := cap(s)
	size := 4 * int64(class)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.limit < 0 {
		c.limit = defaultCacheLimit()
	}
	c.inUse -= size
	if size > c.limit {
		c.evicted++
		return
	}
	for c.cached+size > c.limit {
		c.evictOne(class)
	}
	c.free[class] = append(c.free[class], s[:class])
	c.cached += size
}

// evictOne drops one free slice, preferring a class other than keep (map order picks
// which). c.mu must be held and the cache must not be empty.
func (c *cpuCache) evictOne(keep int) {
	victim := -1
	for class, l := range c.free {
		if len(l) == 0 {
			delete(c.free, class)
			continue
		}
		victim = class
		if class != keep {
			break
		}
	}
	l := c.free[victim]
	l[len(l)-1] = nil
	c.free[victim] = l[:len(l)-1]
	c.cached -= 4 * int64(victim)
	c.evicted++
}

// SetCPUCacheLimit bounds the bytes of freed CPU buffers the [CPU] device keeps for
// reuse (bytes ≤ 0 disables caching; buffers already cached beyond the new limit are
// dropped) and returns the previous limit. The default is half of the machine's memory
// (4 GiB where that is unknown): a training step's intermediates, freed at Tape.Reset,
// are cached and handed back out at the next step, so the cache grows to about one
// step's working set. Buffers handed out are never counted against the limit.
func SetCPUCacheLimit(bytes int64) (old int64) {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if cache.limit < 0 {
		cache.limit = defaultCacheLimit()
	}
	old = cache.limit
	cache.limit = max(0, bytes)
	for cache.cached > cache.limit {
		cache.evictOne(-1)
	}
	return old
}

// TrimCPUCache drops every cached (freed, unused) CPU buffer, leaving its memory to the
// garbage collector; buffers in use are unaffected. Call it after training, before a
// phase that needs the memory for something else.
func TrimCPUCache() {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	for class, l := range cache.free {
		clear(l)
		delete(cache.free, class)
	}
	cache.cached = 0
}

// CPUCacheCounters are the counters of the CPU device's buffer cache, from
// [CPUCacheStats]. Only buffers of at least 1024 elements go through the cache.
type CPUCacheCounters struct {
	// Hits counts CPU.Alloc calls served with a cached buffer (no new memory).
	Hits int64
	// Misses counts CPU.Alloc calls that allocated new memory for the cache.
	Misses int64
	// Evicted counts freed buffers dropped (left to the garbage collector) to keep the
	// cache within its limit ([SetCPUCacheLimit]).
	Evicted int64
	// CachedBytes is the memory held by freed buffers waiting for reuse.
	CachedBytes int64
	// InUseBytes is the memory of cached-class buffers handed out and not yet freed
	// (a buffer dropped without Free, left to the garbage collector, stays counted).
	// Both byte counts are of the rounded-up capacities.
	InUseBytes int64
	// LimitBytes is the bound on CachedBytes.
	LimitBytes int64
}

// CPUCacheStats returns the current counters of the CPU buffer cache (totals since the
// process started).
func CPUCacheStats() CPUCacheCounters {
	cache.mu.Lock()
	defer cache.mu.Unlock()
	if cache.limit < 0 {
		cache.limit = defaultCacheLimit()
	}
	return CPUCacheCounters{Hits: cache.hits, Misses: cache.misses, Evicted: cache.evicted,
		CachedBytes: cache.cached, InUseBytes: cache.inUse, LimitBytes: cache.limit}
}

// fillNaN sets every element of s to NaN (the poison of SELFSUP_CPU_POISON).
func fillNaN(s []float32) {
	nan := float32(math.NaN())
	for i := range s {
		s[i] = nan
	}
}

// allocCPU returns a new CPU buffer of n elements with undefined contents (NaN when
// poisoned), from the cache when n is large enough; dev is recorded as its device (nil:
// CPU{}).
func allocCPU(n int, dev Device, poisoned bool) *cpuBuffer {
	var b *cpuBuffer
	if n >= cacheMinElems {
		b = &cpuBuffer{data: cache.get(n), dev: dev, origin: fromCache}
	} else {
		b = &cpuBuffer{data: make([]float32, n), dev: dev, origin: fromMake}
	}
	if poisoned {
		fillNaN(b.data)
	}
	return b
}

// freeCPU releases b for op (the caller's name, for the panic messages): its memory is
// filled with NaN when poisoned (unless it is a [FromSlice] caller's slice) and a cached
// buffer goes back to the cache. b's data is cut off so that any later use through b
// panics, and a second Free panics.
func freeCPU(op string, b *cpuBuffer, poisoned bool) {
	if b.freed {
		panic(fmt.Sprintf("tensor: %s: buffer freed twice (it was %s)", op, b.origin))
	}
	b.freed = true
	if poisoned && b.origin != fromSlice {
		fillNaN(b.data)
	}
	if b.origin == fromCache {
		cache.put(b.data)
	}
	b.data = nil
}

// bufferOrigin says where a cpuBuffer's memory came from.
type bufferOrigin uint8

const (
	fromSlice bufferOrigin = iota // the caller's slice ([FromSlice]): never cached or poisoned
	fromMake                      // a plain Go allocation by Alloc (small buffers)
	fromCache                     // the cache: Free returns it there
)

func (o bufferOrigin) String() string {
	switch o {
	case fromMake:
		return "allocated by Alloc"
	case fromCache:
		return "allocated by Alloc from the cache"
	}
	return "made by FromSlice"
}

// getScratch returns a kernel's temporary slice of n elements with undefined contents
// (NaN when poisoned), from the buffer cache when n ≥ cacheMinElems, so that kernels
// needing scratch memory on every call (packing panels, per-chunk tables) do not leave
// it to the garbage collector. Hand it back with putScratch when done; never keep it.
func getScratch(n int) []float32 {
	var s []float32
	if n >= cacheMinElems {
		s = cache.get(n)
	} else {
		s = make([]float32, n)
	}
	if poison {
		fillNaN(s)
	}
	return s
}

// putScratch returns s, a slice from getScratch that nothing uses any more, to the
// buffer cache (small slices are left to the garbage collector).
func putScratch(s []float32) {
	if cap(s) < cacheMinElems {
		return
	}
	if sizeClass(cap(s)) != cap(s) {
		panic(fmt.Sprintf("tensor: putScratch: slice of capacity %d did not come from getScratch", cap(s)))
	}
	if poison {
		fillNaN(s[:cap(s)])
	}
	cache.put(s)
}
