//go:build cuda

package cuda

/*
#cgo LDFLAGS: -lcuda
#include <cuda.h>
#include <stdlib.h>

#define SELFSUP_MAX_ARGS 64

// selfsup_argblock is a kernel parameter buffer: slot[i] holds argument i (8 bytes),
// argp[i] = &slot[i] is what cuLaunchKernel reads. One lives as long as its Device.
typedef struct {
	unsigned long long slot[SELFSUP_MAX_ARGS];
	void *argp[SELFSUP_MAX_ARGS];
} selfsup_argblock;

static selfsup_argblock *selfsup_argblock_new(void) {
	selfsup_argblock *b = (selfsup_argblock *)malloc(sizeof *b);
	if (b) {
		for (int i = 0; i < SELFSUP_MAX_ARGS; i++) {
			b->slot[i] = 0;
			b->argp[i] = &b->slot[i];
		}
	}
	return b;
}

static CUresult selfsup_launch(selfsup_argblock *b, CUfunction f, unsigned gx, unsigned gy, unsigned gz,
                               unsigned bx, unsigned by, unsigned bz, unsigned shmem) {
	return cuLaunchKernel(f, gx, gy, gz, bx, by, bz, shmem, (CUstream)0, b->argp, NULL);
}

static const char *selfsup_error_name(CUresult r) {
	const char *s = NULL;
	if (cuGetErrorName(r, &s) != CUDA_SUCCESS || s == NULL) {
		return "CUDA_ERROR_UNKNOWN";
	}
	return s;
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	"gorgonia.org/cu"
)

// maxLaunchArgs is the capacity of a launcher's parameter block.
const maxLaunchArgs = C.SELFSUP_MAX_ARGS

// launcher launches kernels through cuLaunchKernel from one reusable C parameter block
// (no allocation per launch, unlike cu's Function.Launch). It is owned by the worker
// goroutine: only code running there (inside d.do / d.enqueue) may call run.
type launcher struct {
	blk *C.selfsup_argblock
}

// newLauncher allocates the parameter block; it lives until free.
func newLauncher() (*launcher, error) {
	if unsafe.Sizeof(cu.Function{}) != unsafe.Sizeof(C.CUfunction(nil)) {
		return nil, fmt.Errorf("cuda: cu.Function is not a bare CUfunction handle")
	}
	b := C.selfsup_argblock_new()
	if b == nil {
		return nil, fmt.Errorf("cuda: allocating the kernel parameter block")
	}
	return &launcher{blk: b}, nil
}

// free releases the parameter block.
func (l *launcher) free() {
	if l.blk != nil {
		C.free(unsafe.Pointer(l.blk))
		l.blk = nil
	}
}

// run copies the argument slots into the parameter block and launches f on the default
// stream. Dimensions must be ≥ 1. It returns the launch error (asynchronous faults
// surface at a later synchronising call).
func (l *launcher) run(f cu.Function, grid, block [3]int, shmem int, slots []uint64) error {
	if l.blk == nil {
		return fmt.Errorf("launch after Close")
	}
	if len(slots) > maxLaunchArgs {
		return fmt.Errorf("%d kernel arguments, at most %d", len(slots), maxLaunchArgs)
	}
	dst := (*[maxLaunchArgs]uint64)(unsafe.Pointer(&l.blk.slot[0]))
	copy(dst[:], slots)
	// cu.Function is a struct holding exactly one C.CUfunction.
	fn := *(*C.CUfunction)(unsafe.Pointer(&f))
	r := C.selfsup_launch(l.blk, fn,
		C.uint(grid[0]), C.uint(grid[1]), C.uint(grid[2]),
		C.uint(block[0]), C.uint(block[1]), C.uint(block[2]), C.uint(shmem))
	if r != C.CUDA_SUCCESS {
		return fmt.Errorf("cuLaunchKernel: %s (%d)", C.GoString(C.selfsup_error_name(r)), int(r))
	}
	return nil
}
