#!/bin/bash
# cli_bench_net_log: when the net suite of `hoop bench` fails, it says why
# in the log of children's messages it names, and hoop exits 1: each
# failure is built with stand-ins for the programs of bench/
# (HOOP_BENCH_DIR) next to the real ones:
#   - the client exits 3 without a word: the log names it and its status;
#   - the real client against a server that resets every connection: the
#     client says which connection failed and how, the log has its status;
#   - the epoll server exits 4 before it listens: the log says so;
#   - the epoll server exits 5 when stopped (as a sanitizer's report at
#     exit does): the suite fails, and the log says so.
. "$(dirname "$0")/lib.sh"
real=$(cd "$(dirname "$HOOP")/../bench" 2>/dev/null && pwd)
[ -n "$real" ] && [ -x "$real/bench_echo_client" ] && [ -x "$real/bench_echo_epoll" ] ||
	skip "bench_echo_client and bench_echo_epoll not built"
"$HOOP" echo-server --help >/dev/null 2>&1 || skip "no echo-server in this hoop"

# case NAME: a bench dir $T/NAME with links to the real programs; the
# caller then replaces one of them.
case_dir() {
	mkdir "$T/$1"
	ln -s "$real/bench_echo_client" "$real/bench_echo_epoll" "$T/$1/"
}

# run_net NAME: hoop bench --quick --only net with bench dir $T/NAME;
# expects status 1 and a failed net suite; leaves the log in $T/NAME.log.
run_net() {
	local rc=0
	HOOP_BENCH_DIR=$T/$1 "$HOOP" bench --quick --only net \
		--json "$T/$1.jsonl" >"$T/$1.table" 2>"$T/$1.progress" || rc=$?
	[ "$rc" = 1 ] || { cat "$T/$1.progress" >&2; fail "$1: hoop bench: status $rc, expected 1"; }
	grep -q "failed (status " "$T/$1.progress" ||
		{ cat "$T/$1.progress" >&2; fail "$1: the net suite did not fail"; }
	bench_logs "$T/$1.progress" >"$T/$1.log"
	grep -q "^---- /tmp/hoop-bench-" "$T/$1.log" || fail "$1: no log named"
}

# expect_log NAME PATTERN: the log of case NAME has a line matching it.
expect_log() {
	grep -qE "$2" "$T/$1.log" ||
		fail "$1: no '$2' in the log:
$(cat "$T/$1.log")"
}

case_dir silent_client
rm "$T/silent_client/bench_echo_client"
printf '#!/bin/sh\nexit 3\n' >"$T/silent_client/bench_echo_client"
chmod +x "$T/silent_client/bench_echo_client"
run_net silent_client
expect_log silent_client "^hoop bench: net: bench_echo_client against hoop echo-server \(port [0-9]+\): status 3$"

case_dir reset
rm "$T/reset/bench_echo_epoll"
cat >"$T/reset/bench_echo_epoll" <<'PY'
#!/usr/bin/env python3
# Accepts, then resets every connection (SO_LINGER 0).
import socket, struct
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(256)
print(f"listening on 127.0.0.1:{s.getsockname()[1]}", flush=True)
while True:
    c, _ = s.accept()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
PY
chmod +x "$T/reset/bench_echo_epoll"
run_net reset
expect_log reset "^bench_echo_client: port [0-9]+, thread 0: connection [0-9]+ .*(reset by peer|closed the connection|Broken pipe)"
expect_log reset "^hoop bench: net: bench_echo_client against bench_echo_epoll \(port [0-9]+\): status 1$"

case_dir no_listen
rm "$T/no_listen/bench_echo_epoll"
printf '#!/bin/sh\nexit 4\n' >"$T/no_listen/bench_echo_epoll"
chmod +x "$T/no_listen/bench_echo_epoll"
run_net no_listen
expect_log no_listen "^hoop bench: net: bench_echo_epoll exited with status 4 before it listened$"

case_dir bad_exit
rm "$T/bad_exit/bench_echo_epoll"
cat >"$T/bad_exit/bench_echo_epoll" <<EOF2
#!/bin/bash
# The real server; exits 5 when stopped.
trap 'wait; exit 5' TERM
"$real/bench_echo_epoll" "\$@" &
wait
EOF2
chmod +x "$T/bad_exit/bench_echo_epoll"
run_net bad_exit
expect_log bad_exit "^hoop bench: net: bench_echo_epoll exited with status 5 when it was stopped$"
echo "cli_bench_net_log: passed"
