#!/bin/sh
# bench/run_cp.sh - `hoop cp` of a 1 GiB file against coreutils' cp and
# `dd bs=1M`: page cache warm, page cache dropped (cold), and O_DIRECT
# (hoop cp --direct and dd iflag=direct oflag=direct, against cp from a
# cold cache). Builds the hoop command in release mode and runs
# `hoop bench --only cp`, which does the timing (see docs/BENCHMARKS.md,
# section "hoop cp"); prints the JSON lines and a markdown table.
#
#   bench/run_cp.sh            from the repository root (about 3-5 minutes)
#
# Environment:
#   BUILD_DIR   build tree (default build-bench, shared with run_core.sh)
#   OUT         JSON lines (default $BUILD_DIR/bench-cp.jsonl)
#   SIZE        file size (default 1G)
#   REPEATS     rounds of each tool (default 5); medians are reported
#   CP_DIR      where the files go (default /tmp; a real disk, not tmpfs)
#   HOOP_BENCH_CP_MODES  a subset of "warm cold direct"
# The cold case drops the page cache (echo 3 > /proc/sys/vm/drop_caches)
# before every run, which needs root; otherwise posix_fadvise(DONTNEED) on
# the source file.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build-bench}
out=${OUT:-$build/bench-cp.jsonl}

cmake -S "$src" -B "$build" -G Ninja \
	-DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
	-DHOOP_SANITIZE= -DHOOP_BUILD_TESTS=OFF -DHOOP_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j2 --target hoop_cli >/dev/null

"$build/cli/hoop" bench --only cp --cp-size "${SIZE:-1G}" \
	--repeat "${REPEATS:-5}" --cp-dir "${CP_DIR:-/tmp}" --json "$out" >&2
cat "$out"

python3 - "$out" <<'PY'
import json, sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print()
print("| case | hoop cp (s) | baseline | baseline (s) | ratio (baseline/hoop) | bar | met |")
print("|---|---:|---|---:|---:|---|---|")
for r in rows:
    if "case" not in r:
        continue
    vs_cp = r["baseline"].startswith("cp")
    bar = ">= 1.00" if vs_cp else "-"
    met = ("yes" if r["ratio"] >= 1.0 else "**no**") if vs_cp else "-"
    print(f"| {r['case']} | {r['hoop']:.3f} | {r['baseline']} | "
          f"{r['baseline_value']:.3f} | {r['ratio']:.3f} | {bar} | {met} |")
PY
