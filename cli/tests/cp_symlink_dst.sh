#!/bin/bash
# cli_cp_symlink_dst: a destination that is a symlink is written through, as
# cp does: the link stays a link and its target gets the data (the target's
# inode and mode kept). A dangling symlink is refused, with cp's message.
# With --atomic the target is replaced and the link still stays a link.
. "$(dirname "$0")/cp_lib.sh"

label="symlink to an existing file"
fresh
in_both 'printf "new data\n" >src; printf "old\n" >target; chmod 640 target;
	ln -s target link; stat -c %i target >ino'
run_both src link
same_in_both 'stat -c "%F %N" link'
same_in_both 'cat target; stat -c %a target'
same_in_both '[ "$(stat -c %i target)" = "$(cat ino)" ] && echo inode kept'
expect_eq "$label: through the link" "$(cat "$H/target")" "new data"

label="symlink to a file in another directory"
fresh
in_both 'mkdir d; printf "abc" >src; ln -s d/t link'
run_both src link
same_in_both 'stat -c "%F" link; cat d/t; stat -c %a d/t'

label="dangling symlink"
fresh
in_both 'printf "x" >src; ln -s nowhere link'
run_both src link
same_in_both 'stat -c "%F %N" link; ls'

label="--atomic through a symlink"
fresh
in_both 'printf "new\n" >src; printf "old\n" >target; chmod 600 target; ln -s target link'
(cd "$H" && "$HOOP" cp --atomic src link) || fail "$label: status"
expect_eq "$label: link" "$(stat -c %F "$H/link")" "symbolic link"
expect_eq "$label: target" "$(cat "$H/target")" "new"
expect_eq "$label: mode kept" "$(stat -c %a "$H/target")" 600
expect_eq "$label: no temporary" "$(ls -A "$H" | grep -c hoop-tmp)" 0
echo "cli_cp_symlink_dst: passed"
