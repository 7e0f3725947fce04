// Package cuda is the NVIDIA GPU backend: [Device] implements every kernel of the
// tensor.Device contract with hand-written CUDA kernels (kernels/*.cu, one file per
// kernel family), compiled to PTX for compute_80 (Ampere and newer, JIT-compiled by the
// driver on Hopper), embedded in the binary and loaded lazily through gorgonia.org/cu.
//
// Everything that touches the driver carries the build tag `cuda` and needs cgo:
//
//	CGO_ENABLED=1 go build -tags cuda ./...
//
// Without the tag the package offers the same API: [New] returns an error saying that
// selfsup was built without GPU support, so CPU-only builds never need CUDA.
//
// One goroutine locked to an OS thread owns the CUDA context and issues every driver
// call. GPU memory comes from a caching allocator with size buckets: [Device.Free]
// returns a block to the cache (nn.Tape.Reset and nn.ZeroGrads call it for
// intermediates and gradients); nothing is freed by finalizers.
//
// MatMul is exact fp32 by default (tiled, double-buffered shared memory) so results
// match the CPU within the conformance suite's tolerances; Device.SetTF32(true) or
// SELFSUP_TF32=1 switches large products to TF32 tensor cores (mma.sync m16n8k8 with
// cp.async double buffering, fp32 accumulate).
//
// Convolutions with TF32 on run as an implicit GEMM on tensor cores (kernels/igemm.cu:
// [Device.ConvForward], [Device.ConvForwardBias], [Device.ConvInputGrad],
// [Device.ConvFilterGrad]): the im2col columns are gathered from the image into shared
// memory through a per-geometry row table, never written to global memory; the filter
// gradient sums deterministic partial products over position chunks. BatchNorm followed
// by ReLU, LeakyReLU or ELU runs fused ([Device.BatchNormAct]).
//
// The PTX is committed; `go generate ./cuda` rebuilds it with nvcc
// (../shared/tools/cuda-setup.sh installs nvcc 11.8 and clang-14) and records checksums
// that a CPU-side test compares with the .cu sources. scripts/gpu-build.sh builds the
// GPU test binaries; scripts/gpu-check.sh runs the conformance suite, the layer and model
// fixtures (DEVICE=cuda) and the training-step benchmarks on a GPU machine.
package cuda
