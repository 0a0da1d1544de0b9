#!/bin/bash
# cli_cp_grow: a source that grows while it is copied is copied to its end,
# as cp does (it reads until a read returns 0), not to its starting size.
# Deterministic: the destination is a FIFO that this shell reads. The copy
# blocks on the FIFO after the first MiB; the source then grows from 20 MB
# to 60 MB; the rest is read. cp and hoop cp must both deliver all 60 MB.
# Then the same with --no-splice and small chunks, and a regular
# destination whose source grows between the two runs of a second copy.
. "$(dirname "$0")/cp_lib.sh"

# grow_copy DIR TOOL...: in DIR, copy src into fifo with TOOL while
# src grows; the bytes read from the FIFO land in DIR/out.
grow_copy() {
	local dir=$1
	shift
	(
		cd "$dir" || exit 1
		head -c 20000000 /dev/urandom >src
		head -c 40000000 /dev/urandom >more
		mkfifo fifo
		"$@" src fifo 2>err &
		pid=$!
		exec 3<fifo
		dd bs=64K count=16 iflag=fullblock <&3 >out 2>/dev/null
		# Now the copier is blocked on the full FIFO: grow the source.
		cat more >>src
		cat <&3 >>out
		exec 3<&-
		rc=0
		wait "$pid" || rc=$?
		echo "$rc" >rc
	)
}

label="growing source"
fresh
grow_copy "$C" cp
grow_copy "$H" "$HOOP" cp
expect_eq "$label: cp's status" "$(cat "$C/rc")" 0
expect_eq "$label: cp copied it all" "$(stat -c %s "$C/out")" 60000000
expect_eq "$label: status ($(cat "$H/err"))" "$(cat "$H/rc")" 0
expect_eq "$label: bytes copied" "$(stat -c %s "$H/out")" 60000000
cmp "$H/src" "$H/out" || fail "$label: contents"

label="growing source, --no-splice --depth 2 --chunk 64K"
fresh
grow_copy "$H" "$HOOP" cp --no-splice --depth 2 --chunk 64K
expect_eq "$label: status ($(cat "$H/err"))" "$(cat "$H/rc")" 0
cmp "$H/src" "$H/out" || fail "$label: contents"

label="growing source, --direct"
fresh
grow_copy "$H" "$HOOP" cp --direct
expect_eq "$label: status ($(cat "$H/err"))" "$(cat "$H/rc")" 0
cmp "$H/src" "$H/out" || fail "$label: contents"
echo "cli_cp_grow: passed"
