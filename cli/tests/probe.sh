#!/bin/bash
# cli_probe: `hoop probe --json` is valid JSON (python3 -m json.tool) with
# every field of struct hoop_probe equal to what hoop_probe_run finds in
# another process (probe_json_check); the report for a person has its
# lines, its extras line with ring_extras. With a seccomp_run path as the
# third argument, the same under a filter that refuses io_uring_setup with
# EPERM, as Docker's does.
#   probe.sh HOOP PROBE_JSON_CHECK [SECCOMP_RUN]
. "$(dirname "$0")/lib.sh"
check=$2
seccomp=${3:-}
"$HOOP" probe --json >"$T/probe.json" || fail "hoop probe --json: status $?"
python3 -m json.tool "$T/probe.json" >/dev/null || fail "hoop probe --json is not valid JSON"
"$check" "$T/probe.json" || fail "hoop probe --json differs from hoop_probe_run"
"$HOOP" probe >"$T/probe.txt" || fail "hoop probe: status $?"
for label in "io_uring:" "tier:" "backend:" "memlock:" "opcodes:" "features:"; do
	grep -q "^$label" "$T/probe.txt" || fail "hoop probe: no '$label' line"
done
# The extras line carries ring_extras as in the JSON, in hex, with names.
if grep -q '"usable": 1' "$T/probe.json"; then
	x=$(python3 -c 'import json,sys; print(hex(json.load(open(sys.argv[1]))["ring_extras"]))' "$T/probe.json")
	line=$(grep '^extras:' "$T/probe.txt") || fail "hoop probe: no 'extras:' line"
	if [ "$x" = 0x0 ]; then
		[ "$line" = "extras:       none" ] || fail "hoop probe: '$line', want none"
	else
		case "$line" in
		"extras:       $x:"*) ;;
		*) fail "hoop probe: '$line', want ring_extras $x" ;;
		esac
	fi
	echo "cli_probe: extras line: $line"
fi
if [ -n "$seccomp" ]; then
	"$seccomp" eperm "$HOOP" probe --json >"$T/seccomp.json" ||
		fail "hoop probe --json under seccomp: status $?"
	python3 -m json.tool "$T/seccomp.json" >/dev/null || fail "seccomp: not JSON"
	"$seccomp" eperm "$check" "$T/seccomp.json" none ||
		fail "hoop probe --json under seccomp differs from hoop_probe_run"
	# To a file, not a pipe: a pipe's status would be grep's, not hoop's.
	"$seccomp" eperm "$HOOP" probe >"$T/seccomp.txt" ||
		fail "hoop probe under seccomp: status $?"
	grep -q "^io_uring: .*EPERM" "$T/seccomp.txt" ||
		fail "hoop probe under seccomp does not say EPERM"
fi
echo "cli_probe: passed"
