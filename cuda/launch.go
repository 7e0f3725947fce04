package cuda

// Pure-Go launch plumbing shared by every kernel wrapper: argument packing, grid
// geometry and axis merging. It never touches the driver, so it builds and is tested
// without the cuda tag.

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/selfsup/selfsup/tensor"
)

// MemStats reports a Device's caching allocator state in bytes.
type MemStats struct {
	InUse  int64 // allocated and not yet freed
	Cached int64 // freed, kept for reuse
	Peak   int64 // highest InUse so far
}

// maxGridBlocks caps the grid of grid-stride kernels: 32768 blocks keep every SM of a
// Hopper GPU busy for many waves while bounding the launch size. Kernels launched with
// blocks(n, threads) MUST loop with a grid stride (i += gridDim.x·blockDim.x).
const maxGridBlocks = 32768

// blocks returns the number of blocks of threads threads that cover n work items,
// ceil(n/threads), at least 1 and at most maxGridBlocks. It is meant for grid-stride
// kernels: with a capped grid each thread handles several items.
func blocks(n, threads int) int {
	if threads <= 0 {
		panic(fmt.Sprintf("cuda: blocks: %d threads per block", threads))
	}
	b := (n + threads - 1) / threads
	return min(max(b, 1), maxGridBlocks)
}

// devPointer is implemented by this package's GPU buffers: the device address of
// element 0, and false once the buffer has been freed.
type devPointer interface {
	devPtr() (ptr uint64, live bool)
}

// packArgs converts launch arguments into the 8-byte slots that cu's Function.Launch
// copies into the kernel parameter buffer: *tensor.Tensor → device address of its first
// element (buffer base + 4·offset; a nil tensor → 0), tensor.Buffer → its base address,
// int / int32 → a C int (panics outside int32), uint32, int64 and uint64 → the value,
// float32 → its bits (a C float), bool → 0/1 as a C int. kernel names the kernel in
// panic messages.
func packArgs(kernel string, args []any) []uint64 {
	slots := make([]uint64, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case *tensor.Tensor:
			if v == nil {
				continue
			}
			slots[i] = bufferPtr(kernel, i, v.Buffer()) + 4*uint64(v.Offset())
		case tensor.Buffer:
			slots[i] = bufferPtr(kernel, i, v)
		case int:
			if v < math.MinInt32 || v > math.MaxInt32 {
				panic(fmt.Sprintf("cuda: %s: argument %d = %d overflows a C int", kernel, i, v))
			}
			slots[i] = uint64(uint32(int32(v)))
		case int32:
			slots[i] = uint64(uint32(v))
		case uint32:
			slots[i] = uint64(v)
		case int64:
			slots[i] = uint64(v)
		case uint64:
			slots[i] = v
		case float32:
			slots[i] = uint64(math.Float32bits(v))
		case bool:
			if v {
				slots[i] = 1
			}
		default:
			panic(fmt.Sprintf("cuda: %s: argument %d has unsupported type %T", kernel, i, a))
		}
	}
	return slots
}

func bufferPtr(kernel string, i int, b tensor.Buffer) uint64 {
	if b == nil {
		return 0
	}
	p, ok := b.(devPointer)
	if !ok {
		panic(fmt.Sprintf("cuda: %s: argument %d lives on %s, not on a cuda device", kernel, i, b.Device().Name()))
	}
	ptr, live := p.devPtr()
	if !live {
		panic(fmt.Sprintf("cuda: %s: argument %d uses a freed buffer", kernel, i))
	}
	return ptr
}

// mergeAxes drops size-1 axes of shape and merges adjacent axes that are contiguous
// with each other in every stride set, returning a shape of rank ≥ 1 and the matching
// strides (one slice per input set). Kernels index the result with fewer divisions.
func mergeAxes(shape []int, strides ...[]int) (outShape []int, outStrides [][]int) {
	outStrides = make([][]int, len(strides))
	for i, d := range shape {
		if d == 1 {
			continue
		}
		k := len(outShape) - 1
		if k >= 0 {
			ok := true
			for j, s := range strides {
				if outStrides[j][k] != s[i]*d {
					ok = false
					break
				}
			}
			if ok {
				outShape[k] *= d
				for j, s := range strides {
					outStrides[j][k] = s[i]
				}
				continue
			}
		}
		outShape = append(outShape, d)
		for j, s := range strides {
			outStrides[j] = append(outStrides[j], s[i])
		}
	}
	if len(outShape) == 0 {
		outShape = []int{1}
		for j := range strides {
			outStrides[j] = []int{1}
		}
	}
	return outShape, outStrides
}

// bucketBytes returns the size class, in bytes, that the caching allocator uses for a
// buffer of n float32 elements: at least 1 KiB, then rounded up to a quarter of the
// enclosing power of two (at most 25% waste, 256-byte aligned), so that the same
// shapes recur in the same buckets from one training step to the next.
func bucketBytes(n int) int64 {
	b := int64(n) * 4
	if b <= 1024 {
		return 1024
	}
	k := bits.Len64(uint64(b-1)) - 1 // 2^(k+1) ≥ b > 2^k
	step := int64(1) << (k - 2)      // four steps between 2^k and 2^(k+1)
	return (b + step - 1) / step * step
}

// padAxes returns v right-aligned in a slice of length r, the leading entries set to
// 1 (a size-1 axis, or a stride that is never multiplied by a non-zero index).
func padAxes(v []int, r int) []int {
	if len(v) > r {
		panic(fmt.Sprintf("cuda: padAxes: %d axes > %d", len(v), r))
	}
	out := make([]int, r)
	for i := range out {
		out[i] = 1
	}
	copy(out[r-len(v):], v)
	return out
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
