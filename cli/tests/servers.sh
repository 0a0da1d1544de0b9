#!/bin/bash
# cli_servers: `hoop echo-server` echoes what a client sends (64 KiB over
# two connections) and `hoop http-server` answers GET / with 200, both on
# an ephemeral port of 127.0.0.1; SIGINT stops each within a few seconds
# with exit status 0; bad options exit 2.
. "$(dirname "$0")/lib.sh"

# start NAME ARGS...: run hoop NAME in the background, wait for its
# "listening on HOST:PORT" line, set $pid and $port.
start() {
	"$HOOP" "$@" --port 0 --quiet >"$T/$1.out" 2>"$T/$1.err" &
	pid=$!
	for _ in $(seq 200); do
		port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/$1.out")
		[ -n "$port" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/$1.err" >&2
	fail "$1 did not start"
}

# where_stuck NAME: what a server that did not stop is doing, so that a
# failure explains itself: its stderr (it says which operations its loops
# still wait for), each thread's state, wait channel and kernel stack, and
# with gdb at hand each thread's backtrace.
where_stuck() {
	echo "---- $1 stderr:" >&2
	cat "$T/$1.err" >&2
	local t
	for t in /proc/"$pid"/task/*; do
		echo "---- thread ${t##*/} ($(cat "$t/comm" 2>/dev/null))" \
			"state $(awk '{print $3}' "$t/stat" 2>/dev/null)" \
			"wchan $(cat "$t/wchan" 2>/dev/null)" >&2
		head -8 "$t/stack" 2>/dev/null >&2
	done
	if command -v gdb >/dev/null; then
		timeout 30 gdb -p "$pid" -batch -ex "thread apply all bt" 2>&1 |
			grep -E '^(Thread|#)' >&2
	fi
}

# stop: SIGINT, then it must exit 0 within 5 s.
stop() {
	kill -INT "$pid"
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		where_stuck "$1"
		kill -KILL "$pid"
		fail "$1 still running 5 s after SIGINT"
	fi
	rc=0
	wait "$pid" || rc=$?
	expect_eq "$1 exit status after SIGINT" "$rc" 0
}

start echo-server --threads 2
python3 - "$port" <<'PY' || fail "echo round trip"
import os, socket, sys
port = int(sys.argv[1])
data = os.urandom(65536)
for _ in range(2):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = s.recv(65536)
        assert chunk, "connection closed early"
        got += chunk
    assert got == data, "echo differs"
    s.close()
PY
stop echo-server

start http-server
python3 - "$port" <<'PY' || fail "HTTP request"
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
for _ in range(3):  # keep-alive: three requests on one connection
    c.request("GET", "/")
    r = c.getresponse()
    body = r.read()
    assert r.status == 200 and body, (r.status, body)
PY
stop http-server

run_hoop echo-server --port 99999
expect_eq "bad port: status" "$rc" 2
run_hoop http-server --bogus
expect_eq "bad option: status" "$rc" 2
echo "cli_servers: passed"
