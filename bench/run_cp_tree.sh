#!/bin/bash
# bench/run_cp_tree.sh HOOP [DIR] [warm|evicted] [ROUNDS]
#
# `hoop cp -r` against coreutils `cp -r` on a tree of 10,000 files of 4 KiB
# (100 directories of 100), made once under DIR (default /tmp/hoop-cp-tree;
# removed at the end). Rounds alternate which tool goes first; before each
# run the previous copy is removed, `sync` runs and the machine rests 1 s.
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
	rm -rf dst
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
		prep; c=$(timed cp -r src dst); prep; h=$(timed "$hoop" cp -r src dst)
	else
		prep; h=$(timed "$hoop" cp -r src dst); prep; c=$(timed cp -r src dst)
	fi
	cmp <(cd src && find . -type f | sort | xargs cat) <(cd dst && find . -type f | sort | xargs cat) ||
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
