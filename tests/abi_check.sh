#!/bin/sh
# tests/abi_check.sh check|baseline SRCDIR LIB SOVERSION OUTDIR
#
# The ABI of libhoop.so, checked by a machine (libabigail: Debian package
# abigail-tools). abi/libhoop.so.<SOVERSION>.abi is the committed baseline:
# abidw's description of the public functions and of the types of
# include/hoop/*.h they use, made from the release build (-O2 -g).
#
#   check     (the CTest test abi) describe LIB the same way and compare
#             with abidiff. Added functions are fine; a removed or changed
#             function or variable, or a changed layout of a public type,
#             fails (abi/hoop.abignore lets the growth-rule structs gain
#             members at their end). An incompatible change must raise the
#             SOVERSION (HOOP_VERSION_MAJOR in include/hoop/common.h) in the
#             same change, with a new baseline for it: with no baseline for
#             the current SOVERSION the test fails and says how to make one.
#             (A reserved field taken for a new member, as the growth rule
#             allows, is reported too: that change rewrites the baseline.)
#   baseline  (the target abi_baseline) write abi/libhoop.so.<SOVERSION>.abi
#             from LIB. Make it from the release preset's build.
set -eu
mode=$1 src=$2 lib=$3 so=$4 out=$5
base=$src/abi/libhoop.so.$so.abi
supp=$src/abi/hoop.abignore

for t in abidw abidiff readelf; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "abi_check: $t not found (Debian: apt-get install abigail-tools binutils)"
		[ "$mode" = check ] && exit 77
		exit 1
	fi
done
if ! readelf -S "$lib" | grep -q '\.debug_info'; then
	echo "abi_check: $lib has no debug info (abidw needs -g: use the release preset)"
	[ "$mode" = check ] && exit 77
	exit 1
fi

# Only the public interface: types from include/hoop, no paths that differ
# between checkouts, type ids by hash so a change rewrites few lines.
describe() {
	abidw --headers-dir "$src/include/hoop" --drop-private-types \
		--no-corpus-path --no-comp-dir-path --short-locs \
		--type-id-style hash --out-file "$2" "$1"
}

case $mode in
baseline)
	mkdir -p "$src/abi"
	describe "$lib" "$base"
	echo "abi_check: wrote $base"
	exit 0 ;;
check) ;;
*) echo "usage: $0 check|baseline SRCDIR LIB SOVERSION OUTDIR" >&2; exit 2 ;;
esac

if [ ! -f "$base" ]; then
	echo "abi_check: no ABI baseline for SOVERSION $so ($base)."
	echo "If the SOVERSION was raised on purpose, make the new baseline from the"
	echo "release build and commit it with the change:"
	echo "  cmake --build build/release --target abi_baseline"
	exit 1
fi
mkdir -p "$out"
describe "$lib" "$out/libhoop.abi"
set +e
abidiff --suppressions "$supp" --no-added-syms "$base" "$out/libhoop.abi"
rc=$?
set -e
if [ $rc -ne 0 ]; then
	echo "abi_check: abidiff exit status $rc (bits: 1 error, 2 usage, 4 ABI change, 8 incompatible)."
	echo "libhoop.so.$so no longer matches $base."
	echo "Keep the ABI (add, do not change or remove; grow structs only as"
	echo "include/hoop/common.h says), or raise HOOP_VERSION_MAJOR (the SOVERSION)"
	echo "in the same change and make a new baseline (target abi_baseline)."
	exit 1
fi
echo "abi_check: libhoop.so.$so is compatible with $base"
