#!/bin/bash
# cli_cp_short_read: `hoop cp -r` of a tree whose files read shorter than
# their size says (sysfs: every attribute says 4096 bytes) gives what
# `cp -r` gives: each file's real content, not 4096 bytes. The many-files
# pipeline writes the size the walk saw and copies such files again; this
# checks that path ends with the right bytes.
. "$(dirname "$0")/cp_lib.sh"

src=/sys/kernel/mm/transparent_hugepage
[ -d "$src" ] || skip "no $src (no sysfs or no transparent huge pages)"
# Files whose value cannot change between the two copies.
static="enabled defrag hpage_pmd_size use_zero_page shmem_enabled"
any=
for f in $static; do
	[ -r "$src/$f" ] && any=1
done
[ -n "$any" ] || skip "none of $static readable in $src"

label="cp -r $src"
fresh
run_both -r "$src" out
for f in $static; do
	[ -r "$src/$f" ] || continue
	want=$(cat "$src/$f")
	expect_eq "$label: $f (hoop)" "$(cat "$H/out/$f")" "$want"
	expect_eq "$label: $f (cp)" "$(cat "$C/out/$f")" "$want"
done
# No file is padded to the size sysfs reports.
padded=$(find "$H/out" -type f -size 4096c | head -3)
expect_eq "$label: files padded to 4096 bytes" "$padded" ""
same_in_both "find out -type f | LC_ALL=C sort"
echo "cli_cp_short_read: passed"
