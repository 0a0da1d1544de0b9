#!/bin/bash
# cli_cp: `hoop cp` against cmp for empty, 1-byte, 4 KiB-aligned, odd-sized,
# sparse and large (64 MiB; the benchmark copies 1 GiB) files, buffered and
# with --direct; holes preserved (st_blocks); permission bits; copy into a
# directory; and coreutils-style failures: a missing source, a directory
# source, the same file, an unwritable destination (as uid 65534). Every
# kind of file also with --atomic (a temporary file renamed over DST).
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
umask 022

# check_copy NAME [OPTIONS]: copy NAME to NAME.copy, compare, no temp left.
check_copy() {
	src=$1
	shift
	rm -f "$src.copy"
	run_hoop cp "$@" "$src" "$src.copy"
	expect_eq "hoop cp $* $src: status ($(cat "$T/err"))" "$rc" 0
	cmp "$src" "$src.copy" || fail "hoop cp $* $src: contents differ"
	expect_eq "$src: size" "$(stat -c %s "$src.copy")" "$(stat -c %s "$src")"
	expect_eq "$src: mode" "$(stat -c %a "$src.copy")" "$(stat -c %a "$src")"
	leftover=$(ls -A | grep '\.hoop-' || true)
	expect_eq "temporary files left" "$leftover" ""
}

: >empty
printf 'x' >one
head -c 4096 /dev/urandom >aligned4k
head -c 1048576 /dev/urandom >aligned1m
head -c 3000001 /dev/urandom >odd
chmod 751 odd
head -c $((64 << 20)) /dev/urandom >large
# sparse: 200 MiB with 4 KiB of data at 0, 100 MiB and the last byte.
truncate -s $((200 << 20)) sparse
printf 'head' | dd of=sparse conv=notrunc status=none
head -c 4096 /dev/urandom | dd of=sparse bs=1M seek=100 conv=notrunc status=none
printf 'z' | dd of=sparse bs=1 seek=$(((200 << 20) - 1)) conv=notrunc status=none

for opts in "" "--direct" "--no-splice" "--depth 1 --chunk 4K" "--depth 3 --chunk 128K" \
	"--atomic" "--atomic --direct" "--atomic --no-splice --depth 3 --chunk 128K"; do
	for f in empty one aligned4k aligned1m odd large sparse; do
		# shellcheck disable=SC2086
		check_copy "$f" $opts
	done
	# Holes stay holes: the copy has no more blocks than the source.
	src_blocks=$(stat -c %b sparse)
	dst_blocks=$(stat -c %b sparse.copy)
	[ "$dst_blocks" -le "$src_blocks" ] ||
		fail "sparse copy ($opts) has $dst_blocks blocks, source $src_blocks"
done
[ "$(stat -c %b sparse)" -lt 1024 ] || fail "test setup: sparse is not sparse"

# Overwriting an existing file (longer than the source), in place and
# with --atomic, and copying into a directory.
for opts in "" "--atomic"; do
	head -c 5000000 /dev/zero >target
	# shellcheck disable=SC2086
	run_hoop cp $opts odd target
	expect_eq "overwrite ($opts) status" "$rc" 0
	cmp odd target || fail "overwrite ($opts): contents differ"
done
mkdir dir
run_hoop cp odd one dir
expect_eq "copy into a directory" "$rc" 0
cmp odd dir/odd && cmp one dir/one || fail "copy into a directory: contents"
# A stream source (a pipe) and a /proc file whose size reads as 0.
head -c 5000000 large | "$HOOP" cp /dev/stdin piped || fail "cp from a pipe"
head -c 5000000 large | cmp - piped || fail "cp from a pipe: contents"
"$HOOP" cp /proc/self/status status.copy || fail "cp of a /proc file"
[ -s status.copy ] || fail "cp of a /proc file: empty"

# Failures, with coreutils' messages and exit status 1.
run_hoop cp nosuch x
expect_eq "missing source: status" "$rc" 1
expect_eq "missing source: message" "$(cat "$T/err")" \
	"hoop cp: cannot stat 'nosuch': No such file or directory"
[ ! -e x ] || fail "missing source: x was created"
run_hoop cp dir x
expect_eq "directory source: status" "$rc" 1
expect_eq "directory source: message" "$(cat "$T/err")" \
	"hoop cp: -r not specified; omitting directory 'dir'"
run_hoop cp odd odd
expect_eq "same file: status" "$rc" 1
expect_eq "same file: message" "$(cat "$T/err")" "hoop cp: 'odd' and 'odd' are the same file"
run_hoop cp odd nodir/x
expect_eq "missing directory: status" "$rc" 1
expect_eq "missing directory: message" "$(cat "$T/err")" \
	"hoop cp: cannot create regular file 'nodir/x': No such file or directory"
run_hoop cp odd
expect_eq "one operand: status" "$rc" 1
run_hoop cp --bogus odd x
expect_eq "bad option: status" "$rc" 1

# Unwritable destination: root ignores permissions, so drop to uid 65534.
mkdir locked
chmod 755 locked
chmod 755 "$T"
chmod 644 odd
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	rc=0
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$HOOP" cp odd locked/x 2>"$T/err" || rc=$?
	expect_eq "unwritable destination: status" "$rc" 1
	expect_eq "unwritable destination: message" "$(cat "$T/err")" \
		"hoop cp: cannot create regular file 'locked/x': Permission denied"
	[ -z "$(ls -A locked)" ] || fail "unwritable destination: files left"
else
	# Not root: the directory is unwritable for us already.
	chmod 555 locked
	run_hoop cp odd locked/x
	expect_eq "unwritable destination: status" "$rc" 1
fi
# And a destination the kernel refuses even to root.
run_hoop cp odd /proc/hoop-test
expect_eq "/proc destination: status" "$rc" 1
case "$(cat "$T/err")" in
"hoop cp: cannot create regular file '/proc/hoop-test': "*) ;;
*) fail "/proc destination: message: $(cat "$T/err")" ;;
esac
echo "cli_cp: all cases passed"
