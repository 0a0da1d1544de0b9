#!/usr/bin/env python3
"""CPU time per hoop.asyncio.read() when 64 run as 64 tasks (a gather), the
shape of bench_py.py's asyncio_64 case, measured with process_time so that
other load on the machine disturbs it less than wall time; beside it the
same 64 reads as one pread_many, and asyncio's own floor: 64 tasks each
awaiting a future that one callback resolves (what any library pays for a
task per read).

    python bench/bench_asyncio_cpu.py [--rounds N] [--file PATH]

Prints one JSON line: {"case", "unit": "us cpu per read", "hoop_read",
"hoop_pread_many", "asyncio_floor"}, medians of the rounds. To compare two
builds, run it with each on PYTHONPATH, alternating, a few times.
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time

import hoop.asyncio as haio

PAGE = 4096
N = 64


async def floor_round(loop):
    pending = []

    def flush():
        for f in pending:
            f.set_result(b"")
        pending.clear()

    async def one():
        f = loop.create_future()
        if not pending:
            loop.call_soon(flush)
        pending.append(f)
        return await f

    await asyncio.gather(*(one() for _ in range(N)))


async def main(args):
    from bench_py import make_file  # the same 64 MiB cached file
    fd = make_file(args.file)
    rnd = random.Random(1)
    loop = asyncio.get_running_loop()
    blocks = os.fstat(fd).st_size // PAGE
    offs = [[rnd.randrange(blocks) * PAGE for _ in range(N)] for _ in range(50)]
    t = {"read": [], "pread_many": [], "floor": []}
    try:
        for o in offs[:5]:
            await asyncio.gather(*(haio.read(fd, PAGE, x) for x in o))
        for r in range(args.rounds):
            o = offs[r % len(offs)]
            t0 = time.process_time()
            await asyncio.gather(*(haio.read(fd, PAGE, x) for x in o))
            t["read"].append(time.process_time() - t0)
            t0 = time.process_time()
            await haio.pread_many(fd, [(x, PAGE) for x in o])
            t["pread_many"].append(time.process_time() - t0)
            t0 = time.process_time()
            await floor_round(loop)
            t["floor"].append(time.process_time() - t0)
    finally:
        os.close(fd)
    us = {k: round(statistics.median(v) / N * 1e6, 2) for k, v in t.items()}
    print(json.dumps({"case": "asyncio_64_cpu", "unit": "us cpu per read",
                      "hoop_read": us["read"], "hoop_pread_many": us["pread_many"],
                      "asyncio_floor": us["floor"]}), flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=400)
    ap.add_argument("--file", default=os.path.join(tempfile.gettempdir(), "hoop_bench_py.bin"))
    asyncio.run(main(ap.parse_args()))
