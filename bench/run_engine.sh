#!/bin/sh
# bench/run_engine.sh - build the engine and queue benches in release mode
# (-O2, no sanitizer), run every case, collect the JSON lines and print a
# markdown table with the bars of issues 3 and 4.
#
#   bench/run_engine.sh            from the repository root
#
# Environment:
#   BUILD_DIR           build tree (default build-bench, shared with
#                       run_core.sh)
#   OUT                 JSON lines file (default $BUILD_DIR/bench-engine.jsonl)
#   HOOP_BENCH_SECONDS  base seconds per timed run (default 0.1; the thread
#                       runs take 2x, the O_DIRECT runs 5x)
#   HOOP_BENCH_REPEATS  alternating repeats per case (default 9, minimum 5)
#   HOOP_BENCH_FILE     the 1 GiB file, cached for the thread case and read
#                       with O_DIRECT for the queue case; it must be on a real
#                       disk, not tmpfs (default /tmp/hoop-bench-1g.dat, the
#                       core bench's file)
#
# Needs liburing (headers and library) for the mutex-ring baseline, and
# valgrind for the instruction counts (skipped without it). Takes about 2
# minutes on 2 cores with the defaults, plus creating the file the first
# time.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build-bench}
out=${OUT:-$build/bench-engine.jsonl}
HOOP_BENCH_REPEATS=${HOOP_BENCH_REPEATS:-9}
export HOOP_BENCH_REPEATS

cmake -S "$src" -B "$build" -G Ninja \
	-DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
	-DHOOP_SANITIZE= -DHOOP_BUILD_BENCH=ON \
	-DHOOP_BUILD_TESTS=OFF -DHOOP_BUILD_EXAMPLES=OFF >/dev/null
if ! cmake --build "$build" -j2 --target bench_engine_threads \
	bench_engine_direct bench_engine_nop; then
	echo "run_engine.sh: build failed (is liburing installed? see the cmake output)" >&2
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
for b in threads direct nop; do
	echo "== bench_engine_$b" >&2
	run_bench "$build/bench/bench_engine_$b"
done
echo "results: $out" >&2

python3 - "$out" <<'EOF'
import json, re, sys

lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in lines if "case" in r]
metrics = [r for r in lines if "metrics" in r]

# The bars of issue 3, as ratio >= bar (ratios are "higher is better").
def bar(case):
    # issue 4: the thread-pool backend within 10% of plain pread from the
    # same number of threads.
    if re.match(r"(threads_t\d+|direct_qd\d+)_pool_vs_(pread|pool)$", case):
        return 0.9
    m = re.match(r"threads_t(\d+)_vs_(\w+)$", case)
    if m:
        if m.group(2) == "pread":
            return 1.0
        return 1.5 if int(m.group(1)) >= 16 else None
    if re.match(r"direct_qd\d+_vs_pool$", case):
        return 1.0
    if re.match(r"direct_qd\d+_cpu_vs_pool$", case):
        return 3.0
    if re.match(r"nop_batch32_(engine|queue)_vs_ring$", case):
        return 0.67
    return None

def fmt(v, unit):
    if unit == "ops/s":
        return f"{v / 1e6:.3f} M" if v >= 1e6 else f"{v / 1e3:.1f} k"
    if unit in ("ns", "ns/op", "instr/op"):
        return f"{v:.0f}"
    return f"{v:.3g}"

print()
print("| case | unit | hoop | baseline | baseline value | ratio | bar | met |")
print("|---|---|---:|---|---:|---:|---|---|")
for r in rows:
    b = bar(r["case"])
    bar_s = f">= {b:.2f}" if b is not None else "-"
    met = "-" if b is None else ("yes" if r["ratio"] >= b else "**no**")
    print(f"| {r['case']} | {r['unit']} | {fmt(r['hoop'], r['unit'])} | "
          f"{r['baseline']} | {fmt(r['baseline_value'], r['unit'])} | "
          f"{r['ratio']:.3f} | {bar_s} | {met} |")
if metrics:
    print()
    print("| engine metrics | ops | enters | SQEs/enter | wakeups | wakeups/op "
          "| reaped by waiters | reaped by thread | submitters blocked |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in metrics:
        print(f"| {m['metrics']} | {m['ops']:.0f} | {m['enters']:.0f} | "
              f"{m['sqes_per_enter']:.2f} | {m['wakeups']:.0f} | "
              f"{m['wakeups_per_op']:.3f} | {m['reaps_by_waiters']:.0f} | "
              f"{m['reaps_by_thread']:.0f} | {m['submit_blocked']:.0f} |")
EOF
