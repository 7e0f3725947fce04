#!/usr/bin/env bash
# gpu-build.sh builds, on a machine without a GPU, everything scripts/gpu-check.sh runs
# on the GPU host (which may have no Go toolchain): the cuda-tagged test binaries of
# ./cuda, ./nn and ./models and the gpubench program, stripped and gzipped (about 12 MB
# in all), into bin/ (ignored by git; carry it to the GPU host; gpu-check.sh unpacks
# them). Needs the libcuda stub (../shared/tools/cuda-setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export CGO_ENABLED=1
export CGO_LDFLAGS="${CGO_LDFLAGS:--L/usr/lib/x86_64-linux-gnu/stubs}"
mkdir -p bin
flags=(-tags cuda -trimpath -ldflags=-s\ -w)
for pkg in cuda nn models; do
	go test -c "${flags[@]}" -o "bin/$pkg.test" "./$pkg"
done
go build "${flags[@]}" -o bin/gpubench ./examples/gpubench
gzip -9 -f bin/cuda.test bin/nn.test bin/models.test bin/gpubench
ls -l bin/
