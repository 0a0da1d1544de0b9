#!/bin/bash
# cli_cp_cold: a source that is not in the page cache (4 MiB or more, on a
# file system that takes O_DIRECT) is read with O_DIRECT and written
# through the page cache. The copy must equal the source for odd sizes (an
# unaligned tail), a sparse file (holes stay holes) and a file whose first
# part alone is cached; and the source must still be out of the page cache
# afterwards (fincore), which shows that the O_DIRECT reads were used: a
# copy through the page cache leaves the whole source cached.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
umask 022
command -v fincore >/dev/null || skip "no fincore (util-linux) to see the page cache"
k=$(uname -r | awk -F. '{ print $1 * 1000 + $2 }')
[ "$k" -ge 6005 ] || skip "kernel $(uname -r) has no cachestat (6.5)"
head -c 4096 /dev/urandom >probe
dd if=probe of=/dev/null bs=4096 iflag=direct status=none 2>/dev/null ||
	skip "$T's file system does not take O_DIRECT"

# cached_kib FILE: how much of FILE is in the page cache, in KiB.
cached_kib() {
	fincore -b -n -o RES "$1" | awk '{ print int($1 / 1024) }'
}
# evict FILE: drop FILE's pages from the page cache (dd's nocache flag).
evict() {
	sync "$1"
	dd if="$1" iflag=nocache count=0 status=none
	[ "$(cached_kib "$1")" -lt 64 ] || skip "cannot evict $1 from the page cache"
}

head -c $((6 << 20)) /dev/urandom >big
head -c 3 /dev/urandom >>big          # 6 MiB + 3 bytes: an unaligned tail
head -c $((16 << 20)) /dev/urandom >aligned
truncate -s $((40 << 20)) sparse      # data at 0, 20 MiB and the last byte
head -c 100000 /dev/urandom | dd of=sparse conv=notrunc status=none
head -c 5000 /dev/urandom | dd of=sparse bs=1M seek=20 conv=notrunc status=none
printf 'z' | dd of=sparse bs=1 seek=$(((40 << 20) - 1)) conv=notrunc status=none
chmod 640 big

for f in big aligned sparse; do
	for opts in "" "--atomic" "--depth 3 --chunk 64K"; do
		rm -f "$f.copy"
		evict "$f"
		# shellcheck disable=SC2086
		run_hoop cp $opts "$f" "$f.copy"
		expect_eq "cold $f ($opts): status ($(cat "$T/err"))" "$rc" 0
		got=$(cached_kib "$f") # (before cmp reads it)
		[ "$got" -lt 1024 ] ||
			fail "cold $f ($opts): $got KiB of the source cached after the copy (read through the page cache, not O_DIRECT)"
		cmp "$f" "$f.copy" || fail "cold $f ($opts): contents differ"
		expect_eq "cold $f ($opts): mode" "$(stat -c %a "$f.copy")" \
			"$(stat -c %a "$f")"
	done
done
[ "$(stat -c %b sparse.copy)" -le "$(stat -c %b sparse)" ] ||
	fail "cold sparse: the copy has more blocks than the source"

# A source mostly cached goes through the page cache (and is copied).
evict aligned
dd if=aligned of=/dev/null bs=1M count=14 status=none
rm -f aligned.copy
run_hoop cp aligned aligned.copy
expect_eq "mostly cached: status" "$rc" 0
cmp aligned aligned.copy || fail "mostly cached: contents differ"

# cp -r hands files of 128 KiB and more to the same one-file copy.
mkdir tree && cp big aligned tree/ && evict tree/big && evict tree/aligned
run_hoop cp -r tree tree.copy
expect_eq "cp -r of cold files: status ($(cat "$T/err"))" "$rc" 0
[ "$(cached_kib tree/big)" -lt 1024 ] ||
	fail "cp -r of cold files: tree/big read through the page cache"
diff -r tree tree.copy || fail "cp -r of cold files: contents differ"
echo "cli_cp_cold: passed"
