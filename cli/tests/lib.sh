# cli/tests/lib.sh - sourced by the CLI's shell tests.
#   HOOP: the hoop binary (first argument of each test)
#   T: a fresh scratch directory, removed on exit
# fail MSG: print and exit 1. skip MSG: print and exit 77.
set -u
HOOP=${1:?usage: $0 path/to/hoop}
T=$(mktemp -d /tmp/hoop-cli-test.XXXXXX)
trap 'rm -rf "$T"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

# run_hoop ARGS...: run hoop, leaving its exit status in $rc and its stderr
# in $T/err.
run_hoop() {
	rc=0
	"$HOOP" "$@" 2>"$T/err" || rc=$?
}

# bench_logs PROGRESS: print (then remove) each log of children's messages
# that `hoop bench` named in its progress output PROGRESS ("its messages
# are in DIR/hoop-bench-PID.log", DIR: $TMPDIR or /tmp); it keeps them only
# when a suite failed.
bench_logs() {
	local log
	for log in $(grep -o '[^ ]*/hoop-bench-[0-9]*\.log' "$1" | sort -u); do
		echo "---- $log:"
		cat "$log" 2>&1
		rm -f "$log"
	done
}
