#!/bin/sh
# tests/fuzz/run_fuzz.sh - build tests/fuzz/fuzz_ops.c with clang
# (-fsanitize=fuzzer,address,undefined) straight from the core's sources,
# then run it for a bounded time on a scratch copy of the seed corpus.
#
#   run_fuzz.sh SRC_DIR WORK_DIR [SECONDS] [extra libFuzzer args...]
#
# Exits 77 (CTest: skipped) when clang with libFuzzer is not installed, 0
# when the run ends without a finding, non-zero (libFuzzer's code) with the
# crashing input left in WORK_DIR/artifacts/. CTest runs it for 60 s
# (test fuzz_ops); docs/RELIABILITY.md has a longer run's figures.
set -eu
src=$1
work=$2
secs=${3:-60}
shift 2
[ $# -gt 0 ] && shift
CLANG=${CLANG:-}
if [ -z "$CLANG" ]; then
	for c in clang clang-14 clang-15 clang-16 clang-17 clang-18 clang-19; do
		if command -v "$c" >/dev/null 2>&1; then CLANG=$c; break; fi
	done
fi
if [ -z "$CLANG" ]; then
	echo "SKIP: clang not found (needed for libFuzzer; apt-get install clang)"
	exit 77
fi
mkdir -p "$work/corpus" "$work/artifacts"
bin=$work/fuzz_ops
# Rebuild when any source is newer than the binary.
if [ ! -x "$bin" ] || [ -n "$(find "$src/core" "$src/include" "$src/tests/fuzz" \
	-newer "$bin" -name '*.[ch]' 2>/dev/null | head -1)" ]; then
	if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n){(void)d;(void)n;return 0;}' |
		"$CLANG" -x c -fsanitize=fuzzer - -o "$work/probe" 2>/dev/null; then
		echo "SKIP: $CLANG cannot link -fsanitize=fuzzer (libFuzzer missing)"
		exit 77
	fi
	"$CLANG" -std=c11 -g -O1 -fno-omit-frame-pointer \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-D_GNU_SOURCE -DHOOP_BUILDING_LIBRARY ${FUZZ_CFLAGS_EXTRA:-} \
		-I"$src/include" -I"$src/core" \
		"$src"/core/*.c "$src/tests/fuzz/fuzz_ops.c" -lpthread -o "$bin"
fi
cp -f "$src"/tests/fuzz/corpus/* "$work/corpus/" 2>/dev/null || true
echo "fuzz_ops: $secs s with $CLANG, corpus $work/corpus"
# -rss_limit_mb: the engine and rings are small; 2 GB catches leaks.
# libFuzzer's own failure code is 77, CTest's "skipped": make it 1.
exec "$bin" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 \
	-error_exitcode=1 -timeout_exitcode=1 \
	-print_final_stats=1 -artifact_prefix="$work/artifacts/" "$@" "$work/corpus"
