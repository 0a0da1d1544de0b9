#!/bin/bash
# cli_bench_quick: `hoop bench --quick` completes (exit 0) within its
# budget and writes valid JSON lines: every line an object with "suite",
# every result with case, unit and hoop; the cp suite always runs, and the
# net suite (echo vs epoll, 64 connections) where bench/ has its programs.
# --plot writes an SVG that parses as XML with one bar per ratio in the
# table, --markdown a report with the machine, the command line, the
# summary and one section per suite. In sanitizer builds (second argument
# "sanitized") the bench/ programs are sanitized too and much slower, so
# only cp and net run there.
. "$(dirname "$0")/lib.sh"
args=(bench --quick --json "$T/bench.jsonl" --cp-dir "$T"
	--plot "$T/chart.svg" --markdown "$T/report.md")
[ "${2:-}" = sanitized ] && args+=(--only cp,net)
bench_dir=$(dirname "$HOOP")/../bench
want_net=0
[ -x "$bench_dir/bench_echo_client" ] && [ -x "$bench_dir/bench_echo_epoll" ] && want_net=1
start=$(date +%s)
rc=0
"$HOOP" "${args[@]}" >"$T/table" 2>"$T/progress" || rc=$?
if [ "$rc" != 0 ]; then
	cat "$T/progress" "$T/table" >&2
	bench_logs "$T/progress" >&2
	fail "hoop bench --quick: status $rc"
fi
elapsed=$(($(date +%s) - start))
cat "$T/table"
python3 - "$T/bench.jsonl" "$want_net" "$T/chart.svg" "$T/report.md" <<'PY' || fail "bad JSON lines or reports"
import json, sys
import xml.etree.ElementTree as ET
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows, "no results"
for r in rows:
    assert isinstance(r, dict) and "suite" in r, r
    if "case" in r:
        assert isinstance(r["case"], str) and r["unit"] and r["hoop"] >= 0, r
        if "baseline" in r and "baseline_value" not in r:
            # A baseline that could not run (named with the reason): no ratio.
            assert "ratio" not in r, r
        elif "baseline" in r:
            assert r["baseline_value"] >= 0 and r["ratio"] >= 0, r
            # The ratio is that of the two values shown (issue 18).
            h, b = r["hoop"], r["baseline_value"]
            if h > 0 and b > 0:
                want = h / b if r["unit"].endswith(("/s", "/cpu-s")) else b / h
                assert abs(r["ratio"] - want) <= 1e-3 * want + 1e-4, (r, want)
            if "ratio_min" in r:
                assert r["ratio_min"] <= r["ratio_max"], r
suites = {r["suite"] for r in rows}
assert "cp" in suites, suites
if sys.argv[2] == "1":
    net = {r["case"]: r for r in rows if r["suite"] == "net"}
    assert set(net) == {"echo_c64_64B_same", "echo_c64_64B_same_server_cpu"}, net
    assert net["echo_c64_64B_same"]["baseline"] == "epoll", net
    assert net["echo_c64_64B_same"]["hoop"] > 0, net
# The chart: one bar (rect) per compared row of the table, plus the
# background; every bar's label in a <text>.
svg = ET.parse(sys.argv[3]).getroot()
ns = "{http://www.w3.org/2000/svg}"
bars = [e for e in svg.iter(ns + "rect")][1:]
compared = [r for r in rows if "ratio" in r and r.get("baseline") != "hoop_ring"]
assert len(bars) == len(compared), (len(bars), len(compared))
texts = "".join(e.text or "" for e in svg.iter(ns + "text"))
for r in compared:
    assert f"{r['ratio']:.2f}x" in texts, r
md = open(sys.argv[4]).read()
for part in ("# One run of `hoop bench`", "## Machine", "- Kernel: Linux ",
             "model name: ", "- Load average at the start", "bench --quick --json",
             "## Summary", "| suite | what | hoop |", "![", "### cp: "):
    assert part in md, part
for r in rows:
    if "case" in r:
        assert f"| `{r['case']}` |" in md, r["case"]
print(f"{len(rows)} JSON lines, suites: {', '.join(sorted(suites))}; "
      f"chart: {len(bars)} bars")
PY
grep -q "hoop is" "$T/table" || fail "no table"
echo "cli_bench_quick: passed in ${elapsed} s"
