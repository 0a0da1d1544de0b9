#!/bin/bash
# cli_bench_installed: an installed `hoop bench` finds its bench/ programs
# (installed into libexec/hoop, looked for relative to the hoop that runs):
# the build is installed into a temporary prefix (as tests/consumer/run.sh
# does), and the installed `hoop bench --quick --only core-nop` runs the
# suite (results, no "not built", no "no program"), its --list names the
# installed programs; with a program removed from the install, the note
# names the program and where it was looked for (it used to say "not built
# (is liburing-dev installed?)" whatever the reason).
#   bench_installed.sh <hoop> <build dir> <cmake>
. "$(dirname "$0")/lib.sh"
build=${2:?usage: $0 hoop build-dir cmake}
cmake=${3:?usage: $0 hoop build-dir cmake}
[ -x "$build/bench/bench_nop" ] || skip "bench_nop not built here (no liburing)"
prefix=$T/prefix
"$cmake" --install "$build" --prefix "$prefix" >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log" >&2; fail "cmake --install failed"; }
hoop=$prefix/bin/hoop
[ -x "$hoop" ] || fail "no $hoop after the install"
libexec=$(ls -d "$prefix"/libexec/hoop 2>/dev/null) || fail "no libexec/hoop in the install"
for p in bench_nop bench_read bench_engine_threads bench_engine_direct \
	bench_engine_nop bench_echo_client bench_echo_epoll; do
	[ -x "$libexec/$p" ] || fail "$p not installed into $libexec"
done

# Run from elsewhere, with no HOOP_BENCH_DIR: only the install is found.
cd "$T" || fail "cd $T"
rc=0
env -u HOOP_BENCH_DIR "$hoop" bench --list >"$T/list" 2>&1 || rc=$?
expect_eq "installed hoop bench --list: status" "$rc" 0
grep -q "^core-nop .*/libexec/hoop/bench_nop$" "$T/list" ||
	fail "--list does not name the installed bench_nop: $(cat "$T/list")"
grep -q "(missing)" "$T/list" && fail "--list: a program missing: $(cat "$T/list")"

rc=0
env -u HOOP_BENCH_DIR "$hoop" bench --quick --only core-nop --json "$T/r.jsonl" \
	>"$T/table" 2>"$T/progress" || rc=$?
cat "$T/progress" "$T/table"
grep -E "not built|no program|skipped" "$T/progress" &&
	fail "the installed hoop bench skipped core-nop"
grep -q '"suite": "core-nop", "case": "nop_batch1"' "$T/r.jsonl" ||
	fail "no core-nop results: $(cat "$T/r.jsonl")"
expect_eq "installed hoop bench --quick --only core-nop: status" "$rc" 0

# A program missing from the install: the note says which, and where.
rm "$libexec/bench_nop"
rc=0
env -u HOOP_BENCH_DIR "$hoop" bench --quick --only core-nop --json "$T/r2.jsonl" \
	>"$T/table2" 2>"$T/progress2" || rc=$?
expect_eq "hoop bench with bench_nop removed: status" "$rc" 0
grep -q "skipped: no program bench_nop in $prefix/bin/../bench, nor in $prefix/bin/../libexec/hoop" \
	"$T/progress2" || fail "the note does not say where bench_nop was looked for: $(cat "$T/progress2")"
grep -qE "liburing-dev|liburing was not" "$T/progress2" && fail "the note blames liburing: $(cat "$T/progress2")"
echo "cli_bench_installed: passed"
