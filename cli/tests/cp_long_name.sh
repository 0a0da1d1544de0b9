#!/bin/bash
# cli_cp_long_name: destination names of 243 to 255 bytes (NAME_MAX) are
# copied to, as by cp, in place and with --atomic (whose temporary name is
# shortened to fit); 256 bytes fail for both with the same message.
. "$(dirname "$0")/cp_lib.sh"

name() { printf "%${1}s" "" | tr ' ' n; }
lengths="1 200 242 243 244 250 254 255 256"
for len in $lengths; do
	label="name of $len bytes"
	fresh
	in_both 'printf "some data\n" >src'
	n=$(name "$len")
	run_both src "$n"
	same_in_both "ls; cat $n 2>/dev/null || true"
done
for len in $lengths; do
	[ "$len" -le 255 ] || continue
	label="name of $len bytes, --atomic"
	n=$(name "$len")
	rm -f "$H/$n"
	(cd "$H" && "$HOOP" cp --atomic src "$n") 2>"$T/h.err" ||
		fail "$label: $(cat "$T/h.err")"
	expect_eq "$label: data" "$(cat "$H/$n")" "some data"
	expect_eq "$label: no temporary" "$(ls -A "$H" | grep -c hoop-tmp)" 0
done
echo "cli_cp_long_name: passed"
