#!/bin/bash
# cli_bench_quick_status: when `hoop bench` fails, the script of
# cli_bench_quick (bench_quick.sh) fails with hoop's own exit status, not
# that of a command run after it, and shows the children's messages from
# the log hoop named (then removes it). Run against a stand-in hoop that
# names a log, writes a message into it and exits 3.
. "$(dirname "$0")/lib.sh"
mkdir "$T/bin"
log=/tmp/hoop-bench-$$.log
cat >"$T/bin/hoop" <<FAKE
#!/bin/bash
echo "hoop bench: [1/1] net             loopback echo vs epoll ..." >&2
echo "               failed (status -5); its messages are in $log" >&2
echo "bench_echo_client: port 1, thread 0: connection 7: recv: reset" >$log
echo "a table on stdout"
exit 3
FAKE
chmod +x "$T/bin/hoop"
rc=0
bash "$(dirname "$0")/bench_quick.sh" "$T/bin/hoop" sanitized \
	>"$T/out" 2>"$T/stderr" || rc=$?
[ -e "$log" ] && { rm -f "$log"; fail "the log was left behind"; }
expect_eq "bench_quick.sh exit status" "$rc" 1
grep -q "^FAIL: hoop bench --quick: status 3$" "$T/stderr" ||
	fail "hoop's status 3 not reported: $(cat "$T/stderr")"
grep -q "connection 7: recv: reset" "$T/stderr" ||
	fail "the log's message not shown: $(cat "$T/stderr")"
grep -q "failed (status -5)" "$T/stderr" ||
	fail "hoop's progress not shown: $(cat "$T/stderr")"
grep -q "a table on stdout" "$T/stderr" ||
	fail "hoop's table not shown: $(cat "$T/stderr")"
echo "cli_bench_quick_status: passed"
