#!/bin/sh
# bench/run_core.sh - build the core benches in release mode (-O2, no
# sanitizer), run every case (hoop_ring against liburing), collect the JSON
# lines and print a markdown table.
#
#   bench/run_core.sh            from the repository root
#
# Environment:
#   BUILD_DIR           build tree (default build-bench)
#   OUT                 JSON lines file (default $BUILD_DIR/bench-core.jsonl)
#   HOOP_BENCH_SECONDS  seconds per timed run (default 0.1)
#   HOOP_BENCH_FILE     the 1 GiB read file (default /tmp/hoop-bench-1g.dat)
#
# Needs liburing (headers and library) for the baseline and valgrind for the
# instruction count (that case is skipped without it). Takes about 1-2
# minutes on 2 cores, plus creating the 1 GiB file the first time.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build-bench}
out=${OUT:-$build/bench-core.jsonl}

cmake -S "$src" -B "$build" -G Ninja \
	-DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
	-DHOOP_SANITIZE= -DHOOP_BUILD_BENCH=ON \
	-DHOOP_BUILD_TESTS=OFF -DHOOP_BUILD_EXAMPLES=OFF >/dev/null
if ! cmake --build "$build" -j2 --target bench_nop bench_read; then
	echo "run_core.sh: build failed (is liburing installed? see the cmake output)" >&2
	exit 1
fi

# run_bench PROG: its JSON lines to the terminal and into $out as they
# come; stop with an error if it fails (the status of `PROG | tee` is tee's,
# and /bin/sh has no pipefail).
run_bench() {
	rm -f "$out.status"
	{ "$1" || echo $? >"$out.status"; } | tee -a "$out"
	if [ -e "$out.status" ]; then
		echo "$(basename "$0"): $1 failed (status $(cat "$out.status"))" >&2
		rm -f "$out.status"
		exit 1
	fi
}

: >"$out"
echo "== bench_nop" >&2
run_bench "$build/bench/bench_nop"
echo "== bench_read" >&2
run_bench "$build/bench/bench_read"
echo "results: $out" >&2

python3 - "$out" <<'EOF'
import json, sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def fmt(v, unit):
    if unit == "ops/s":
        return f"{v / 1e6:.3f} M" if v >= 1e6 else f"{v / 1e3:.1f} k"
    return f"{v:.2f}"
print()
print("| case | unit | hoop | liburing | ratio | bar | met |")
print("|---|---|---:|---:|---:|---|---|")
for r in rows:
    instr = r["unit"] == "instr/op"
    bar = 1.0 if instr else 0.97
    bar_s = "liburing/hoop >= 1.00" if instr else "hoop/liburing >= 0.97"
    met = "yes" if r["ratio"] >= bar else "**no**"
    print(f"| {r['case']} | {r['unit']} | {fmt(r['hoop'], r['unit'])} | "
          f"{fmt(r['baseline_value'], r['unit'])} | {r['ratio']:.3f} | "
          f"{bar_s} | {met} |")
EOF
