// Package parallel is the one worker pool that every parallel CPU kernel of selfsup
// shares (tensor kernels and the GEMM alike), so kernels never fight over the cores.
//
// A call to [For] splits a range into chunks; the calling goroutine and idle pool workers
// claim chunks from an atomic counter. The caller always works on its own job until
// every chunk is claimed, so nested calls (a kernel that calls a parallel GEMM from
// inside a parallel loop) cannot deadlock: at worst they run serially.
//
// A training step makes thousands of parallel calls a few hundred microseconds apart.
// Waking a parked worker (and the caller waiting for it) costs about 100 µs on a virtual
// machine whose idle vCPU halts, so workers keep polling for [SpinFor] after each job,
// and the caller polls for the last chunks instead of sleeping on them, like OpenMP's
// active wait policy.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

type job struct {
	fn    func(lo, hi int)
	n     int
	chunk int
	next  atomic.Int64 // chunks claimed
	done  atomic.Int64 // chunks finished
}

// run claims chunks until none are left.
func (j *job) run() {
	for {
		c := int(j.next.Add(1) - 1)
		lo := c * j.chunk
		if lo >= j.n {
			return
		}
		hi := min(lo+j.chunk, j.n)
		j.fn(lo, hi)
		j.done.Add(1)
	}
}

// SpinFor is how long an idle pool worker keeps polling for the next job before it
// parks, and how long a caller polls for its job's last chunks before it naps.
const SpinFor = time.Millisecond

// Wait returns once done reaches n. It spins briefly, then yields to other goroutines
// for up to [SpinFor] (on an idle machine the other workers finish well within that),
// and only then sleeps in short naps, so that a long wait — another process holds the
// core the last worker needs — does not burn the CPU time that worker is waiting for.
func Wait(done *atomic.Int64, n int64) {
	var deadline time.Time
	for i := 0; done.Load() < n; i++ {
		switch {
		case i < 64:
		case i == 64:
			deadline = time.Now().Add(SpinFor)
		case i%32 != 0 || time.Now().Before(deadline):
			runtime.Gosched()
		default:
			time.Sleep(20 * time.Microsecond)
		}
	}
}

var (
	mu      sync.Mutex
	threads = runtime.GOMAXPROCS(0)
	jobs    chan *job
	started int
)

// Threads returns the number of goroutines a parallel kernel uses (the caller included).
func Threads() int {
	mu.Lock()
	defer mu.Unlock()
	return threads
}

// SetThreads sets how many goroutines parallel kernels use; n < 1 means
// runtime.GOMAXPROCS(0). It returns the previous value. Workers are started lazily and
// never stopped; lowering the count only stops handing them work.
func SetThreads(n int) int {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	mu.Lock()
	defer mu.Unlock()
	old := threads
	threads = n
	return old
}

// workers makes sure n-1 pool goroutines exist and returns the job channel.
func workers(n int) chan *job {
	mu.Lock()
	defer mu.Unlock()
	if jobs == nil {
		jobs = make(chan *job, 64)
	}
	for started < n-1 {
		started++
		go worker(jobs)
	}
	return jobs
}

// worker runs jobs from the channel: it polls for up to SpinFor after each job and
// parks on the channel only when none came.
func worker(jobs chan *job) {
	for {
		var j *job
		deadline := time.Now().Add(SpinFor)
		for i := 0; j == nil; i++ {
			if len(jobs) > 0 {
				select {
				case j = <-jobs:
					continue
				default:
				}
			}
			if i%32 == 31 {
				if time.Now().After(deadline) {
					j = <-jobs
					break
				}
				runtime.Gosched()
			}
		}
		j.run()
	}
}

// For calls fn(lo, hi) over disjoint chunks covering [0, n), in parallel on up to
// Threads() goroutines. grain is the smallest chunk worth handing to another core
// (in loop iterations); ranges smaller than 2*grain run on the caller alone. fn must
// be safe to call concurrently on disjoint ranges.
func For(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	t := Threads()
	if t <= 1 || n < 2*grain {
		fn(0, n)
		return
	}
	chunks := min(t, n/grain)
	ForChunks(n, chunks, fn)
}

// ForChunks is like For but splits [0, n) into exactly min(chunks, n) chunks of nearly
// equal size, for kernels that plan their own partition (the GEMM splits by panels).
func ForChunks(n, chunks int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	chunks = min(chunks, n)
	if chunks <= 1 {
		fn(0, n)
		return
	}
	j := &job{fn: fn, n: n, chunk: (n + chunks - 1) / chunks}
	nc := (n + j.chunk - 1) / j.chunk
	ch := workers(Threads())
	for i := 1; i < nc; i++ {
		select {
		case ch <- j:
		default:
			i = nc // pool busy: the caller does the rest
		}
	}
	j.run()
	Wait(&j.done, int64(nc))
}
