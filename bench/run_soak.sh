#!/bin/sh
# bench/run_soak.sh - the engine soak (bench/soak.c): mixed load from many
# threads with random cancels, timeouts and closes for a bounded time, then
# submitted == completed == delivered, fds back to the start, RSS flat.
# Prints the soak's JSON line. VALGRIND=1 runs it under valgrind memcheck
# instead (much slower: give it a short --seconds). Valgrind cannot see the
# kernel fill a buffer asynchronously (an io_uring read), so definedness
# checks are off (--undef-value-errors=no); invalid accesses, bad frees and
# leaks are still errors. See docs/RELIABILITY.md.
#
#   bench/run_soak.sh [--seconds N] [--threads T]   (default 600 s, 16)
#   BACKEND=threads bench/run_soak.sh --seconds 60  (the thread pool)
#   VALGRIND=1 bench/run_soak.sh --seconds 120
# BUILD_DIR (default build/release) is configured and built if needed.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build/release}
[ -f "$build/CMakeCache.txt" ] ||
	cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target soak >/dev/null
export HOOP_BACKEND=${BACKEND:-uring}
if [ "${VALGRIND:-0}" = 1 ]; then
	exec valgrind --tool=memcheck --error-exitcode=1 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --undef-value-errors=no \
		"$build/bench/soak" "$@"
fi
exec "$build/bench/soak" "$@"
