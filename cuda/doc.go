// Package cuda is the NVIDIA GPU backend: a tensor.Device whose kernels are hand-written
// CUDA compiled to PTX, embedded in the binary and loaded through gorgonia.org/cu.
// Everything that touches the driver carries the build tag `cuda`; without the tag the
// package offers the same API returning an error, so CPU-only builds never need CUDA.
//
// Status: the backend arrives with the GPU issue; this package currently holds only
// this documentation.
package cuda
