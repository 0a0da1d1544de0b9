#!/bin/bash
# cli_bench_quick: `hoop bench --quick` completes (exit 0) within its
# budget and writes valid JSON lines: every line an object with "suite",
# every result with case, unit and hoop; the cp suite always runs. In
# sanitizer builds (second argument "sanitized") the bench/ programs are
# sanitized too and much slower, so only the suites hoop runs itself are
# run there.
. "$(dirname "$0")/lib.sh"
args=(bench --quick --json "$T/bench.jsonl" --cp-dir "$T")
[ "${2:-}" = sanitized ] && args+=(--only cp)
start=$(date +%s)
"$HOOP" "${args[@]}" >"$T/table" 2>"$T/progress" ||
	{ cat "$T/progress" "$T/table" >&2; fail "hoop bench --quick: status $?"; }
elapsed=$(($(date +%s) - start))
cat "$T/table"
python3 - "$T/bench.jsonl" <<'PY' || fail "bad JSON lines"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows, "no results"
for r in rows:
    assert isinstance(r, dict) and "suite" in r, r
    if "case" in r:
        assert isinstance(r["case"], str) and r["unit"] and r["hoop"] >= 0, r
        if "baseline" in r:
            assert r["baseline_value"] >= 0 and r["ratio"] >= 0, r
suites = {r["suite"] for r in rows}
assert "cp" in suites, suites
print(f"{len(rows)} JSON lines, suites: {', '.join(sorted(suites))}")
PY
grep -q "hoop is" "$T/table" || fail "no table"
echo "cli_bench_quick: passed in ${elapsed} s"
