#!/bin/bash
# cli_backend: a HOOP_BACKEND that names no backend is an error everywhere
# the CLI takes one (hoop reads it from the environment): cp and cat fail
# with a message naming the value and the accepted ones, write nothing, and
# probe reports it (status 1); the accepted names work.
. "$(dirname "$0")/lib.sh"
accepted="auto, uring (or io_uring) or threads"
head -c 100000 /dev/urandom >"$T/src"

HOOP_BACKEND=thread run_hoop cp "$T/src" "$T/dst"
expect_eq "cp with HOOP_BACKEND=thread: status" "$rc" 1
grep -q "HOOP_BACKEND=thread is not a backend" "$T/err" ||
	fail "cp: no word of HOOP_BACKEND=thread: $(cat "$T/err")"
grep -qF "$accepted" "$T/err" || fail "cp: accepted values not named: $(cat "$T/err")"
[ ! -s "$T/dst" ] || fail "cp wrote data with a bad HOOP_BACKEND"

HOOP_BACKEND=bogus run_hoop cat "$T/src"
expect_eq "cat with HOOP_BACKEND=bogus: status" "$rc" 1
grep -qF "HOOP_BACKEND=bogus is not a backend: use $accepted" "$T/err" ||
	fail "cat: message: $(cat "$T/err")"

HOOP_BACKEND=thread "$HOOP" probe >"$T/probe.txt" 2>"$T/err" && fail "probe: status 0"
grep -q "^backend: *none: HOOP_BACKEND=thread is not a backend" "$T/probe.txt" ||
	fail "probe report: $(grep backend: "$T/probe.txt")"
grep -qF "$accepted" "$T/err" || fail "probe: stderr: $(cat "$T/err")"
HOOP_BACKEND=thread "$HOOP" probe --json >"$T/probe.json" 2>/dev/null
grep -q '"auto_backend_name": "none"' "$T/probe.json" || fail "probe --json: no \"none\""

for b in threads uring io_uring auto ""; do
	rm -f "$T/dst"
	HOOP_BACKEND=$b run_hoop cp "$T/src" "$T/dst"
	expect_eq "cp with HOOP_BACKEND='$b': status" "$rc" 0
	cmp -s "$T/src" "$T/dst" || fail "cp with HOOP_BACKEND='$b': copy differs"
done
echo "cli_backend: passed"
