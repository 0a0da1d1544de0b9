#!/bin/bash
# cli_cp_existing_dst: an existing destination keeps its mode, owner and
# inode (it is truncated and written in place, as cp does), also when it is
# longer than the source; a writable destination in a directory the user
# cannot write is copied to (as uid 65534 when run as root); --atomic
# replaces the inode but keeps the mode.
. "$(dirname "$0")/cp_lib.sh"

label="existing 600 destination"
fresh
in_both 'head -c 100000 /dev/urandom >src; chmod 777 src; head -c 300000 /dev/zero >dst;
	chmod 600 dst; stat -c %i dst >ino; ln dst hardlink'
run_both src dst
same_in_both 'stat -c "%a %s" dst; cmp src dst && echo same data'
same_in_both '[ "$(stat -c %i dst)" = "$(cat ino)" ] && echo inode kept'
same_in_both 'cmp src hardlink && echo hard link sees the copy'

label="existing destination, --atomic"
fresh
in_both 'printf new >src; chmod 777 src; printf old >dst; chmod 600 dst; stat -c %i dst >ino'
(cd "$H" && "$HOOP" cp --atomic src dst) || fail "$label: status"
expect_eq "$label: mode" "$(stat -c %a "$H/dst")" 600
expect_eq "$label: data" "$(cat "$H/dst")" new
[ "$(stat -c %i "$H/dst")" != "$(cat "$H/ino")" ] || fail "$label: inode not replaced"

label="writable destination in a read-only directory"
fresh
in_both 'printf "new data" >src; chmod 644 src; mkdir ro; printf old >ro/dst;
	chmod 666 ro/dst; chmod 555 ro'
chmod 755 "$T"
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || skip "$label: needs setpriv as root"
	as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
else
	as_user() { "$@"; }
fi
crc=0
(cd "$C" && as_user cp src ro/dst) 2>"$T/c.err" || crc=$?
hrc=0
(cd "$H" && as_user "$HOOP" cp src ro/dst) 2>"$T/h.err" || hrc=$?
expect_eq "$label: cp's status" "$crc" 0
expect_eq "$label: status ($(cat "$T/h.err"))" "$hrc" "$crc"
same_in_both 'cat ro/dst; stat -c %a ro/dst; ls -A ro'
# And a new file there fails for both, with the same message.
crc=0
(cd "$C" && as_user cp src ro/new) 2>"$T/c.err" || crc=$?
hrc=0
(cd "$H" && as_user "$HOOP" cp src ro/new) 2>"$T/h.err" || hrc=$?
expect_eq "$label: new file: status" "$hrc" "$crc"
expect_eq "$label: new file: message" "$(hoop_as_cp <"$T/h.err")" \
	"$(cat "$T/c.err")"
chmod 755 "$C/ro" "$H/ro"
echo "cli_cp_existing_dst: passed"
