package tensor

import (
	"math"
	"sync"
	"testing"
)

func TestSizeClass(t *testing.T) {
	for _, n := range []int{1024, 1025, 1151, 1152, 1153, 2047, 2048, 3000, 1 << 20, 1<<20 + 1, 123457, 3 << 26} {
		c := sizeClass(n)
		if c < n || float64(c) > float64(n)*1.125 {
			t.Errorf("sizeClass(%d) = %d, want in [n, 1.125n]", n, c)
		}
		if sizeClass(c) != c {
			t.Errorf("sizeClass(%d) = %d is not its own class (%d)", n, c, sizeClass(c))
		}
	}
	// The classes of [1024, 2048]: 8 steps of 128.
	for i, want := range []struct{ n, class int }{{1024, 1024}, {1025, 1152}, {1152, 1152}, {1153, 1280}, {2047, 2048}} {
		if got := sizeClass(want.n); got != want.class {
			t.Errorf("%d: sizeClass(%d) = %d, want %d", i, want.n, got, want.class)
		}
	}
}

func TestCPUCacheReuse(t *testing.T) {
	dev := CPU{}
	tests := []struct {
		name   string
		n, m   int  // allocate n, free, allocate m
		reused bool // m gets n's memory back
	}{
		{"same size", 5000, 5000, true},
		{"same class", 5000, 4900, true},
		{"other class", 5000, 9000, false},
		{"small buffers are plain allocations", 100, 100, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			TrimCPUCache()
			a := New(dev, tc.n)
			p := &a.Data()[0]
			before := CPUCacheStats()
			dev.Free(a.Buffer())
			b := New(dev, tc.m)
			after := CPUCacheStats()
			if b.Buffer().Len() != tc.m {
				t.Fatalf("Len = %d, want %d", b.Buffer().Len(), tc.m)
			}
			if got := &b.Data()[0] == p; got != tc.reused {
				t.Fatalf("reused = %v, want %v", got, tc.reused)
			}
			if tc.n >= cacheMinElems {
				if hit := after.Hits - before.Hits; hit != int64(b2i(tc.reused)) {
					t.Fatalf("hits += %d, want %v", hit, tc.reused)
				}
				if after.Misses-before.Misses+after.Hits-before.Hits != 1 {
					t.Fatalf("hits + misses += %d, want 1", after.Misses-before.Misses+after.Hits-before.Hits)
				}
			}
			dev.Free(b.Buffer())
		})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestCPUFreeSafety(t *testing.T) {
	dev := CPU{}
	t.Run("use after free panics", func(t *testing.T) {
		for _, n := range []int{10, 5000} {
			a := New(dev, 2, n/2)
			v := a.Slice(1, 0, 1) // a view over the same buffer
			dev.Free(a.Buffer())
			func() {
				defer func() {
					if recover() == nil {
						t.Fatalf("n=%d: Fill over a freed buffer did not panic", n)
					}
				}()
				dev.Fill(v.Contiguous(), 1)
			}()
		}
	})
	t.Run("double free panics", func(t *testing.T) {
		for _, n := range []int{10, 5000} {
			a := New(dev, n)
			dev.Free(a.Buffer())
			func() {
				defer wantPanic(t, "freed twice")
				dev.Free(a.Buffer())
			}()
		}
	})
	t.Run("FromSlice memory is never cached or poisoned", func(t *testing.T) {
		old := poison
		poison = true
		defer func() { poison = old }()
		host := make([]float32, 4096)
		host[7] = 3
		before := CPUCacheStats()
		dev.Free(FromSlice(host, 4096).Buffer())
		if after := CPUCacheStats(); after.CachedBytes != before.CachedBytes {
			t.Fatalf("cached bytes %d → %d after freeing a FromSlice buffer", before.CachedBytes, after.CachedBytes)
		}
		if host[7] != 3 || host[0] != 0 {
			t.Fatalf("caller's slice changed: %v %v", host[0], host[7])
		}
	})
	t.Run("tracking buffer to CPU.Free panics", func(t *testing.T) {
		defer wantPanic(t, "not allocated by the CPU device")
		dev.Free(New(NewTrackingCPU(), 4).Buffer())
	})
}

func TestCPUPoison(t *testing.T) {
	old := poison
	poison = true
	defer func() { poison = old }()
	for _, n := range []int{10, 5000} {
		a := New(CPU{}, n)
		d := a.Data()
		if !isNaN32(d[0]) || !isNaN32(d[n-1]) {
			t.Fatalf("n=%d: poisoned Alloc gave %v … %v", n, d[0], d[n-1])
		}
		CPU{}.Fill(a, 1)
		CPU{}.Free(a.Buffer())
		if !isNaN32(d[0]) || !isNaN32(d[n-1]) { // d: a stale slice kept past Free
			t.Fatalf("n=%d: poisoned Free left %v … %v", n, d[0], d[n-1])
		}
	}
	tr := NewTrackingCPU() // always poisons
	poison = false
	if v := New(tr, 3).Data()[1]; !isNaN32(v) {
		t.Fatalf("TrackingCPU Alloc gave %v, want NaN", v)
	}
}

func isNaN32(v float32) bool { return math.IsNaN(float64(v)) }

func TestCPUCacheLimit(t *testing.T) {
	dev := CPU{}
	TrimCPUCache()
	old := SetCPUCacheLimit(3 * 4 * 8192)
	defer SetCPUCacheLimit(old)
	if old <= 0 {
		t.Fatalf("default limit %d", old)
	}
	bufs := make([]*Tensor, 5)
	for i := range bufs {
		bufs[i] = New(dev, 8192)
	}
	before := CPUCacheStats()
	for _, b := range bufs {
		dev.Free(b.Buffer())
	}
	s := CPUCacheStats()
	if s.CachedBytes != 3*4*8192 || s.Evicted-before.Evicted != 2 || s.InUseBytes != before.InUseBytes-5*4*8192 {
		t.Fatalf("after freeing 5 buffers with room for 3: %+v (before %+v)", s, before)
	}
	if got := SetCPUCacheLimit(4 * 8192); got != 3*4*8192 {
		t.Fatalf("SetCPUCacheLimit returned %d", got)
	}
	if s := CPUCacheStats(); s.CachedBytes != 4*8192 || s.LimitBytes != 4*8192 {
		t.Fatalf("after lowering the limit to one buffer: %+v", s)
	}
	TrimCPUCache()
	if s := CPUCacheStats(); s.CachedBytes != 0 {
		t.Fatalf("after TrimCPUCache: %+v", s)
	}
	SetCPUCacheLimit(0) // caching off: a freed buffer is dropped
	b := New(dev, 8192)
	dev.Free(b.Buffer())
	if s := CPUCacheStats(); s.CachedBytes != 0 {
		t.Fatalf("limit 0 cached %d bytes", s.CachedBytes)
	}
}

// TestCPUCacheConcurrent allocates, writes, checks and frees buffers of a few sizes from
// several goroutines: no buffer may be handed out twice at once (run with -race too).
func TestCPUCacheConcurrent(t *testing.T) {
	dev := CPU{}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				n := 1024 + 700*((g+i)%5)
				a := New(dev, n)
				d := a.Data()
				mark := float32(g*1000 + i)
				for j := range d {
					d[j] = mark
				}
				b := New(dev, n) // a second live buffer of the same class
				CPU{}.Fill(b, -1)
				for j := range d {
					if d[j] != mark {
						errs <- "a live buffer was overwritten"
						return
					}
				}
				dev.Free(b.Buffer())
				dev.Free(a.Buffer())
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func BenchmarkCPUAllocFree(b *testing.B) {
	dev := CPU{}
	for _, n := range []int{4096, 1 << 20} {
		b.Run(map[int]string{4096: "16KiB", 1 << 20: "4MiB"}[n], func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					dev.Free(dev.Alloc(n))
				}
			})
		})
	}
}

func TestScratch(t *testing.T) {
	TrimCPUCache()
	for _, n := range []int{10, 3000} {
		s := getScratch(n)
		if len(s) != n {
			t.Fatalf("getScratch(%d): len %d", n, len(s))
		}
		p := &s[0]
		putScratch(s)
		s2 := getScratch(n)
		if reused := &s2[0] == p; reused != (n >= cacheMinElems) {
			t.Fatalf("n=%d: reused = %v", n, reused)
		}
		putScratch(s2)
	}
	defer wantPanic(t, "did not come from getScratch")
	putScratch(make([]float32, 1500))
}
