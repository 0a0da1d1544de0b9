#!/bin/sh
# bench/run_stress.sh - the engine stress test at full size: 64 submitting
# and 64 waiting threads, 10^6 operations (NOPs, random timeouts, pipe reads)
# on each backend, with counts checked (submitted == completed == delivered).
# CI runs the same program with 102,400 operations.
#
#   bench/run_stress.sh            from the repository root (BUILD_DIR=build)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build/release}
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target test_engine_stress >/dev/null
for backend in uring threads; do
	start=$(date +%s.%N)
	HOOP_BACKEND=$backend HOOP_STRESS_OPS=${HOOP_STRESS_OPS:-1000000} \
		"$build/tests/test_engine_stress"
	end=$(date +%s.%N)
	echo "$backend: passed in $(awk "BEGIN{printf \"%.1f\", $end - $start}") s"
done
