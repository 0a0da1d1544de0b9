#!/bin/bash
# cli_bench_tmpfiles: `hoop bench` removes the data files it creates (it
# used to leave /tmp/hoop-bench-1g.dat and /tmp/hoop-bench-cp-256M.dat
# behind) and says where it writes. With TMPDIR pointing at an empty
# directory:
#   - a quick run of the cp suite (1 MiB) and of core-nop with a stand-in
#     bench/ program (HOOP_BENCH_DIR) that creates $HOOP_BENCH_FILE, as
#     bench_read and the engine benches do: the stand-in is given a file in
#     TMPDIR, and after the run TMPDIR is empty; the progress and the first
#     JSON line name TMPDIR;
#   - a run stopped with SIGINT while the cp suite works leaves nothing;
#   - a $HOOP_BENCH_FILE of the user's, and a cp source that was there
#     before the run, are left alone.
. "$(dirname "$0")/lib.sh"
mkdir "$T/tmp" "$T/bench"
cat >"$T/bench/bench_nop" <<'EOF2'
#!/bin/sh
# A stand-in for bench_nop: makes the bench file, as bench_read does.
head -c 4096 /dev/zero >"$HOOP_BENCH_FILE" || exit 1
echo "$HOOP_BENCH_FILE" >"$NOP_SAW"
echo '{"case": "nop_batch1", "unit": "ops/s", "hoop": 2, "baseline": "liburing", "baseline_value": 1, "ratio": 2}'
EOF2
chmod +x "$T/bench/bench_nop"
export NOP_SAW=$T/saw

left() { ls -A "$T/tmp"; }

rc=0
TMPDIR=$T/tmp HOOP_BENCH_DIR=$T/bench "$HOOP" bench --quick --only core-nop,cp \
	--cp-size 1M --repeat 1 --json "$T/r.jsonl" >"$T/table" 2>"$T/progress" || rc=$?
[ "$rc" = 0 ] || { cat "$T/progress" >&2; fail "hoop bench: status $rc"; }
expect_eq "HOOP_BENCH_FILE given to the bench/ program" "$(cat "$T/saw")" \
	"$T/tmp/hoop-bench-1g.dat"
grep -q '"case": "cp_1M_warm_vs_cp"' "$T/r.jsonl" || fail "no cp result: $(cat "$T/r.jsonl")"
grep -q '"case": "nop_batch1"' "$T/r.jsonl" || fail "no core-nop result"
[ -z "$(left)" ] || fail "files left in TMPDIR after a run: $(left)"
grep -qF "data files in $T/tmp (cp: $T/tmp), removed at the end" "$T/progress" ||
	fail "the progress does not say where the files go: $(cat "$T/progress")"
head -n 1 "$T/r.jsonl" | grep -qF "{\"suite\": \"bench\", \"data_dir\": \"$T/tmp\", \"cp_dir\": \"$T/tmp\", \"data_file\": \"$T/tmp/hoop-bench-1g.dat\", \"log\": \"$T/tmp/hoop-bench-" ||
	fail "the first JSON line: $(head -n 1 "$T/r.jsonl")"

# SIGINT while the cp suite copies: nothing left either.
TMPDIR=$T/tmp "$HOOP" bench --quick --only cp --cp-size 64M --repeat 15 \
	--json "$T/r2.jsonl" >"$T/table2" 2>"$T/progress2" &
pid=$!
for _ in $(seq 200); do
	[ -e "$T/tmp/hoop-bench-cp.$pid.out" ] && break
	sleep 0.05
done
[ -e "$T/tmp/hoop-bench-cp.$pid.out" ] || { kill -INT $pid; wait $pid; fail "the cp suite never copied"; }
kill -INT $pid
rc=0
wait $pid || rc=$?
expect_eq "hoop bench after SIGINT: status" "$rc" 130
grep -q "interrupted" "$T/progress2" || fail "no 'interrupted': $(cat "$T/progress2")"
[ -z "$(left)" ] || fail "files left in TMPDIR after SIGINT: $(left)"

# What was there before is not ours to remove.
head -c 1048576 /dev/zero >"$T/tmp/hoop-bench-cp-1M.dat"
rc=0
TMPDIR=$T/tmp HOOP_BENCH_FILE=$T/mine.dat HOOP_BENCH_DIR=$T/bench "$HOOP" bench --quick \
	--only core-nop,cp --cp-size 1M --repeat 1 --json "$T/r3.jsonl" \
	>"$T/table3" 2>"$T/progress3" || rc=$?
expect_eq "hoop bench with the user's files: status" "$rc" 0
[ -e "$T/mine.dat" ] || fail "the user's HOOP_BENCH_FILE was removed"
[ -e "$T/tmp/hoop-bench-cp-1M.dat" ] || fail "a cp source made before the run was removed"
expect_eq "files left" "$(left)" "hoop-bench-cp-1M.dat"
echo "cli_bench_tmpfiles: passed"
