#!/usr/bin/env python3
"""asyncio echo server benchmark: hoop streams against asyncio's own
streams, on the default loop and on uvloop.

    python bench/bench_echo.py [--rounds N] [--seconds S] [--conns 64] [--size 64]

Each server runs in its own process with the same handler (asyncio
StreamReader/StreamWriter: read, write, drain). The load is
bench/echo_client.c (compiled here with cc): one thread, epoll, `conns`
connections, one message in flight per connection, round trips counted for
`seconds` after a warm-up; it also reads the server process's CPU clock
(all its threads, user + system) over those seconds. Servers:

  hoop          hoop.asyncio.start_server on the default asyncio loop
  hoop+uvloop   hoop.asyncio.start_server on uvloop
  asyncio       asyncio.start_server on the default loop
  uvloop        asyncio.start_server on uvloop

With --count, each server instead counts, under sys.setprofile, the
Python function calls (and C function calls) its loop thread makes per
round trip, split by where the function lives (hoop, asyncio, uvloop, the
handler): a figure that does not move with the machine's load. Prints one
JSON line per server.

With --before PYTHON (an interpreter whose hoop is the package to compare
with, e.g. a venv of main's), "before" and "before+uvloop" run hoop's two
servers with it, in the same rotation, and their rows are printed too.

Rounds run every server once, in a rotating order, so a noisy neighbour
hurts all of them. Prints one JSON line per comparison: {"case", "unit",
"hoop", "baseline", "baseline_value", "ratio"}, medians in round trips per
second; ratio = hoop / baseline of the medians, paired_ratio = the median
of the per-round ratios (the steadier figure when the load moves);
cpu_us = the medians of the server's CPU microseconds per round trip
(hoop, baseline), the figure a busy machine disturbs least.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


ROUND_TRIPS = [0]
COUNT_FROM = 1000  # --count: the round trip that starts the count (set-up excluded)
COUNTS = {}  # "wanted": --count given; "live": start_counting()'s counter


async def echo(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            ROUND_TRIPS[0] += 1
            if ROUND_TRIPS[0] == COUNT_FROM and COUNTS.get("wanted"):
                COUNTS["live"] = start_counting()
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


def where(code_file):
    for part in ("hoop", "asyncio", "uvloop"):
        if os.sep + part + os.sep in code_file:
            return part
    return "other"


def start_counting():
    """Count the calls of this thread by where the callee lives; returns
    the counter (keys: hoop, asyncio, uvloop, other; c: C functions)."""
    counts = {"hoop": 0, "asyncio": 0, "uvloop": 0, "other": 0, "c": 0}
    places = {}

    def prof(frame, event, arg):
        if event == "call":
            f = frame.f_code.co_filename
            w = places.get(f)
            if w is None:
                w = places[f] = where(f)
            counts[w] += 1
        elif event == "c_call":
            counts["c"] += 1

    sys.setprofile(prof)
    return counts


def serve(kind, count=False):
    """Run one server until stdin closes; print its port first (and with
    `count`, its calls per round trip last)."""
    use_hoop = kind.startswith("hoop")
    if kind.endswith("uvloop"):
        import uvloop
        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    async def main():
        if use_hoop:
            import hoop.asyncio as haio
            server = await haio.start_server(echo, "127.0.0.1", 0)
        else:
            server = await asyncio.start_server(echo, "127.0.0.1", 0)
        print(server.sockets[0].getsockname()[1], flush=True)
        done = loop.create_future()
        loop.add_reader(sys.stdin.fileno(), lambda: done.done() or done.set_result(None))
        COUNTS["wanted"] = count
        await done
        sys.setprofile(None)
        server.close()
        if count:
            counts = COUNTS.get("live") or {"c": 0}
            n = max(ROUND_TRIPS[0] - COUNT_FROM, 1)
            print(json.dumps({"kind": kind, "round_trips_counted": n,
                              "python_calls_per_rt": round(
                                  sum(v for k, v in counts.items() if k != "c") / n, 2),
                              "by_place": {k: round(v / n, 2) for k, v in counts.items()}}),
                  flush=True)

    loop.run_until_complete(main())


def build_client():
    exe = os.path.join(tempfile.gettempdir(), "hoop_echo_client_%d" % os.getuid())
    src = os.path.join(HERE, "echo_client.c")
    if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
        subprocess.run([os.environ.get("CC", "cc"), "-O2", "-o", exe, src], check=True)
    return exe


def one_run(client, kind, args):
    python, label = sys.executable, kind
    if kind.startswith("before"):
        python, kind = args.before, kind.replace("before", "hoop")
    srv = subprocess.Popen([python, os.path.abspath(__file__), "--serve", kind]
                           + (["--count"] if args.count else []),
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        port = srv.stdout.readline().strip()
        if not port:
            raise RuntimeError("server %s did not start" % kind)
        out = subprocess.run([client, port, str(args.conns), str(args.size),
                              str(args.seconds), str(args.warmup), str(srv.pid)],
                             check=True, capture_output=True, text=True)
        fields = out.stdout.split()
        if args.count:
            srv.stdin.close()
            line = srv.stdout.readline()
            row = json.loads(line)
            row["kind"] = label
            print(json.dumps(row), flush=True)
        return float(fields[0]), float(fields[1]) if len(fields) > 1 else float("nan")
    finally:
        if not srv.stdin.closed:
            srv.stdin.close()
        try:
            srv.wait(10)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=1.5)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--conns", type=int, default=64)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--kinds", help="comma-separated servers to run (default: all)")
    ap.add_argument("--count", action="store_true",
                    help="count the servers' Python calls per round trip instead")
    ap.add_argument("--before", metavar="PYTHON",
                    help="also run hoop's servers with this interpreter's hoop")
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.count)
        return
    client = build_client()
    kinds = ["hoop", "asyncio"]
    try:
        import uvloop  # noqa: F401
        kinds += ["hoop+uvloop", "uvloop"]
    except ImportError:
        print("# uvloop is not installed: pip install uvloop", file=sys.stderr)
    if args.before:
        kinds += [k.replace("hoop", "before") for k in kinds if k.startswith("hoop")]
    if args.kinds:
        kinds = [k for k in args.kinds.split(",") if k in kinds]
    if args.count:
        for k in kinds:
            one_run(client, k, args)
        return
    rates = {k: [] for k in kinds}
    cpus = {k: [] for k in kinds}
    for r in range(args.rounds):
        order = kinds[r % len(kinds):] + kinds[:r % len(kinds)]
        for k in order:
            rate, cpu = one_run(client, k, args)
            rates[k].append(rate)
            cpus[k].append(cpu)
    med = {k: statistics.median(v) for k, v in rates.items()}
    cpu = {k: statistics.median(v) for k, v in cpus.items()}
    case = "echo_%d_conns_%dB" % (args.conns, args.size)
    for hoop_kind, base in [("hoop", "asyncio"), ("hoop", "uvloop"),
                            ("hoop+uvloop", "uvloop"), ("before", "uvloop"),
                            ("before+uvloop", "uvloop"), ("hoop", "before"),
                            ("hoop+uvloop", "before+uvloop")]:
        if hoop_kind in med and base in med:
            paired = statistics.median(h / b for h, b in zip(rates[hoop_kind], rates[base]))
            print(json.dumps({"case": (case + ("_on_uvloop" if "uvloop" in hoop_kind else "")
                                       + ("_before" if hoop_kind.startswith("before") else "")),
                              "unit": "round trips/s", "hoop": round(med[hoop_kind]),
                              "baseline": base + (" streams" if base in ("asyncio", "uvloop")
                                                  else " (hoop)"),
                              "baseline_value": round(med[base]),
                              "ratio": round(med[hoop_kind] / med[base], 2),
                              "paired_ratio": round(paired, 2),
                              "cpu_us": [round(cpu[hoop_kind], 1), round(cpu[base], 1)],
                              "runs": {k: [round(x) for x in rates[k]]
                                       for k in (hoop_kind, base)}}),
                  flush=True)


if __name__ == "__main__":
    main()
