#!/usr/bin/env bash
# cli_help_width: `hoop --help` and every `hoop CMD --help` exit 0 and no
# line is longer than 79 columns (issue 18: echo-server and http-server
# each had a line of 108 and 83).
set -u
hoop=$1
fail=0
cmds=$("$hoop" --help | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
[ -n "$cmds" ] || { echo "FAIL: no commands listed by hoop --help"; exit 1; }
for c in "" $cmds; do
	out=$("$hoop" $c --help 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: hoop $c --help exited $rc"
		fail=1
	fi
	long=$(printf '%s\n' "$out" | awk 'length($0) > 79 {print length($0) ": " $0}')
	if [ -n "$long" ]; then
		echo "FAIL: hoop $c --help has lines over 79 columns:"
		printf '%s\n' "$long"
		fail=1
	fi
done
[ "$fail" -eq 0 ] && echo "cli_help_width: $(echo $cmds | wc -w) commands, every line <= 79 columns"
exit $fail
