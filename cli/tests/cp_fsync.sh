#!/bin/bash
# cli_cp_fsync: --fsync makes the copy durable: fsync(2) of the file (seen
# with strace), and with --atomic of the file before the rename and of its
# directory after it; -r --fsync syncs each file (as an engine operation,
# so only the result is checked). Without --fsync, no fsync.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
head -c 1000000 /dev/urandom >src
mkdir -p tree/sub && printf a >tree/sub/x && printf b >tree/y

"$HOOP" cp --fsync src a || fail "--fsync: status"
cmp src a || fail "--fsync: contents"
"$HOOP" cp --atomic --fsync src b || fail "--atomic --fsync: status"
cmp src b || fail "--atomic --fsync: contents"
"$HOOP" cp -r --fsync tree tree2 || fail "-r --fsync: status"
diff -r tree tree2 || fail "-r --fsync: contents"

if ! command -v strace >/dev/null || ! strace -o /dev/null true 2>/dev/null; then
	echo "cli_cp_fsync: strace unavailable: the fsync calls were not checked"
	exit 0
fi
# count_fsync ARGS...: fsync calls made by `hoop cp ARGS`.
count_fsync() {
	strace -f -qq -e trace=fsync,fdatasync -o "$T/trace" "$HOOP" cp "$@" ||
		fail "strace hoop cp $*: status"
	grep -c 'fsync(' "$T/trace" || true
}
expect_eq "fsyncs without --fsync" "$(count_fsync src c)" 0
expect_eq "fsyncs with --fsync" "$(count_fsync --fsync src c)" 1
expect_eq "fsyncs with --atomic --fsync" "$(count_fsync --atomic --fsync src c)" 2
echo "cli_cp_fsync: passed"
