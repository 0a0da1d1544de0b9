#!/bin/bash
# cli_cp_messages: hoop cp's failures against cp's: the same exit status (1)
# and the same messages, with the one prefix "hoop cp: " for cp's "cp: ":
# a missing source, a directory without -r (and -r is accepted), the same
# file, a missing directory, a directory in the way, a target that is not a
# directory, missing operands, an unknown option.
. "$(dirname "$0")/cp_lib.sh"

setup='printf data >f; printf other >g; mkdir dir; mkdir -p d2/f; ln f hard'
check() {
	label=$1
	shift
	fresh
	in_both "$setup"
	run_both "$@"
	same_in_both 'find . -printf "%P %y %s\n" | LC_ALL=C sort'
}
check "missing source" nosuch x
check "directory without -r" dir x
check "directory with -r" -r dir x
check "same file" f f
check "same file through a hard link" f hard
check "same file through a path" f ./f
check "missing directory" f nodir/x
check "trailing slash, no such directory" f new/
check "trailing slash on a file" f g/
check "trailing slash, -r" -r f new/
check "directory in the way" f d2
check "target missing" f g x
check "target not a directory" f g dir/../f
check "missing file operand"
check "missing destination" f
# Usage errors: cp says "Try 'cp --help'", hoop "Try 'hoop cp --help'".
for args in "--bogus f x" "-d" "--depth 0 f x"; do
	label="usage: $args"
	hrc=0
	# shellcheck disable=SC2086
	"$HOOP" cp $args 2>"$T/h.err" || hrc=$?
	expect_eq "$label: status" "$hrc" 1
	case "$(head -1 "$T/h.err")" in "hoop cp: "*) ;; *) fail "$label: $(cat "$T/h.err")" ;; esac
	expect_eq "$label: hint" "$(tail -1 "$T/h.err")" "Try 'hoop cp --help' for more information."
done
label="unrecognized option"
hrc=0
"$HOOP" cp --bogus f x 2>"$T/h.err" || hrc=$?
crc=0
cp --bogus f x 2>"$T/c.err" || crc=$?
expect_eq "$label: status" "$hrc" "$crc"
expect_eq "$label: message" "$(hoop_as_cp <"$T/h.err")" \
	"$(cat "$T/c.err")"
echo "cli_cp_messages: passed"
