#!/usr/bin/env python3
"""hoop.read_files against what Python users write today, on many small
cached files (default 5,000 of 4 KiB):

  open       [open(p, 'rb').read() for p in paths]  (with-statement form)
  os         os.open + os.read until b'' + os.close, per path
  hoop       hoop.read_files(paths)             (default engine: io_uring)
  hoop_pool  hoop.read_files(paths, engine=<thread-pool engine>)

    python bench/bench_read_files.py [--rounds N] [--files N] [--size S] [--cpu]
                                     [--evict fadvise] [DIR]

--cpu times each run by the process's CPU time (user + system of every
thread, time.process_time) instead of the wall clock: steadier on a
loaded machine, and what one thread's cost per file is.
--evict fadvise starts every run cold: the files' pages are dropped with
posix_fadvise(POSIX_FADV_DONTNEED) before it (not timed; their dentries and
inodes stay cached, and nothing else on the machine is evicted). Put DIR
on a disk, not tmpfs.

DIR defaults to $HOOP_BENCH_DIR or <tmp>/hoop-bench-pyfiles; the files are
made there if missing and read once into the page cache. Rounds alternate
(open, os, hoop, hoop_pool, open, ...) so that a noisy neighbour hurts all
alike. One JSON line per comparison, with medians in microseconds per file:
{"case", "unit", "hoop", "baseline", "baseline_value", "ratio"}, ratio =
baseline / hoop (higher is better for hoop), the median of per-round
ratios; the spread of the ratios goes to stderr.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import hoop


def make_files(d, n, size):
    os.makedirs(d, exist_ok=True)
    data = bytes((i * 7 + 3) & 0xFF for i in range(size))
    paths = []
    for i in range(n):
        p = os.path.join(d, "f%d_%d" % (size, i))
        try:
            ok = os.path.getsize(p) == size
        except OSError:
            ok = False
        if not ok:
            with open(p, "wb") as f:
                f.write(data)
        paths.append(p)
    return paths


def by_open(paths):
    out = []
    for p in paths:
        with open(p, "rb") as f:
            out.append(f.read())
    return out


def by_os(paths):
    out = []
    o, r, c = os.open, os.read, os.close
    flags = os.O_RDONLY | os.O_CLOEXEC
    for p in paths:
        fd = o(p, flags)
        try:
            chunks = []
            while True:
                b = r(fd, 1 << 16)
                if not b:
                    break
                chunks.append(b)
        finally:
            c(fd)
        out.append(chunks[0] if len(chunks) == 1 else b"".join(chunks))
    return out


def evict(paths):
    for p in paths:
        fd = os.open(p, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--cpu", action="store_true")
    ap.add_argument("--evict", choices=["fadvise"])
    ap.add_argument("dir", nargs="?", default=os.environ.get(
        "HOOP_BENCH_DIR", os.path.join(tempfile.gettempdir(), "hoop-bench-pyfiles")))
    a = ap.parse_args()
    rounds = max(5, a.rounds)
    paths = make_files(a.dir, a.files, a.size)
    expect = by_os(paths)  # into the page cache

    os.environ["HOOP_BACKEND"] = "threads"
    pool = hoop.Engine()
    del os.environ["HOOP_BACKEND"]
    eng = hoop.default_engine()
    impls = {
        "open": by_open,
        "os": by_os,
        "hoop": lambda ps: hoop.read_files(ps, engine=eng),
        "hoop_pool": lambda ps: hoop.read_files(ps, engine=pool),
    }
    for f in impls.values():  # warm-up, and the results are right
        assert f(paths) == expect
    t = {k: [] for k in impls}
    clock = time.process_time if a.cpu else time.perf_counter
    for _ in range(rounds):
        for k, f in impls.items():
            if a.evict:
                evict(paths)
            t0 = clock()
            f(paths)
            t[k].append((clock() - t0) * 1e6 / len(paths))
    sys.stderr.write("%d files of %d bytes in %s; engine backend %s; %s time%s\n"
                     % (len(paths), a.size, a.dir, eng.backend,
                        "CPU" if a.cpu else "wall",
                        "; every run cold (fadvise)" if a.evict else ""))
    for h, base in (("hoop", "open"), ("hoop", "os"), ("hoop_pool", "open"),
                    ("hoop_pool", "os")):
        ratios = [b / x for b, x in zip(t[base], t[h])]
        case = "read_files%s_vs_%s" % ("_pool" if h == "hoop_pool" else "", base)
        print(json.dumps({"case": case, "unit": "us/file",
                          "hoop": round(statistics.median(t[h]), 3),
                          "baseline": base,
                          "baseline_value": round(statistics.median(t[base]), 3),
                          "ratio": round(statistics.median(ratios), 4)}))
        sys.stderr.write("  %-26s ratio min %.2f max %.2f (%d rounds)\n"
                         % (case, min(ratios), max(ratios), rounds))
    pool.close()


if __name__ == "__main__":
    main()
