#!/bin/sh
# consumer test: install a hoop build tree into a temporary prefix, then build
# tests/consumer/consumer.c against it with find_package(hoop) (shared and
# static) and with pkg-config, and run each build.
#
#   run.sh <hoop build dir> <cmake> <C compiler> [address|thread]
set -eu
build=$1
cmake=$2
cc=$3
sanitize=${4:-}
src=$(cd "$(dirname "$0")" && pwd)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hoop-consumer.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
prefix=$tmp/prefix

case $sanitize in
address) san="-fsanitize=address,undefined" ;;
thread) san="-fsanitize=thread" ;;
"") san="" ;;
*) echo "unknown sanitizer $sanitize"; exit 1 ;;
esac

echo "== cmake --install $build --prefix $prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log" || {
	cat "$tmp/install.log"; exit 1; }
for f in include/hoop.h include/hoop/common.h; do
	[ -f "$prefix/$f" ] || { echo "missing $f in the install"; exit 1; }
done

gen=""
if command -v ninja >/dev/null 2>&1; then gen="-GNinja"; fi

echo "== find_package(hoop CONFIG) + hoop::hoop, hoop::hoop_static"
"$cmake" -S "$src" -B "$tmp/build" $gen -DCMAKE_PREFIX_PATH="$prefix" \
	-DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$san" \
	-DCMAKE_EXE_LINKER_FLAGS="$san" >"$tmp/configure.log" || {
	cat "$tmp/configure.log"; exit 1; }
"$cmake" --build "$tmp/build" >"$tmp/build.log" || { cat "$tmp/build.log"; exit 1; }
"$tmp/build/consumer"
"$tmp/build/consumer_static"

echo "== cc \$(pkg-config --cflags --libs hoop)"
PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib64/pkgconfig:$prefix/share/pkgconfig"
export PKG_CONFIG_PATH
pkg-config --exists hoop || { echo "pkg-config does not find hoop"; exit 1; }
flags=$(pkg-config --cflags --libs hoop)
libdir=$(pkg-config --variable=libdir hoop)
echo "pkg-config: $flags"
# shellcheck disable=SC2086
"$cc" $san -o "$tmp/consumer_pc" "$src/consumer.c" $flags
LD_LIBRARY_PATH="$libdir" "$tmp/consumer_pc"

echo "consumer: all three builds ran"
