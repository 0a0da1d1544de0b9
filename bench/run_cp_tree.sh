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
# allocator's scan, not the copy, sets both tools' times.
# "evicted" drops the page cache of the source's files alone before each
# run (POSIX_FADV_DONTNEED, so other work on a shared machine keeps its
# cache); "warm" reads the tree once first. Prints one line per round
# ("cp_s hoop_s"), then the medians and their ratio cp/hoop (> 1: hoop is
# faster) with the min-max of the per-round ratios.
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
timed() {
	local s e
	s=$(date +%s%N)
	"$@" || { echo "run failed: $*" >&2; exit 1; }
	e=$(date +%s%N)
	echo $(((e - s) / 1000))
}
cps=() hoops=()
for ((i = 1; i <= rounds; i++)); do
	if ((i % 2)); then
		prep; c=$(timed cp -r src dstc$i); prep; h=$(timed "$hoop" cp -r src dsth$i)
	else
		prep; h=$(timed "$hoop" cp -r src dsth$i); prep; c=$(timed cp -r src dstc$i)
	fi
	cmp <(cd src && find . -type f | sort | xargs cat) <(cd dsth$i && find . -type f | sort | xargs cat) ||
		{ echo "copy differs" >&2; exit 1; }
	echo "round $i: cp $((c / 1000)) ms, hoop $((h / 1000)) ms"
	cps+=("$c") hoops+=("$h")
done
python3 - "${cps[*]}" "${hoops[*]}" "$mode" <<'PY'
import statistics as st, sys
c = [int(x) for x in sys.argv[1].split()]
h = [int(x) for x in sys.argv[2].split()]
r = [a / b for a, b in zip(c, h)]
print(f"{sys.argv[3]}: cp {st.median(c)/1e6:.3f} s, hoop {st.median(h)/1e6:.3f} s, "
      f"cp/hoop {st.median(c)/st.median(h):.2f}x (rounds {min(r):.2f}-{max(r):.2f})")
PY
