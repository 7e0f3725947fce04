#!/usr/bin/env bash
# build-ptx.sh rebuilds cuda/kernels/*.ptx from cuda/kernels/*.cu with nvcc (compute_80
# PTX, which the driver JIT-compiles for Ampere and Hopper) and records the sha256 of
# every .cu, .cuh (shared headers) and .ptx in cuda/kernels/ptx.sum, which the CPU test
# suite (cuda/ptx_test.go) checks. Run through `go generate ./cuda` or directly; NVCC and
# CCBIN override the tools. Arguments (e.g. `memory.cu`) rebuild only those sources (after
# a header change, rebuild every .cu that includes it); ptx.sum always covers all.
set -euo pipefail
cd "$(dirname "$0")/../cuda/kernels"
NVCC=${NVCC:-nvcc}
CCBIN=${CCBIN:-clang-14}
srcs=("$@")
[ ${#srcs[@]} -gt 0 ] || srcs=(*.cu)
for cu in "${srcs[@]}"; do
	ptx="${cu%.cu}.ptx"
	"$NVCC" -ccbin "$CCBIN" -ptx -arch=compute_80 -O3 -o "$ptx" "$cu"
	echo "built $ptx"
done
sha256sum -- *.cu *.cuh *.ptx >ptx.sum
