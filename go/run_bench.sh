#!/bin/sh
# go/run_bench.sh - the Go package's benchmarks as JSON lines.
#
# Runs `go test -bench` over the comparisons of docs/BENCHMARKS.md (Go
# section) HOOP_BENCH_COUNT times (default 3; hoop and its baseline run back
# to back in each round) and prints one JSON line per comparison and metric:
# {"case", "unit", "hoop", "baseline", "baseline_value", "ratio", "runs"},
# medians, ratio oriented so that > 1 means hoop is better. Run from the
# repository root: sh go/run_bench.sh [> go-bench.jsonl]
set -e
count=${HOOP_BENCH_COUNT:-3}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -run '^$' -count "$count" -benchtime "${HOOP_BENCH_TIME:-1s}" \
	-bench 'ReadAt64Goroutines|Echo|QueueNOP32|EngineNop' ./go/ >"$out"
go test -run '^$' -count "$count" -benchtime 30000x -bench 'ODirect128' ./go/ >>"$out"
python3 - "$out" <<'PY'
import json, re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    m = re.match(r"Benchmark(\S+?)-\d+\s+\d+\s+(.*)", line)
    if not m:
        continue
    fields = m.group(2).split()
    for value, unit in zip(fields[::2], fields[1::2]):
        runs.setdefault((m.group(1), unit), []).append(float(value))
med = {k: statistics.median(v) for k, v in runs.items()}
n = {k: len(v) for k, v in runs.items()}
higher_better = {"MB/s", "IOPS"}
pairs = [("ReadAt64Goroutines/hoop", "ReadAt64Goroutines/os", "os.File.ReadAt"),
         ("Echo/hoop/64B", "Echo/net/64B", "net"),
         ("Echo/hoop/4096B", "Echo/net/4096B", "net"),
         ("ODirect128/hoop-queue", "ODirect128/os-128-goroutines", "os-128-goroutines")]
for hoop, base, name in pairs:
    for unit in ("ns/op", "cpu-ns/op", "IOPS", "threads"):
        if (hoop, unit) not in med or (base, unit) not in med:
            continue
        h, b = med[(hoop, unit)], med[(base, unit)]
        ratio = h / b if unit in higher_better else b / h
        print(json.dumps({"case": hoop.replace("/", "_"), "unit": unit, "hoop": h,
                          "baseline": name, "baseline_value": b,
                          "ratio": round(ratio, 3), "runs": n[(hoop, unit)]}))
for single in ("QueueNOP32", "EngineNop"):
    if (single, "ns/op") in med:
        print(json.dumps({"case": single, "unit": "ns/op", "hoop": med[(single, "ns/op")],
                          "runs": n[(single, "ns/op")]}))
PY
