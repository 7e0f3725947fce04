//go:build !amd64 || purego

package gemm

// kernels lists the micro-kernels this build can run, fastest first.
var kernels = []*kernel{generic}
