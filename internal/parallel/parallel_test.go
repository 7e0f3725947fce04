package parallel

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestForCoversRangeOnce(t *testing.T) {
	for _, tc := range []struct{ n, grain, threads int }{
		{0, 1, 2}, {1, 1, 2}, {7, 1, 2}, {1000, 3, 2}, {1000, 1000, 4}, {17, 2, 8},
	} {
		old := SetThreads(tc.threads)
		hits := make([]int32, tc.n)
		For(tc.n, tc.grain, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&hits[i], 1)
			}
		})
		SetThreads(old)
		for i, h := range hits {
			if h != 1 {
				t.Fatalf("n=%d grain=%d: index %d visited %d times", tc.n, tc.grain, i, h)
			}
		}
	}
}

func TestNestedForDoesNotDeadlock(t *testing.T) {
	old := SetThreads(4)
	defer SetThreads(old)
	var total atomic.Int64
	For(64, 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			For(100, 1, func(a, b int) { total.Add(int64(b - a)) })
		}
	})
	if total.Load() != 6400 {
		t.Fatalf("total %d, want 6400", total.Load())
	}
}

func TestWaitReturnsOnlyWhenDone(t *testing.T) {
	// The counter reaches 3 after the caller has spun, yielded and napped (SpinFor).
	for _, delay := range []time.Duration{0, SpinFor / 4, 3 * SpinFor} {
		var done atomic.Int64
		go func() {
			for range 3 {
				time.Sleep(delay / 3)
				done.Add(1)
			}
		}()
		Wait(&done, 3)
		if got := done.Load(); got != 3 {
			t.Fatalf("delay %v: Wait returned at %d of 3", delay, got)
		}
	}
}

func TestWorkersParkAndWakeUp(t *testing.T) {
	// Calls further apart than SpinFor find the workers parked on the channel.
	old := SetThreads(2)
	defer SetThreads(old)
	for range 3 {
		var total atomic.Int64
		For(1000, 1, func(lo, hi int) { total.Add(int64(hi - lo)) })
		if total.Load() != 1000 {
			t.Fatalf("total %d, want 1000", total.Load())
		}
		time.Sleep(2 * SpinFor)
	}
}
