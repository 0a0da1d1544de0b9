#!/bin/bash
# cli_cp_sigint: SIGINT in the middle of `hoop cp --atomic` leaves neither
# the destination nor the temporary file, and hoop dies of SIGINT (status
# 130 in a shell). Without --atomic (in place, as cp) it dies the same way,
# leaving the part copied, as cp does, and no hidden file. The source is a FIFO whose writer (this shell) sends 3 MiB
# and keeps it open, so the copy is certainly in progress (its temporary file exists)
# when the signal comes. A second case interrupts a copy of a regular file
# made slow with 4 KiB chunks at depth 1; an existing destination must
# survive untouched.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# wait_for_temp: until the temporary file appears (at most 10 s).
wait_for_temp() {
	for _ in $(seq 200); do
		ls -A | grep -q '\.hoop-' && return 0
		sleep 0.05
	done
	fail "no temporary file appeared"
}

mkfifo fifo
"$HOOP" cp --atomic fifo dst 2>"$T/err" &
pid=$!
# This shell is the writer: no helper process to clean up afterwards.
exec 3<>fifo # read-write: never blocks, even if hoop is gone
timeout 20 head -c $((3 << 20)) /dev/zero >&3 || fail "the copy does not read the FIFO"
wait_for_temp
# Wait until the 3 MiB have been written to the temporary file.
for _ in $(seq 200); do
	size=$(stat -c %s .hoop-tmp.*.dst 2>/dev/null || echo 0)
	[ "$size" -ge $((3 << 20)) ] && break
	sleep 0.05
done
expect_eq "FIFO copy: bytes in the temporary file" "$size" $((3 << 20))
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
exec 3>&-
expect_eq "FIFO copy interrupted: status" "$rc" 130
[ ! -e dst ] || fail "FIFO copy interrupted: dst exists"
expect_eq "FIFO copy interrupted: files left" "$(ls -A | grep -v '^fifo$' | grep -v '^err$' || true)" ""

# A regular file, an existing destination that must stay as it was.
head -c $((256 << 20)) /dev/zero >big
echo "keep me" >dst2
"$HOOP" cp --atomic --depth 1 --chunk 4K big dst2 2>"$T/err" &
pid=$!
wait_for_temp
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
if [ "$rc" = 0 ]; then
	# Finished before the signal: nothing to check but the copy.
	cmp big dst2 || fail "uninterrupted copy differs"
	echo "cli_cp_sigint: the regular-file copy finished before SIGINT"
else
	expect_eq "regular copy interrupted: status" "$rc" 130
	expect_eq "regular copy interrupted: dst kept" "$(cat dst2)" "keep me"
fi
expect_eq "regular copy interrupted: temporary files left" \
	"$(ls -A | grep '\.hoop-' || true)" ""

# In place: SIGINT ends the copy with 130; what was copied stays, as with cp.
"$HOOP" cp fifo dst3 2>"$T/err" &
pid=$!
exec 3<>fifo # read-write: never blocks, even if hoop is gone
timeout 20 head -c $((1 << 20)) /dev/zero >&3 || fail "the copy does not read the FIFO"
for _ in $(seq 200); do
	size=$(stat -c %s dst3 2>/dev/null || echo 0)
	[ "$size" -ge $((1 << 20)) ] && break
	sleep 0.05
done
expect_eq "in-place FIFO copy: bytes written" "$size" $((1 << 20))
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
exec 3>&-
expect_eq "in-place copy interrupted: status" "$rc" 130
expect_eq "in-place copy interrupted: hidden files" "$(ls -A | grep -c '^\.')" 0
echo "cli_cp_sigint: passed"
