#!/bin/bash
# cli_cp_stale_temp: `hoop cp --atomic` killed by SIGKILL leaves its
# temporary file .hoop-tmp.PID.NAME (nothing can remove it then); the next
# run to the same destination removes it, while a temporary whose PID is
# alive (another copy in progress) and one for another destination stay.
# The default copy (in place, as cp) makes no temporary file at all.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

mkfifo fifo
"$HOOP" cp --atomic fifo dst 2>"$T/err" &
pid=$!
exec 3<>fifo # read-write: never blocks, even if hoop is gone
timeout 20 head -c $((1 << 20)) /dev/zero >&3 || fail "the copy does not read the FIFO"
for _ in $(seq 200); do
	size=$(stat -c %s ".hoop-tmp.$pid.dst" 2>/dev/null || echo 0)
	[ "$size" -ge $((1 << 20)) ] && break
	sleep 0.05
done
expect_eq "temporary file during the copy" "$size" $((1 << 20))
kill -KILL "$pid"
wait "$pid" 2>/dev/null
exec 3>&-
[ -e ".hoop-tmp.$pid.dst" ] || fail "SIGKILL: no temporary file left (test setup)"
[ ! -e dst ] || fail "SIGKILL: dst exists"

# A temporary of a live process (this shell) for dst, and a dead one for
# another destination: both must stay.
: >".hoop-tmp.$$.dst"
: >".hoop-tmp.$pid.other"
printf 'data' >src
"$HOOP" cp --atomic src dst || fail "second run: status"
expect_eq "second run: data" "$(cat dst)" data
[ ! -e ".hoop-tmp.$pid.dst" ] || fail "the stale temporary of the killed run is still there"
[ -e ".hoop-tmp.$$.dst" ] || fail "the temporary of a live process was removed"
[ -e ".hoop-tmp.$pid.other" ] || fail "another destination's temporary was removed"
rm -f ".hoop-tmp.$$.dst" ".hoop-tmp.$pid.other"

# The default copy writes in place: killed, it leaves a partial dst (as cp
# would) and no hidden file.
"$HOOP" cp fifo dst2 2>"$T/err" &
pid=$!
exec 3<>fifo # read-write: never blocks, even if hoop is gone
timeout 20 head -c $((1 << 20)) /dev/zero >&3 || fail "the copy does not read the FIFO"
for _ in $(seq 200); do
	size=$(stat -c %s dst2 2>/dev/null || echo 0)
	[ "$size" -ge $((1 << 20)) ] && break
	sleep 0.05
done
kill -KILL "$pid"
wait "$pid" 2>/dev/null
exec 3>&-
expect_eq "default copy killed: hidden files" "$(ls -A | grep -c '^\.')" 0
echo "cli_cp_stale_temp: passed"
