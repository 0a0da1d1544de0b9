#!/usr/bin/env python3
"""Benchmarks of the Python package against what Python users do today.

    python bench/bench_py.py [--rounds N] [--file PATH]

Cases (4 KiB reads of a 64 MiB file; all but the last from the page cache):
  pread_many_256   256 random reads in one Engine.pread_many call, against a
                   Python loop of os.pread (each keeping its results)
  pread_many_256_no_inline  the same on an Engine(inline=False): the ring
                   serves the batch, no RWF_NOWAIT attempt per read
  asyncio_64       64 concurrent reads (a gather of 64 tasks) with
                   hoop.asyncio.read, against asyncio.to_thread(os.pread) and
                   against aiofiles (its thread-pool wrapper of os.pread),
                   when installed
  asyncio_64_pread_many  the same 64 reads as one await of
                   hoop.asyncio.pread_many (one future, no task per read),
                   against the same baselines
  odirect_depth_128  O_DIRECT random reads (the disk, not the cache), 1024
                   per round with 128 in flight: Engine.preadinto_many
                   against a ThreadPoolExecutor of 128 workers (IOPS)
  ring_nop_batch32, ring_nop_batch32_copy_cqes, odirect_depth128_*
                   from bench_ring.py (see there):
                   hoop.Ring, Queue and preadinto_many against the Cython
                   liburing binding, when it is installed

Each round times one batch; rounds of hoop and of the baseline alternate so
that a noisy neighbour hurts both. Prints one JSON line per comparison:
{"case", "unit", "hoop", "baseline", "baseline_value", "ratio"} with medians
in reads per second; ratio = hoop / baseline (higher is better for hoop).
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time

import hoop
import hoop.asyncio as haio

PAGE = 4096
FILE_SIZE = 64 << 20


def make_file(path):
    if not os.path.exists(path) or os.path.getsize(path) != FILE_SIZE:
        with open(path, "wb") as f:
            for _ in range(FILE_SIZE // (1 << 20)):
                f.write(os.urandom(1 << 20))
    fd = os.open(path, os.O_RDONLY)
    while os.read(fd, 1 << 20):  # into the page cache
        pass
    return fd


def offsets(rnd, n):
    return [rnd.randrange(FILE_SIZE // PAGE) * PAGE for _ in range(n)]


def emit(case, hoop_rate, baseline, base_rate):
    print(json.dumps({"case": case, "unit": "reads/s", "hoop": round(hoop_rate),
                      "baseline": baseline, "baseline_value": round(base_rate),
                      "ratio": round(hoop_rate / base_rate, 2)}), flush=True)


def bench_pread_many(fd, rounds, rnd):
    """Each contender reads its own fresh random offsets, in an order that
    rotates every round: reading the same 1 MiB right after another
    contender would find it in the CPU's caches (an earlier version of this
    bench timed the default engine first on new offsets and the others on
    the same offsets, which made the default engine look 1.6x slower).
    The data is checked once before the timed rounds, not between them:
    the checking's allocations left the baseline's next 256 bytes objects
    to fresh, faulting memory (2.6x slower os.pread loop)."""
    n = 256
    with hoop.Engine() as eng, hoop.Engine(inline=False) as eng_ring:
        for e in (eng, eng_ring):
            offs = offsets(rnd, n)
            got = e.pread_many(fd, [(o, PAGE) for o in offs])
            if [bytes(g) for g in got] != [os.pread(fd, PAGE, o)
                                            for o in offs]:
                sys.exit("pread_many returned wrong data")
            del got
        t = {"inline": [], "ring": [], "base": []}
        order = list(t)
        for r in range(rounds):
            for k in order[r % 3:] + order[:r % 3]:
                offs = offsets(rnd, n)
                if k == "base":
                    t0 = time.perf_counter()
                    want = [os.pread(fd, PAGE, o) for o in offs]
                    t[k].append(time.perf_counter() - t0)
                    del want
                    continue
                e = eng if k == "inline" else eng_ring
                t0 = time.perf_counter()
                got = e.pread_many(fd, [(o, PAGE) for o in offs])
                t[k].append(time.perf_counter() - t0)
                del got
    base = n / statistics.median(t["base"])
    emit("pread_many_256", n / statistics.median(t["inline"]),
         "python loop of os.pread", base)
    emit("pread_many_256_no_inline", n / statistics.median(t["ring"]),
         "python loop of os.pread", base)


def bench_direct(path, rounds, rnd, depth=128, per_round=1024):
    """O_DIRECT 4 KiB random reads, `depth` in flight: hoop (pread_many
    through a queue of `depth`) against a ThreadPoolExecutor of `depth`
    workers each doing os.preadv into its own aligned buffer."""
    import concurrent.futures
    import mmap
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    except OSError as e:
        print("# O_DIRECT not available here: %s" % e, file=sys.stderr)
        return
    tls = threading.local()

    def pread_direct(off):
        buf = getattr(tls, "buf", None)
        if buf is None:
            buf = tls.buf = mmap.mmap(-1, PAGE)  # page-aligned
        return os.preadv(fd, [buf], off)

    try:
        with hoop.Engine(max_inflight=depth, inline=False) as eng, \
                concurrent.futures.ThreadPoolExecutor(depth) as pool:
            list(pool.map(pread_direct, offsets(rnd, depth)))  # start the workers
            aligned = mmap.mmap(-1, per_round * PAGE)
            t_hoop, t_base = [], []
            for _ in range(rounds):
                offs = offsets(rnd, per_round)
                t0 = time.perf_counter()
                counts = eng.preadinto_many(fd, [(o, memoryview(aligned)[i * PAGE:(i + 1) * PAGE])
                                                 for i, o in enumerate(offs)])
                t_hoop.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                base = list(pool.map(pread_direct, offs))
                t_base.append(time.perf_counter() - t0)
                if counts != [PAGE] * per_round or base != [PAGE] * per_round:
                    sys.exit("O_DIRECT reads came back short")
        emit("odirect_depth_%d" % depth, per_round / statistics.median(t_hoop),
             "ThreadPoolExecutor(%d) of os.preadv" % depth, per_round / statistics.median(t_base))
    finally:
        os.close(fd)


async def _asyncio_cases(fd, rounds, rnd):
    n = 64
    try:
        import aiofiles.os as aos
        aio_pread = aos.wrap(os.pread)
    except ImportError:
        aio_pread = None
    # a warm pool for the thread-based baselines
    await asyncio.gather(*(asyncio.to_thread(os.pread, fd, 1, 0) for _ in range(n)))

    async def run_hoop(offs):
        return await asyncio.gather(*(haio.read(fd, PAGE, o) for o in offs))

    async def run_to_thread(offs):
        return await asyncio.gather(*(asyncio.to_thread(os.pread, fd, PAGE, o) for o in offs))

    async def run_aiofiles(offs):
        return await asyncio.gather(*(aio_pread(fd, PAGE, o) for o in offs))

    async def run_hoop_batch(offs):
        return await haio.pread_many(fd, [(o, PAGE) for o in offs])

    contenders = [("asyncio.to_thread(os.pread)", run_to_thread)]
    if aio_pread is not None:
        contenders.append(("aiofiles (aiofiles.os.wrap(os.pread))", run_aiofiles))
    times = {name: [] for name, _ in contenders}
    times["hoop"] = []
    times["hoop_batch"] = []
    for _ in range(rounds):
        offs = offsets(rnd, n)
        t0 = time.perf_counter()
        got = await run_hoop(offs)
        times["hoop"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        if await run_hoop_batch(offs) != got:
            sys.exit("hoop.asyncio.pread_many returned wrong data")
        times["hoop_batch"].append(time.perf_counter() - t0)
        for name, fn in contenders:
            t0 = time.perf_counter()
            want = await fn(offs)
            times[name].append(time.perf_counter() - t0)
            if got != want:
                sys.exit("hoop.asyncio.read returned wrong data")
    hoop_rate = n / statistics.median(times["hoop"])
    batch_rate = n / statistics.median(times["hoop_batch"])
    for name, _ in contenders:
        emit("asyncio_64", hoop_rate, name, n / statistics.median(times[name]))
    for name, _ in contenders:
        emit("asyncio_64_pread_many", batch_rate, name, n / statistics.median(times[name]))
    if aio_pread is None:
        print("# aiofiles is not installed: pip install aiofiles", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=300)
    ap.add_argument("--file", default=os.path.join(tempfile.gettempdir(), "hoop_bench_py.bin"))
    args = ap.parse_args()
    fd = make_file(args.file)
    rnd = random.Random(1)
    try:
        bench_pread_many(fd, args.rounds, rnd)
        asyncio.run(_asyncio_cases(fd, args.rounds, rnd))
        bench_direct(args.file, max(3, args.rounds // 60), rnd)
    finally:
        os.close(fd)
    # Issue 20's rows: Ring NOPs and O_DIRECT at depth 128 against the
    # Cython liburing binding (bench_ring.py; 1 s per turn, 2 s alone).
    import bench_ring
    bench_ring.bench_nop(max(5, args.rounds // 20))
    bench_ring.bench_direct(args.file, 5, 1.0 if args.rounds >= 150 else 0.2, rnd)


if __name__ == "__main__":
    main()
