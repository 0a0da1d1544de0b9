#!/bin/bash
# bench/run_cp_tree.sh HOOP [DIR] [warm|evicted] [ROUNDS]
#
# `hoop cp -r` against coreutils `cp -r` on a tree of 10,000 files of 4 KiB
# (100 directories of 100), made once under DIR (default /tmp/hoop-cp-tree;
# removed at the end). Rounds alternate which tool goes first; each run
# copies to a new directory (all copies are removed at the end; REUSE=1
# removes the previous copy before each run instead), then `sync` runs and
# the machine rests 1 s. Why new directories: on ext4 without a journal
# (the disk here), creating an inode skips every inode deleted in the last
# 60 s, reading its inode table block (find_inode_bit, recently_deleted),
# so after `rm -rf` of 10,000 files each create scans them all and the
# allocator's scan, not the copy, sets both tools' times. For the same
# reason leave a minute between two runs of this script: the first one's
# cleanup removes 60,000 files, and the next one's copies would scan them.
# "evicted" drops the page cache of the source's files alone before each
# run (POSIX_FADV_DONTNEED, so other work on a shared machine keeps its
# cache); "warm" reads the tree once first. Prints one line per round
# (wall-clock, user and system seconds of each tool), then the medians of
# the wall-clock and of the CPU times (user + system, io-wq workers
# included) and their ratio cp/hoop (> 1: hoop is faster) with the min-max
# of the per-round ratios, and the load average. Every copy is checked
# with diff -r.
set -euo pipefail
hoop=$1
dir=${2:-/tmp/hoop-cp-tree}
mode=${3:-warm}
rounds=${4:-5}
mkdir -p "$dir"
cd "$dir"
trap 'rm -rf "$dir"' EXIT
python3 - <<'PY'
import os
for d in range(100):
    os.makedirs(f"src/d{d:02d}", exist_ok=True)
    for f in range(100):
        with open(f"src/d{d:02d}/f{f:02d}", "wb") as o:
            o.write(os.urandom(4096))
PY
evict() {
	python3 - "$1" <<'PY'
import os, sys
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        fd = os.open(os.path.join(root, f), os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
PY
}
prep() {
	if [ "${REUSE:-0}" = 1 ]; then rm -rf dst*; fi
	sync
	if [ "$mode" = evicted ]; then evict src; else cat $(find src -type f) >/dev/null; fi
	sleep 1
}
# timed CMD...: run CMD; print its wall-clock, user and system seconds (the
# user and system time of every thread, io_uring's io-wq workers included).
timed() {
	local TIMEFORMAT='%3R %3U %3S' out
	out=$({ time "$@" >/dev/null 2>"$dir/err"; } 2>&1) ||
		{ echo "run failed: $* ($(cat "$dir/err"))" >&2; exit 1; }
	echo "$out"
}
cps=() hoops=()
for ((i = 1; i <= rounds; i++)); do
	if ((i % 2)); then
		prep; c=$(timed cp -r src dstc$i); prep; h=$(timed "$hoop" cp -r src dsth$i)
	else
		prep; h=$(timed "$hoop" cp -r src dsth$i); prep; c=$(timed cp -r src dstc$i)
	fi
	diff -r src dsth$i >/dev/null || { echo "copy differs" >&2; exit 1; }
	echo "round $i: cp $c, hoop $h (wall user sys, s)"
	cps+=("$c") hoops+=("$h")
done
python3 - "$mode" "$(uptime)" <<PY
import statistics as st, sys
c = [[float(v) for v in r.split()] for r in """$(printf '%s\n' "${cps[@]}")""".split("\n") if r]
h = [[float(v) for v in r.split()] for r in """$(printf '%s\n' "${hoops[@]}")""".split("\n") if r]
def show(what, cv, hv):
    r = [a / b for a, b in zip(cv, hv)]
    print(f"{sys.argv[1]}, {what}: cp {st.median(cv):.3f} s, hoop {st.median(hv):.3f} s, "
          f"cp/hoop {st.median(cv)/st.median(hv):.2f}x (rounds {min(r):.2f}-{max(r):.2f})")
show("wall clock", [x[0] for x in c], [x[0] for x in h])
show("CPU (user+sys)", [x[1] + x[2] for x in c], [x[1] + x[2] for x in h])
print("load:", sys.argv[2].split("load average:")[1].strip())
PY
