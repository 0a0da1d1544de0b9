#!/usr/bin/env python3
"""bench/run_cp_tree_ab.py DIR warm|evicted ROUNDS NFILES TOOL...

`cp -r` of a tree of NFILES files of 4 KiB (directories of 100) made once
under DIR/src, by each TOOL in turn in every round (the order rotates):
TOOL is `cp` (coreutils) or the path of a `hoop` binary (run as
`HOOP cp -r`), so that two hoop builds and cp are measured in the same
minutes. Each run copies to a new directory after `sync` and, for
"evicted", POSIX_FADV_DONTNEED on every source file ("warm": every file
read first); every copy is checked with diff -r. Prints each round's wall
clock, then per tool the median wall clock, the median CPU time (user +
system of the child, io-wq workers included), cp's median over the tool's
and the min-max of the per-round ratios, and the load average. The copies
are removed at the end (wait a minute before the next run: ext4 without a
journal scans recently removed inodes when it creates one, see
docs/BENCHMARKS.md). Example:

    bench/run_cp_tree_ab.py /tmp/cpx evicted 7 10000 cp /tmp/hoop-before \\
        build/release/cli/hoop
"""

import os
import resource
import shutil
import statistics as st
import subprocess
import sys
import time


def main() -> None:
    if len(sys.argv) < 6 or sys.argv[2] not in ("warm", "evicted"):
        sys.exit(__doc__)
    d, mode = sys.argv[1], sys.argv[2]
    rounds, nfiles = int(sys.argv[3]), int(sys.argv[4])
    tools = sys.argv[5:]
    os.makedirs(d, exist_ok=True)
    os.chdir(d)
    if not os.path.exists("src"):
        for i in range((nfiles + 99) // 100):
            os.makedirs(f"src/d{i:03d}", exist_ok=True)
            for f in range(min(100, nfiles - 100 * i)):
                with open(f"src/d{i:03d}/f{f:02d}", "wb") as o:
                    o.write(os.urandom(4096))

    def prep() -> None:
        subprocess.run(["sync"], check=True)
        for root, _, files in os.walk("src"):
            for f in files:
                p = os.path.join(root, f)
                if mode == "evicted":
                    fd = os.open(p, os.O_RDONLY)
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                    os.close(fd)
                else:
                    with open(p, "rb") as o:
                        o.read()
        time.sleep(0.5)

    wall: dict[str, list[float]] = {t: [] for t in tools}
    cpu: dict[str, list[float]] = {t: [] for t in tools}
    n = 0
    dsts = []
    for r in range(rounds):
        for t in tools[r % len(tools) :] + tools[: r % len(tools)]:
            prep()
            n += 1
            dst = f"dst{os.getpid()}.{n}"
            dsts.append(dst)
            argv = (
                ["cp", "-r", "src", dst] if t == "cp" else [t, "cp", "-r", "src", dst]
            )
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(argv, check=True)
            wall[t].append(time.perf_counter() - t0)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[t].append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
            if subprocess.run(["diff", "-r", "src", dst], check=False).returncode:
                sys.exit(f"{t}: the copy differs")
        print(" ".join(f"{t}={wall[t][-1]:.3f}" for t in tools), flush=True)
    for dst in dsts:
        shutil.rmtree(dst)
    for t in tools:
        line = f"{t}: wall {st.median(wall[t]):.3f} s, cpu {st.median(cpu[t]):.3f} s"
        if "cp" in wall and t != "cp":
            rr = [a / b for a, b in zip(wall["cp"], wall[t])]
            line += (
                f", cp/this {st.median(wall['cp']) / st.median(wall[t]):.2f}x"
                f" (rounds {min(rr):.2f}-{max(rr):.2f})"
            )
        print(line)
    print("load average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
