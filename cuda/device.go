//go:build cuda

package cuda

import (
	"embed"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/selfsup/selfsup/tensor"
	"gorgonia.org/cu"
)

//go:embed kernels/*.ptx
var ptxFS embed.FS

var _ tensor.Device = (*Device)(nil)

// Enabled reports whether this build has GPU support (the cuda build tag).
const Enabled = true

// threadsPerBlock is the block size of the simple grid-stride kernels.
const threadsPerBlock = 256

// Device is one NVIDIA GPU as a [tensor.Device]. A goroutine locked to an OS thread
// owns the CUDA context and makes every driver call, in submission order, on the
// default stream: kernel launches are queued without waiting (their errors surface
// at the next call), transfers to and from the host wait for the work before them.
// Memory comes from a caching allocator: [Device.Free] returns a block to a cache of
// size classes that later allocations reuse; [Device.EmptyCache] gives the cached
// blocks back to the driver. Nothing is freed by finalizers.
//
// Set SELFSUP_CUDA_SYNC=1 to make every launch synchronous, so that an asynchronous
// fault (an illegal address) is reported with the name of the kernel that caused it.
// Set SELFSUP_CUDA_PROFILE=1 (or call [Device.SetProfile]) to time every launch and
// every transfer, fill and driver allocation (a cache miss) synchronously and sum the
// times by kernel name; [Device.Profile] returns them. Profiling serialises the host
// and the GPU, so steps get slower; when off it costs one atomic load per launch.
// A Device may be used from several goroutines, but its kernels then run in whatever
// order the calls arrive.
type Device struct {
	ordinal  int
	name     string
	syncMode bool
	queue    chan func()
	closed   atomic.Bool
	errv     atomic.Pointer[error] // first asynchronous error, reported by the next call

	// Owned by the worker goroutine.
	ctx     cu.CUContext
	modules map[string]cu.Module
	lx      *launcher // the reusable kernel parameter block (launch_cgo.go)

	mu     sync.Mutex // guards funcs and the allocator state below
	funcs  map[funcKey]cu.Function
	cache  map[int64][]cu.DevicePtr // size class in bytes → free blocks
	inUse  int64                    // bytes handed out by Alloc and not yet freed
	cached int64                    // bytes held in cache
	peak   int64                    // high-water mark of inUse

	// igemmTabs caches the row tables of the implicit-GEMM convolutions by geometry
	// (see igemmTable); they live until Close. Guarded by mu.
	igemmTabs map[igemmTabKey]tensor.Buffer
	// igemmCoord turns off the tap masks of the implicit-GEMM forward
	// (SELFSUP_IGEMM_COORD=1; see igemmMask).
	igemmCoord bool

	// tf32 selects TF32 tensor-core GEMMs (opt-in; see the matmul wrappers).
	tf32 atomic.Bool

	// prof is non-nil in profiling mode (see SetProfile).
	prof atomic.Pointer[profiler]
}

type funcKey struct{ mod, fn string }

// buffer is a block of device memory holding n float32 elements (size bytes reserved).
type buffer struct {
	dev   *Device
	ptr   cu.DevicePtr
	n     int
	size  int64
	freed bool
}

func (b *buffer) Device() tensor.Device { return b.dev }
func (b *buffer) Len() int              { return b.n }
func (b *buffer) devPtr() (uint64, bool) {
	return uint64(b.ptr), !b.freed
}

// New opens GPU number ordinal (0-based): it creates a CUDA context owned by a new
// goroutine locked to an OS thread. Call [Device.Close] when done.
func New(ordinal int) (*Device, error) {
	n, err := cu.NumDevices()
	if err != nil {
		return nil, fmt.Errorf("cuda: counting devices: %v", err)
	}
	if ordinal < 0 || ordinal >= n {
		return nil, fmt.Errorf("cuda: no GPU %d (%d found)", ordinal, n)
	}
	d := &Device{
		ordinal:  ordinal,
		name:     fmt.Sprintf("cuda:%d", ordinal),
		syncMode: os.Getenv("SELFSUP_CUDA_SYNC") == "1",
		queue:    make(chan func(), 1024),
		modules:  map[string]cu.Module{},
		funcs:    map[funcKey]cu.Function{},
		cache:    map[int64][]cu.DevicePtr{},

		igemmTabs: map[igemmTabKey]tensor.Buffer{},
	}
	d.tf32.Store(os.Getenv("SELFSUP_TF32") == "1")
	d.igemmCoord = os.Getenv("SELFSUP_IGEMM_COORD") == "1"
	if os.Getenv("SELFSUP_CUDA_PROFILE") == "1" {
		d.prof.Store(newProfiler())
	}
	started := make(chan error)
	go d.loop(started)
	if err := <-started; err != nil {
		return nil, err
	}
	return d, nil
}

// loop is the worker: it binds a fresh context to its OS thread and runs the queued
// driver calls until Close closes the queue.
func (d *Device) loop(started chan<- error) {
	runtime.LockOSThread()
	dev, err := cu.GetDevice(d.ordinal)
	if err == nil {
		d.ctx, err = dev.MakeContext(cu.SchedAuto)
	}
	if err == nil {
		if d.lx, err = newLauncher(); err != nil {
			d.ctx.Destroy()
		}
	}
	if err != nil {
		started <- fmt.Errorf("cuda: opening GPU %d: %v", d.ordinal, err)
		return
	}
	started <- nil
	spin := runtime.GOMAXPROCS(0) >= 4
	for {
		f, ok := d.next(spin)
		if !ok {
			return
		}
		f()
	}
}

// workerSpin is how long the idle worker polls the queue before it blocks. Waking a
// goroutine locked to an OS thread costs a thread hand-off (several µs) per launch;
// while the caller keeps queueing launches a few µs apart, polling avoids it.
const workerSpin = 200 * time.Microsecond

// next returns the next queued call (false once the queue is closed). With spin it
// first polls the queue for up to workerSpin (only when GOMAXPROCS ≥ 4, so that the
// polling never starves the goroutines queueing work).
func (d *Device) next(spin bool) (func(), bool) {
	select {
	case f, ok := <-d.queue:
		return f, ok
	default:
	}
	if spin {
		t0 := time.Now()
		for i := 1; ; i++ {
			select {
			case f, ok := <-d.queue:
				return f, ok
			default:
			}
			if i%64 == 0 && time.Since(t0) > workerSpin {
				break
			}
		}
	}
	f, ok := <-d.queue
	return f, ok
}

// Name returns "cuda:N".
func (d *Device) Name() string { return d.name }

// Ordinal returns the GPU number given to New.
func (d *Device) Ordinal() int { return d.ordinal }

// GPUName returns the driver's name of the GPU ("NVIDIA H200").
func (d *Device) GPUName() string {
	var s string
	d.do(func() {
		s, _ = cu.Device(d.ordinal).Name()
	})
	return s
}

// Close waits for queued work, releases every cached block and destroys the context.
// Buffers still in use die with it. The Device must not be used afterwards.
func (d *Device) Close() error {
	if d.closed.Load() {
		return nil
	}
	var err error
	done := make(chan struct{})
	d.enqueue(func() {
		defer close(done)
		d.freeCache()
		d.lx.free()
		err = d.ctx.Destroy()
	})
	<-done
	d.closed.Store(true)
	close(d.queue)
	if err != nil {
		return fmt.Errorf("cuda: Close: %v", err)
	}
	return nil
}

// enqueue hands f to the worker without waiting.
func (d *Device) enqueue(f func()) {
	if d.closed.Load() {
		panic(fmt.Sprintf("cuda: %s used after Close", d.name))
	}
	d.queue <- f
}

// check panics with the first asynchronous error, if any.
func (d *Device) check() {
	if e := d.errv.Load(); e != nil {
		panic(fmt.Sprintf("%v (set SELFSUP_CUDA_SYNC=1 to find the failing kernel)", *e))
	}
}

func (d *Device) setErr(err error) { d.errv.CompareAndSwap(nil, &err) }

// do runs f on the worker goroutine (the thread owning the context) and waits for it.
// A panic in f is re-raised on the caller.
func (d *Device) do(f func()) {
	d.check()
	done := make(chan any, 1)
	d.enqueue(func() {
		defer func() { done <- recover() }()
		f()
	})
	if p := <-done; p != nil {
		panic(p)
	}
}

// Synchronize waits until every queued kernel has finished and panics on a CUDA error.
// Timers call it before reading the clock.
func (d *Device) Synchronize() {
	d.do(func() {
		if err := cu.Synchronize(); err != nil {
			panic(fmt.Sprintf("cuda: Synchronize: %v", err))
		}
	})
}

// function returns kernel fn of module mod (kernels/mod.ptx), loading the module on
// first use and caching the handle.
func (d *Device) function(mod, fn string) cu.Function {
	key := funcKey{mod, fn}
	d.mu.Lock()
	f, ok := d.funcs[key]
	d.mu.Unlock()
	if ok {
		return f
	}
	d.do(func() {
		m, ok := d.modules[mod]
		if !ok {
			src, err := ptxFS.ReadFile("kernels/" + mod + ".ptx")
			if err != nil {
				panic(fmt.Sprintf("cuda: no kernel module %q: %v", mod, err))
			}
			if m, err = cu.LoadData(string(src)); err != nil {
				panic(fmt.Sprintf("cuda: loading kernels/%s.ptx: %v", mod, err))
			}
			d.modules[mod] = m
		}
		var err error
		if f, err = m.Function(fn); err != nil {
			panic(fmt.Sprintf("cuda: kernel %s not found in kernels/%s.ptx: %v", fn, mod, err))
		}
	})
	d.mu.Lock()
	d.funcs[key] = f
	d.mu.Unlock()
	return f
}

// launch queues kernel fn of module mod on a grid of blocks (zero dimensions count as
// 1) with shmem bytes of dynamic shared memory. args are packed by packArgs:
// *tensor.Tensor (device address of its first element), tensor.Buffer, int, int32,
// uint32, int64, uint64, float32, bool. It panics on a CUDA error naming the kernel
// (for an asynchronous one, at the next call; see SELFSUP_CUDA_SYNC).
func (d *Device) launch(mod, fn string, grid, block [3]int, shmem int, args ...any) {
	f := d.function(mod, fn)
	slots := packArgs(fn, args)
	for i := range 3 {
		grid[i], block[i] = max(grid[i], 1), max(block[i], 1)
	}
	// run executes on the worker, which owns d.lx.
	run := func() error {
		return d.lx.run(f, grid, block, shmem, slots)
	}
	if p := d.prof.Load(); p != nil {
		d.do(func() {
			if err := timed(p, mod+"/"+fn, run); err != nil {
				panic(fmt.Sprintf("cuda: %s/%s grid %v block %v shmem %d: %v", mod, fn, grid, block, shmem, err))
			}
		})
		return
	}
	if d.syncMode {
		d.do(func() {
			err := run()
			if err == nil {
				err = cu.Synchronize()
			}
			if err != nil {
				panic(fmt.Sprintf("cuda: %s/%s grid %v block %v shmem %d: %v", mod, fn, grid, block, shmem, err))
			}
		})
		return
	}
	d.check()
	d.enqueue(func() {
		if err := run(); err != nil {
			d.setErr(fmt.Errorf("cuda: %s/%s grid %v block %v shmem %d: %v", mod, fn, grid, block, shmem, err))
		}
	})
}

// ptr returns the device address of t's first element (buffer base + 4·offset). It
// panics if t is not on a cuda device or its buffer was freed.
func (d *Device) ptr(t *tensor.Tensor) uint64 {
	return packArgs("ptr", []any{t})[0]
}

// buf returns b as this device's buffer, panicking (naming op) otherwise.
func (d *Device) buf(op string, b tensor.Buffer) *buffer {
	cb, ok := b.(*buffer)
	if !ok || cb.dev != d {
		panic(fmt.Sprintf("cuda: %s: buffer on %s, want %s", op, b.Device().Name(), d.name))
	}
	if cb.freed {
		panic(fmt.Sprintf("cuda: %s: buffer used after Free", op))
	}
	return cb
}

// SetProfile turns the profiling mode on or off (New turns it on when the environment
// has SELFSUP_CUDA_PROFILE=1). Turning it on starts from empty counters; turning it
// off drops them.
func (d *Device) SetProfile(on bool) {
	switch {
	case !on:
		d.prof.Store(nil)
	case d.prof.Load() == nil:
		d.prof.Store(newProfiler())
	}
}

// Profiling reports whether the profiling mode is on.
func (d *Device) Profiling() bool { return d.prof.Load() != nil }

// ResetProfile clears the profiling counters (e.g. after warm-up steps).
func (d *Device) ResetProfile() {
	if p := d.prof.Load(); p != nil {
		p.reset()
	}
}

// Profile returns the time spent per kernel and memory operation since the last
// ResetProfile, longest total first; nil when the profiling mode is off.
func (d *Device) Profile() []ProfileEntry {
	if p := d.prof.Load(); p != nil {
		return p.snapshot()
	}
	return nil
}

// timed runs f on the worker between two synchronisations and records its duration
// (including the GPU work it queued) under name. It returns the first error.
func timed(p *profiler, name string, f func() error) error {
	if err := cu.Synchronize(); err != nil {
		return err
	}
	t0 := time.Now()
	err := f()
	if err == nil {
		err = cu.Synchronize()
	}
	p.add(name, time.Since(t0))
	return err
}
