#!/usr/bin/env bash
# gpu-check.sh runs the whole GPU check in one go on a GPU host, from the repository
# root, with the binaries scripts/gpu-build.sh left in bin/ (no Go toolchain needed):
#   1. the conformance suite tensortest.TestDevice and the allocator tests (bin/cuda.test)
#   2. the layer fixtures on the GPU          (DEVICE=cuda bin/nn.test -test.run TestLayerFixtures)
#   3. the model fixtures on the GPU          (DEVICE=cuda bin/models.test -test.run TestModelFixtures)
#   4. the small training-step benchmarks     (DEVICE=cuda bin/models.test -test.bench TrainStep)
#   5. the issue's training-step benchmark    (bin/gpubench, fp32 and TF32)
# and prints one summary table. Logs go to $OUT (or ./gpu-check-out). Each step has a
# time limit; the whole run stays under about 8 minutes. Exit status 1 if a suite fails.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${OUT:-$root/gpu-check-out}
mkdir -p "$out"
summary=$out/summary.txt
: >"$summary"

# The binaries: bin/X, or bin/X.gz (as gpu-build.sh leaves them) unpacked to a temp dir.
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
for b in cuda.test nn.test models.test gpubench; do
	if [ -f "bin/$b.gz" ]; then
		gunzip -c "bin/$b.gz" >"$bin/$b"
	elif [ -f "bin/$b" ]; then
		cp "bin/$b" "$bin/$b"
	else
		echo "gpu-check: bin/$b(.gz) is missing: run scripts/gpu-build.sh first" | tee -a "$summary"
		exit 2
	fi
	chmod +x "$bin/$b"
done

{
	date -u
	nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv 2>&1 || echo "nvidia-smi not available"
} >"$out/env.log" 2>&1
gpu=$(sed -n 3p "$out/env.log")

declare -a rows
status=0

# suite NAME DIR LIMIT_S LOG CMD... runs a test binary in its package directory (where
# `go test` would run it) with a time limit and records pass/fail counts.
suite() {
	local name=$1 dir=$2 limit=$3 log=$4
	shift 4
	local t0=$SECONDS rc
	(cd "$dir" && timeout --kill-after=10 "$limit" "$@") >"$log" 2>&1
	rc=$?
	local pass fail
	pass=$(grep -c -e '--- PASS' -e 'ns/op' "$log") # tests passed, or benchmarks run
	fail=$(grep -c -- '--- FAIL' "$log")
	local res=PASS
	if [ $rc -eq 0 ] && [ "$pass" -eq 0 ]; then
		res="NO TESTS RAN"
		status=1
	elif [ $rc -ne 0 ]; then
		res=FAIL
		status=1
		[ $rc -eq 124 ] || [ $rc -eq 137 ] && res="TIMEOUT(${limit}s)"
	fi
	rows+=("$(printf '%-34s %-14s %7s %7s %6ss' "$name" "$res" "$pass" "$fail" $((SECONDS - t0)))")
	echo "== $name: $res (rc $rc, $pass passed, $fail failed, $((SECONDS - t0))s)"
	grep -- '--- FAIL' "$log" | head -15
	if [ $rc -ne 0 ] && [ "$fail" -eq 0 ]; then tail -25 "$log"; fi
}

suite "conformance (tensortest+alloc)" cuda 90 "$out/cuda.log" \
	env SELFSUP_CUDA_SYNC=1 "$bin/cuda.test" -test.v -test.timeout 80s
suite "layer fixtures (DEVICE=cuda)" nn 70 "$out/nn.log" \
	env DEVICE=cuda SELFSUP_CUDA_SYNC=1 "$bin/nn.test" -test.run 'TestLayerFixtures' -test.v -test.timeout 60s
suite "model fixtures (DEVICE=cuda)" models 90 "$out/models.log" \
	env DEVICE=cuda SELFSUP_CUDA_SYNC=1 "$bin/models.test" -test.run 'TestModelFixtures' -test.v -test.timeout 80s
suite "train-step bench (small models)" models 90 "$out/bench.log" \
	env DEVICE=cuda "$bin/models.test" -test.run XXX -test.bench TrainStep -test.benchtime 5x -test.timeout 80s

t0=$SECONDS
# GPUCHECK_PROFILE=1 adds -profile: a per-kernel time table after each model's run.
gbflags=()
[ "${GPUCHECK_PROFILE:-0}" = 1 ] && gbflags+=(-profile)
timeout --kill-after=10 150 "$bin/gpubench" -budget "${GPUBENCH_BUDGET:-110s}" ${gbflags[@]+"${gbflags[@]}"} >"$out/gpubench.log" 2>&1
rc=$?
res=PASS
if [ $rc -ne 0 ] || grep -q FAIL "$out/gpubench.log"; then res=FAIL; status=1; fi
[ $rc -eq 124 ] || [ $rc -eq 137 ] && res="TIMEOUT(150s)"
rows+=("$(printf '%-34s %-14s %7s %7s %6ss' "gpubench (issue shapes)" "$res" - - $((SECONDS - t0)))")

{
	echo
	echo "GPU check on ${gpu:-unknown GPU}, $(date -u +%Y-%m-%dT%H:%MZ)"
	printf '%-34s %-14s %7s %7s %7s\n' suite result passed failed time
	for r in "${rows[@]}"; do echo "$r"; done
	echo
	echo "Training step, small models of models/*_test.go (BenchmarkTrainStep, 5 steps, fp32):"
	printf '%-28s %12s\n' model ms/step
	awk '/^BenchmarkTrainStep\// && /ns\/op/ {
		name = $1; sub(/^BenchmarkTrainStep\//, "", name); sub(/-[0-9]+$/, "", name)
		for (i = 2; i <= NF; i++) if ($(i) == "ns/op") printf "%-28s %12.2f\n", name, $(i-1) / 1e6
	}' "$out/bench.log"
	grep -E -- '--- FAIL: BenchmarkTrainStep/' "$out/bench.log" | sed 's/^/  /'
	echo
	echo "Training step at the issue's shapes (gpubench; PyTorch H200 figures for comparison):"
	sed -n '/^model (one training step)/,$p' "$out/gpubench.log"
	grep -E 'FAIL|panic|no GPU' "$out/gpubench.log" | head -5
} | tee -a "$summary"
exit $status
