#!/usr/bin/env bash
# cli_bench_help: every bench/ program prints its usage on --help (exit 0)
# and rejects an unknown option (exit 2), and neither creates a file
# (issue 18: `bench_read --help` took --help for a path and wrote 1 GiB).
set -u
dir=$1
progs=(bench_nop bench_read bench_engine_threads bench_engine_direct
	bench_engine_nop bench_read_files bench_echo_client bench_echo_epoll)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HOOP_BENCH_FILE=$tmp/data/file HOOP_BENCH_DIR=$tmp/data/dir
mkdir "$tmp/cwd" "$tmp/data"
fail=0 ran=0
for p in "${progs[@]}"; do
	if [ ! -x "$dir/$p" ]; then
		echo "note: $p not built here (liburing-dev missing?), not checked"
		continue
	fi
	ran=$((ran + 1))
	out=$(cd "$tmp/cwd" && timeout 20 "$dir/$p" --help 2>/dev/null)
	rc=$?
	if [ "$rc" -ne 0 ] || [ "${out#usage: }" = "$out" ]; then
		echo "FAIL: $p --help: exit $rc, output '$out' (want 0, 'usage: ...')"
		fail=1
	fi
	(cd "$tmp/cwd" && timeout 20 "$dir/$p" --no-such-option >/dev/null 2>&1)
	rc=$?
	if [ "$rc" -ne 2 ]; then
		echo "FAIL: $p --no-such-option: exit $rc (want 2)"
		fail=1
	fi
	made=$(find "$tmp/cwd" "$tmp/data" -mindepth 1)
	if [ -n "$made" ]; then
		echo "FAIL: $p --help / --no-such-option created: $made"
		rm -rf "$tmp/cwd"/* "$tmp/cwd"/.[!.]* "$tmp/data"/*
		fail=1
	fi
done
if [ "$ran" -eq 0 ]; then
	echo "skip: no bench/ program built in $dir"
	exit 77
fi
[ "$fail" -eq 0 ] && echo "cli_bench_help: $ran programs: usage on --help, exit 2 on an unknown option, no file made"
exit $fail
