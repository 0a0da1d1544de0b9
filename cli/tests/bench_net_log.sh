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
#     exit does): the suite fails, and the log says so;
#   - a client that got no CPU in its window (no round trip counted,
#     bytes echoed) is run again, not counted as a failure; one that never
#     counts any fails after three tries, and the log says so each time;
#   - results that cannot be written (--json /dev/full) fail the run, with
#     a message (hoop used to exit 0 with the JSON lines lost);
#   - bench_echo_client itself, against a server that never echoes one
#     connection's message: it fails and names the message it lost (it
#     used to report success, only with a lower rate).
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
	grep -q "^---- .*/hoop-bench-[0-9]*\.log:" "$T/$1.log" || fail "$1: no log named"
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
# Starved: the first run counts nothing, the next ones count.
case_dir starved
rm "$T/starved/bench_echo_client"
cat >"$T/starved/bench_echo_client" <<EOF2
#!/bin/sh
if [ -e "$T/starved.ran" ]; then rate=1000.0; else rate=0.0; fi
: >"$T/starved.ran"
echo "{\"bench\": \"echo_client\", \"round_trips\": 0, \"rt_per_s\": \$rate, \"bytes_checked\": 4096}"
EOF2
chmod +x "$T/starved/bench_echo_client"
rc=0
HOOP_BENCH_DIR=$T/starved "$HOOP" bench --quick --only net --json "$T/starved.jsonl" \
	>"$T/starved.table" 2>"$T/starved.progress" || rc=$?
bench_logs "$T/starved.progress" >&2
expect_eq "a client starved once: status" "$rc" 0
grep -q '"case": "echo_c64_64B_same"' "$T/starved.jsonl" || fail "starved: no result"
# Never counts: three tries, then the suite fails.
sed -i 's/rate=1000.0/rate=0.0/' "$T/starved/bench_echo_client"
run_net starved
expect_eq "starved: tries" "$(grep -c '; bytes came back, so it had no CPU then: again$' "$T/starved.log")" 2
expect_log starved "^hoop bench: net: bench_echo_client against hoop echo-server \(port [0-9]+\): no round trips in its window in its line .*'$"
grep -q "failed (status -71)" "$T/starved.progress" || fail "starved: not -EPROTO"

# A client that answers at once; the JSON lines go to a full device.
case_dir json_full
rm "$T/json_full/bench_echo_client"
printf '#!/bin/sh\necho "{\\"bench\\": \\"echo_client\\", \\"rt_per_s\\": 1000.0}"\n' \
	>"$T/json_full/bench_echo_client"
chmod +x "$T/json_full/bench_echo_client"
rc=0
HOOP_BENCH_DIR=$T/json_full "$HOOP" bench --quick --only net --json /dev/full \
	>"$T/json_full.table" 2>"$T/json_full.progress" || rc=$?
expect_eq "--json /dev/full: status" "$rc" 1
grep -q "^hoop bench: writing the results to '/dev/full': No space left on device$" \
	"$T/json_full.progress" || fail "--json /dev/full: no message: $(cat "$T/json_full.progress")"
bench_logs "$T/json_full.progress" >/dev/null

# The client alone: the third connection's message is swallowed.
cat >"$T/swallow.py" <<'PY'
import selectors, socket
sel = selectors.DefaultSelector()
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(256)
s.setblocking(False)
print(f"listening on 127.0.0.1:{s.getsockname()[1]}", flush=True)
sel.register(s, selectors.EVENT_READ)
n = 0
while True:
    for key, _ in sel.select():
        if key.fileobj is s:
            try:
                c, _ = s.accept()
            except BlockingIOError:
                continue
            n += 1
            sel.register(c, selectors.EVENT_READ, data=(n == 3))
            continue
        c = key.fileobj
        try:
            d = c.recv(65536)
        except (BlockingIOError, InterruptedError):
            continue
        except ConnectionError:
            d = b""
        if not d:
            sel.unregister(c)
            c.close()
        elif not key.data:
            c.setblocking(True)
            c.sendall(d)
            c.setblocking(False)
PY
python3 "$T/swallow.py" >"$T/swallow.out" &
spid=$!
for _ in $(seq 100); do
	sport=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/swallow.out")
	[ -n "$sport" ] && break
	sleep 0.1
done
[ -n "$sport" ] || { kill $spid; fail "swallow.py did not listen"; }
rc=0
"$real/bench_echo_client" --port "$sport" --conns 8 --seconds 0.2 --warmup 0.05 \
	--drain 1 >"$T/swallow.json" 2>"$T/swallow.err" || rc=$?
kill $spid
wait $spid 2>/dev/null
expect_eq "client against a server that lost a message: status" "$rc" 1
grep -qE "^bench_echo_client: port $sport, thread 0: connection [0-9]+ \(round 0, 64 of 64 bytes sent, 0 back\): its echo did not come back within 1 s of the end$" "$T/swallow.err" ||
	fail "the lost message is not named: $(cat "$T/swallow.err")"
echo "cli_bench_net_log: passed"
