#!/bin/sh
# go/run_bench.sh - the Go package's benchmarks as JSON lines.
#
# Builds the test binary once and runs the comparisons of docs/BENCHMARKS.md
# (Go section) HOOP_BENCH_COUNT rounds (default 5); in each round every
# benchmark runs once, hoop and its baseline back to back, so the repeats
# alternate. Prints one JSON line per comparison and metric:
# {"case", "unit", "hoop", "baseline", "baseline_value", "ratio",
# "ratio_min", "ratio_max", "runs"}: medians over the rounds, ratio oriented
# so that > 1 means hoop is better, min and max of the per-round ratios.
# HOOP_BENCH_TIME sets -benchtime (default 1s); HOOP_BENCH_FILTER narrows
# the first set to a -test.bench pattern (say 'Echo|HTTP'), and with it set
# the O_DIRECT run is left out; HOOP_BENCH_FILTER=ODirect128 runs only that. HOOP_BENCH_OLD names a test binary of an
# older version (go test -c): it then runs too, first in every round, and
# its lines carry "build": "old" (the others "build": "new"), so old and new
# alternate as well. The new binary's socket benchmarks run net's side
# first in every other round (HOOP_BENCH_NET_FIRST). Run from the repository
# root: sh go/run_bench.sh [> go-bench.jsonl]
set -e
count=${HOOP_BENCH_COUNT:-5}
root=$(pwd)
out=$(mktemp)
old_out=$(mktemp)
bin=$(mktemp)
trap 'rm -f "$out" "$old_out" "$bin"' EXIT
sh "$root/tests/run_go.sh" "$root" go test -c -o "$bin" ./go/
cd "$root/go"
i=0
while [ "$i" -lt "$count" ]; do
	i=$((i + 1))
	if [ "${HOOP_BENCH_FILTER:-}" != ODirect128 ]; then
		if [ -n "${HOOP_BENCH_OLD:-}" ]; then
			"$HOOP_BENCH_OLD" -test.run '^$' -test.benchtime "${HOOP_BENCH_TIME:-1s}" \
				-test.bench "${HOOP_BENCH_FILTER:-ReadAt64Goroutines|ReadAt1Goroutine|Echo|HTTP|DeadlineClear|QueueNOP32|EngineNop}" >>"$old_out"
		fi
		HOOP_BENCH_NET_FIRST=$((i % 2)) "$bin" -test.run '^$' -test.benchtime "${HOOP_BENCH_TIME:-1s}" \
			-test.bench "${HOOP_BENCH_FILTER:-ReadAt64Goroutines|ReadAt1Goroutine|Echo|HTTP|DeadlineClear|QueueNOP32|EngineNop}" >>"$out"
	fi
	if [ -z "${HOOP_BENCH_FILTER:-}" ] || [ "$HOOP_BENCH_FILTER" = ODirect128 ]; then
		"$bin" -test.run '^$' -test.benchtime 30000x -test.bench 'ODirect128' >>"$out"
	fi
done
python3 - "$out" "$old_out" <<'PY'
import json, re, statistics, sys

def report(path, build):
    runs = {}
    for line in open(path):
        m = re.match(r"Benchmark(\S+?)-\d+\s+\d+\s+(.*)", line)
        if not m:
            continue
        fields = m.group(2).split()
        for value, unit in zip(fields[::2], fields[1::2]):
            runs.setdefault((m.group(1), unit), []).append(float(value))
    med = {k: statistics.median(v) for k, v in runs.items()}
    higher_better = {"MB/s", "IOPS", "req/s"}
    pairs = [("ReadAt64Goroutines/hoop", "ReadAt64Goroutines/os", "os.File.ReadAt"),
             ("ReadAt64Goroutines/hoop-file", "ReadAt64Goroutines/os", "os.File.ReadAt"),
             ("ReadAt1Goroutine/hoop", "ReadAt1Goroutine/os", "os.File.ReadAt"),
             ("ReadAt1Goroutine/hoop-file", "ReadAt1Goroutine/os", "os.File.ReadAt"),
             ("Echo/hoop/64B", "Echo/net/64B", "net"),
             ("Echo/hoop/4096B", "Echo/net/4096B", "net"),
             ("HTTP/hoop", "HTTP/net", "net"),
             ("DeadlineClear/hoop", "DeadlineClear/net", "net"),
             ("Echo/hoop-ring/64B", "Echo/net/64B", "net"),
             ("Echo/hoop-ring/4096B", "Echo/net/4096B", "net"),
             ("HTTP/hoop-ring", "HTTP/net", "net"),
             ("ODirect128/hoop-queue", "ODirect128/os-128-goroutines", "os-128-goroutines")]
    for hoop, base, name in pairs:
        for unit in ("ns/op", "cpu-ns/op", "req/s", "IOPS", "threads"):
            if (hoop, unit) not in med or (base, unit) not in med:
                continue
            h, b = med[(hoop, unit)], med[(base, unit)]
            ratio = lambda h, b: h / b if unit in higher_better else b / h
            per = [ratio(x, y) for x, y in zip(runs[(hoop, unit)], runs[(base, unit)])]
            print(json.dumps({"build": build, "case": hoop.replace("/", "_"), "unit": unit, "hoop": h,
                              "baseline": name, "baseline_value": b,
                              "ratio": round(ratio(h, b), 3),
                              "ratio_min": round(min(per), 3), "ratio_max": round(max(per), 3),
                              "runs": len(runs[(hoop, unit)])}))
    for single in ("QueueNOP32", "EngineNop"):
        if (single, "ns/op") in med:
            print(json.dumps({"build": build, "case": single, "unit": "ns/op", "hoop": med[(single, "ns/op")],
                              "runs": len(runs[(single, "ns/op")])}))

if open(sys.argv[2]).read():
    report(sys.argv[2], "old")
report(sys.argv[1], "new")
PY
