package cuda

// The PTX kernels in kernels/ are generated from the CUDA sources next to them and
// committed, so that building selfsup never needs nvcc. After editing a .cu file run
//
//	go generate ./cuda
//
// (needs nvcc 11.8+ and clang-14; see scripts/build-ptx.sh), which rebuilds every .ptx
// and kernels/ptx.sum, the checksums the CPU tests compare against.

//go:generate bash ../scripts/build-ptx.sh
