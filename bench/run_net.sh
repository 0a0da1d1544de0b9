#!/bin/sh
# bench/run_net.sh - the networking benches of issue 5: echo round trips per
# second (examples/echo_server.c against bench/bench_echo_epoll.c) and HTTP
# hello-world requests per second with wrk (examples/http_server.c against
# nginx with one worker). Prints JSON lines and a markdown table.
#
#   bench/run_net.sh            from the repository root (about 5 minutes)
#   bench/run_net.sh --quick    short runs, under a minute
#
# Echo: 1, 16 and 64 connections x 64 B and 4 KiB messages, each server on
# CPU 0 (taskset -c 0) and the client on CPU 0 ("same") or CPU 1 ("split").
# The two servers run side by side for the whole section; each repeat runs
# the client against both, alternating which goes first. HTTP: 64
# connections, one wrk thread on CPU 1, the server on CPU 0 with one loop;
# nginx gets `worker_processes 1`, `return 200` from memory, no access log,
# and unlimited keep-alive requests, from a config written under /tmp.
#
# Besides the rates, each case has a *_server_cpu line: the server's CPU
# time per round trip (request), from /proc/PID/task/*/schedstat over the
# measured window; its ratio is baseline / hoop. On a shared machine the
# rate depends on the CPU share the processes get, the cost much less.
#
# Environment:
#   BUILD_DIR   build tree (default build-bench-net)
#   OUT         JSON lines (default $BUILD_DIR/bench-net.jsonl)
#   REPEATS     runs per case and server (default 7; --quick 3); medians
#   SECONDS_ECHO, SECONDS_HTTP   length of one run (default 1 and 4;
#               --quick 0.3 and 1)
# Installs wrk and nginx-light with apt-get when missing (needs root);
# without them the HTTP part is skipped with a message.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build-bench-net}
out=${OUT:-$build/bench-net.jsonl}
quick=0
[ "${1:-}" = "--quick" ] && quick=1
if [ $quick = 1 ]; then
	REPEATS=${REPEATS:-3}; SECONDS_ECHO=${SECONDS_ECHO:-0.3}
	SECONDS_HTTP=${SECONDS_HTTP:-1}; WARMUP=0.1
else
	REPEATS=${REPEATS:-7}; SECONDS_ECHO=${SECONDS_ECHO:-1}
	SECONDS_HTTP=${SECONDS_HTTP:-4}; WARMUP=0.3
fi
ncpu=$(nproc)
cli_split=1
[ "$ncpu" -ge 2 ] || cli_split=0

cmake -S "$src" -B "$build" -G Ninja \
	-DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
	-DHOOP_SANITIZE= -DHOOP_BUILD_BENCH=ON -DHOOP_BUILD_EXAMPLES=ON \
	-DHOOP_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target echo_server http_server \
	bench_echo_epoll bench_echo_client >/dev/null

tmp=$(mktemp -d /tmp/hoop-bench-net.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# start NAME CPU CMD...: run a server, wait for "listening on HOST:PORT",
# set $port and $spid (taskset execs the server: same pid).
start() {
	name=$1 cpu=$2
	shift 2
	taskset -c "$cpu" "$@" >"$tmp/$name.out" 2>&1 &
	spid=$!
	pids="$pids $spid"
	i=0
	while ! grep -q '^listening on ' "$tmp/$name.out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			echo "run_net.sh: $name did not start:" >&2
			cat "$tmp/$name.out" >&2
			exit 1
		fi
		sleep 0.05
	done
	port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$tmp/$name.out" | head -1)
}

: >"$out"
raw=$tmp/raw.jsonl
: >"$raw"

# ---- echo ----
start hoop_echo 0 "$build/examples/echo_server" --quiet
hoop_port=$port hoop_pid=$spid
start epoll_echo 0 "$build/bench/bench_echo_epoll" --quiet
epoll_port=$port epoll_pid=$spid

client() { # LABEL PORT CPU CONNS SIZE SERVER_PID
	taskset -c "$3" "$build/bench/bench_echo_client" --port "$2" --conns "$4" \
		--size "$5" --seconds "$SECONDS_ECHO" --warmup "$WARMUP" \
		--label "$1" --server-pid "$6" >>"$raw"
}
pins="same"
[ $cli_split = 1 ] && pins="same split"
echo "== echo: $REPEATS x ${SECONDS_ECHO}s per case and server" >&2
for pin in $pins; do
	ccpu=0
	[ "$pin" = split ] && ccpu=1
	for conns in 1 16 64; do
		for size in 64 4096; do
			r=0
			while [ $r -lt "$REPEATS" ]; do
				if [ $((r % 2)) = 0 ]; then
					client "hoop/$pin/$r" $hoop_port $ccpu $conns $size $hoop_pid
					client "epoll/$pin/$r" $epoll_port $ccpu $conns $size $epoll_pid
				else
					client "epoll/$pin/$r" $epoll_port $ccpu $conns $size $epoll_pid
					client "hoop/$pin/$r" $hoop_port $ccpu $conns $size $hoop_pid
				fi
				r=$((r + 1))
			done
		done
	done
done

# ---- HTTP ----
have_http=1
if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
	echo "run_net.sh: installing wrk and nginx-light" >&2
	{ apt-get update -qq && apt-get install -y -qq wrk nginx-light; } >/dev/null 2>&1 || true
	# Debian starts the service on install where it can; stop it.
	command -v service >/dev/null && service nginx stop >/dev/null 2>&1 || true
fi
if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
	echo "run_net.sh: no wrk or nginx; skipping the HTTP bench" >&2
	have_http=0
fi
if [ $have_http = 1 ]; then
	start hoop_http 0 "$build/examples/http_server" --quiet
	http_port=$port http_pid=$spid
	nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	mkdir -p "$tmp/nginx/logs"
	cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/body;
	keepalive_requests 100000000;
	keepalive_timeout 65;
	default_type text/plain;
	server {
		listen 127.0.0.1:$nginx_port;
		location / { return 200 "Hello, World!"; }
	}
}
EOF
	taskset -c 0 nginx -p "$tmp/nginx/" -c "$tmp/nginx/nginx.conf" \
		-e "$tmp/nginx/logs/error.log" &
	nginx_master=$!
	pids="$pids $nginx_master"
	i=0
	while ! [ -s "$tmp/nginx/nginx.pid" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && { echo "run_net.sh: nginx did not start" >&2; exit 1; }
		sleep 0.05
	done
	nginx_worker=""
	i=0
	while [ -z "$nginx_worker" ] && [ $i -lt 100 ]; do
		nginx_worker=$(cat /proc/$nginx_master/task/*/children 2>/dev/null | tr -d ' ')
		i=$((i + 1)); sleep 0.05
	done
	wcpu=1
	[ $cli_split = 1 ] || wcpu=0
	cpu_ns() { cat /proc/$1/task/*/schedstat | awk '{s += $1} END {printf "%.0f", s}'; }
	wrk_run() { # LABEL PORT SERVER_PID
		c0=$(cpu_ns $3)
		taskset -c $wcpu wrk -t1 -c64 -d"${SECONDS_HTTP}s" "http://127.0.0.1:$2/" >"$tmp/wrk.out"
		c1=$(cpu_ns $3)
		rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$tmp/wrk.out")
		reqs=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$tmp/wrk.out")
		# wrk counts non-2xx answers and socket errors apart: there must be none.
		if grep -qE 'Non-2xx|Socket errors' "$tmp/wrk.out"; then
			echo "run_net.sh: wrk saw errors against $1:" >&2
			cat "$tmp/wrk.out" >&2
			exit 1
		fi
		echo "{\"bench\": \"wrk\", \"label\": \"$1\", \"conns\": 64, \"rps\": ${rps:-0}, \"server_cpu_us_per_req\": $(awk -v a="$c0" -v b="$c1" -v n="${reqs:-1}" 'BEGIN {printf "%.3f", (b - a) / 1e3 / n}')}" >>"$raw"
	}
	# Both answer before timing starts.
	curl_ok() { python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())' "$1"; }
	[ "$(curl_ok "http://127.0.0.1:$http_port/")" = "Hello, World!" ]
	[ "$(curl_ok "http://127.0.0.1:$nginx_port/")" = "Hello, World!" ]
	echo "== http: $REPEATS x ${SECONDS_HTTP}s per server" >&2
	r=0
	while [ $r -lt "$REPEATS" ]; do
		if [ $((r % 2)) = 0 ]; then
			wrk_run "hoop/$r" $http_port $http_pid; wrk_run "nginx/$r" $nginx_port $nginx_worker
		else
			wrk_run "nginx/$r" $nginx_port $nginx_worker; wrk_run "hoop/$r" $http_port $http_pid
		fi
		r=$((r + 1))
	done
fi

python3 - "$raw" "$out" "$REPEATS" <<'EOF'
import json, statistics, sys

raw = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out = open(sys.argv[2], "a")
rows = []

def emit(case, unit, hoop, base_name, base, ratios, bar):
    r = {"case": case, "unit": unit, "hoop": round(statistics.median(hoop), 3),
         "baseline": base_name, "baseline_value": round(statistics.median(base), 3),
         "ratio": round(statistics.median(ratios), 4), "runs": len(ratios),
         "ratios": [round(x, 3) for x in ratios]}
    line = json.dumps(r)
    print(line)
    out.write(line + "\n")
    rows.append((r, bar))

echo = {}
for l in raw:
    if l.get("bench") != "echo_client":
        continue
    server, pin, rep = l["label"].split("/")
    echo.setdefault((pin, l["conns"], l["size"]), {}).setdefault(int(rep), {})[server] = l
for (pin, conns, size), reps in sorted(echo.items(), key=lambda kv: (kv[0][0] != "same", kv[0][1], kv[0][2])):
    pairs = [v for _, v in sorted(reps.items()) if "hoop" in v and "epoll" in v]
    bar = 1.15 if (pin == "same" and conns == 64) else None
    h = [p["hoop"]["rt_per_s"] for p in pairs]
    e = [p["epoll"]["rt_per_s"] for p in pairs]
    emit(f"echo_c{conns}_{size}B_{pin}", "rt/s", h, "epoll", e,
         [a / b for a, b in zip(h, e)], bar)
    # The server's CPU time per round trip: lower is better, so the
    # ratio is epoll / hoop.
    hc = [p["hoop"].get("server_cpu_us_per_rt") for p in pairs]
    ec = [p["epoll"].get("server_cpu_us_per_rt") for p in pairs]
    ok = [(a, b) for a, b in zip(hc, ec) if a and b]
    if ok:
        emit(f"echo_c{conns}_{size}B_{pin}_server_cpu", "us/rt", [a for a, _ in ok], "epoll",
             [b for _, b in ok], [b / a for a, b in ok], None)

http = {}
for l in raw:
    if l.get("bench") == "wrk":
        server, rep = l["label"].split("/")
        http.setdefault(int(rep), {})[server] = l
pairs = [v for _, v in sorted(http.items()) if "hoop" in v and "nginx" in v and v["nginx"]["rps"] > 0]
if pairs:
    h = [p["hoop"]["rps"] for p in pairs]
    n = [p["nginx"]["rps"] for p in pairs]
    emit("http_c64_wrk", "req/s", h, "nginx", n, [a / b for a, b in zip(h, n)], 1.0)
    hc = [p["hoop"]["server_cpu_us_per_req"] for p in pairs]
    nc = [p["nginx"]["server_cpu_us_per_req"] for p in pairs]
    emit("http_c64_wrk_server_cpu", "us/req", hc, "nginx", nc,
         [b / a for a, b in zip(hc, nc)], None)

def fmt(v, unit):
    if unit.startswith("us/"):
        return f"{v:.2f}"
    return f"{v / 1e3:.1f} k"
print()
print("| case | unit | hoop | baseline | baseline value | ratio (median) | ratios | bar | met |")
print("|---|---|---:|---|---:|---:|---|---|---|")
for r, bar in rows:
    met = "-" if bar is None else ("yes" if r["ratio"] >= bar else "**no**")
    bar_s = "-" if bar is None else f">= {bar:.2f}"
    print(f"| {r['case']} | {r['unit']} | {fmt(r['hoop'], r['unit'])} | {r['baseline']} | "
          f"{fmt(r['baseline_value'], r['unit'])} | {r['ratio']:.3f} | "
          f"{' '.join(f'{x:.2f}' for x in r['ratios'])} | {bar_s} | {met} |")
EOF
echo "results: $out" >&2
