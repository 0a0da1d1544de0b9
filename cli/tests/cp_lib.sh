# cli/tests/cp_lib.sh - sourced by the cp_* tests that hold `hoop cp` against
# coreutils cp: each case is set up twice, in $C (for cp) and $H (for hoop
# cp), and both are run with the same arguments in their own directory.
#   fresh: empty $C and $H
#   in_both CMD...: run a shell command in $C and in $H (a setup step)
#   run_both ARGS...: `cp ARGS` in $C and `hoop cp ARGS` in $H; their
#     exit statuses must be equal, and so must their messages once hoop's
#     prefix "hoop cp: " is read as cp's "cp: " (hoop_as_cp). $label names
#     the case.
#   same_in_both CMD...: the output of a shell command run in $C and in $H
#     must be equal (a check step)
. "$(dirname "$0")/lib.sh"
HOOP=$(realpath "$HOOP")
command -v cp >/dev/null || skip "no coreutils cp to compare with"
umask 022
C=$T/c
H=$T/h
label=case

fresh() {
	rm -rf "$C" "$H"
	mkdir "$C" "$H" || fail "mkdir"
}

in_both() {
	(cd "$C" && eval "$*") || fail "$label: setup in the cp directory: $*"
	(cd "$H" && eval "$*") || fail "$label: setup in the hoop directory: $*"
}

# hoop's messages read as cp's: "hoop cp: " as "cp: ", "Try 'hoop cp --help'"
# as "Try 'cp --help'".
hoop_as_cp() {
	sed "s/^hoop cp: /cp: /; s/^Try 'hoop cp /Try 'cp /"
}

run_both() {
	crc=0
	(cd "$C" && cp "$@") 2>"$T/c.err" || crc=$?
	hrc=0
	(cd "$H" && "$HOOP" cp "$@") 2>"$T/h.err" || hrc=$?
	expect_eq "$label: exit status (hoop: $(cat "$T/h.err"))" "$hrc" "$crc"
	expect_eq "$label: messages" "$(hoop_as_cp <"$T/h.err")" \
		"$(cat "$T/c.err")"
}

same_in_both() {
	local c h
	c=$(cd "$C" && eval "$*" 2>&1)
	h=$(cd "$H" && eval "$*" 2>&1)
	[ "$h" = "$c" ] ||
		fail "$label: '$*' differs (< cp, > hoop cp):
$(diff <(echo "$c") <(echo "$h") | head -30)"
}
