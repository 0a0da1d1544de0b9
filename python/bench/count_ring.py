#!/usr/bin/env python3
"""User-space instructions per operation of bench_ring.py's loops, counted
by callgrind (deterministic, unlike time on a shared machine): each case
runs under `valgrind --tool=callgrind` twice, with N and with 0
iterations, and the difference over N operations is printed, so start-up
and imports cancel out.

    python bench/count_ring.py [--n N] [--cases nop_hoop,nop_liburing,...]

Cases: nop_hoop (reaped with Ring.reap), nop_hoop_completions (reaped with
Ring.copy_cqes), nop_liburing (NOPs in batches of 32, bench_ring's loops),
read_hoop, read_liburing (4 KiB reads of a cached file, 128 prepared, one
submit-and-wait, 128 reaped, each slot read again; kernel time is not
counted, so the file is cached to keep the two comparable).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run_case(case, n, path):
    """Inside valgrind: the loop of `case`, n batches."""
    sys.path.insert(0, HERE)
    import bench_ring as b
    if case.startswith("nop"):
        if case in ("nop_hoop", "nop_hoop_completions"):
            import hoop
            ring = hoop.Ring(256)
            getattr(b, case)(ring, n)
        else:
            ring, cqe = b.lu.io_uring(), b.lu.io_uring_cqe()
            b.lu.io_uring_queue_init(256, ring, 0)
            b.nop_liburing(ring, cqe, n)
        return
    fd = os.open(path, os.O_RDONLY)
    bufs = [bytearray(4096) for _ in range(128)]
    if case == "read_hoop":
        import hoop
        with hoop.Ring(256) as ring:
            prep, saw, reap = ring.prep_read, ring.submit_and_wait, ring.reap
            for _ in range(n):
                for i in range(128):
                    prep(fd, bufs[i], i * 4096, i)
                saw(128)
                for _ud, res, _flags in reap():
                    assert res == 4096
    else:
        lu = b.lu
        ring, cqe = lu.io_uring(), lu.io_uring_cqe()
        lu.io_uring_queue_init(256, ring, 0)
        get_sqe, prep_read, set_data = lu.io_uring_get_sqe, lu.io_uring_prep_read, \
            lu.io_uring_sqe_set_data64
        saw, wait_cqe, seen = lu.io_uring_submit_and_wait, lu.io_uring_wait_cqe, \
            lu.io_uring_cqe_seen
        for _ in range(n):
            for i in range(128):
                sqe = get_sqe(ring)
                prep_read(sqe, fd, bufs[i], 4096, i * 4096)
                set_data(sqe, i)
            saw(ring, 128)
            for _ in range(128):
                wait_cqe(ring, cqe)
                assert cqe.res == 4096
                seen(ring, cqe)
        lu.io_uring_queue_exit(ring)
    os.close(fd)


def count(case, n, path):
    out = tempfile.mktemp(prefix="cg.")
    # A fixed hash seed: with a random one, start-up (imports, dict
    # layouts) differs from run to run by more than a NOP's count.
    env = dict(os.environ, PYTHONHASHSEED="0")
    subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                    sys.executable, __file__, "--inner", case, "--n", str(n),
                    "--file", path], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env=env)
    with open(out) as f:
        text = f.read()
    os.unlink(out)
    return int(re.search(r"^summary: (\d+)", text, re.M).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--cases", default="nop_hoop,nop_hoop_completions,nop_liburing,"
                    "read_hoop,read_liburing")
    ap.add_argument("--file", default=os.path.join(tempfile.gettempdir(), "hoop_count_ring.bin"))
    ap.add_argument("--inner")
    a = ap.parse_args()
    if a.inner:
        run_case(a.inner, a.n, a.file)
        return
    if not os.path.exists(a.file):
        with open(a.file, "wb") as f:
            f.write(os.urandom(128 * 4096))
    for case in a.cases.split(","):
        per_batch = 32 if case.startswith("nop") else 128
        diff = count(case, a.n, a.file) - count(case, 0, a.file)
        print("%-14s %8.0f instructions per op" % (case, diff / (a.n * per_batch)), flush=True)


if __name__ == "__main__":
    main()
