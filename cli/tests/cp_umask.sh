#!/bin/bash
# cli_cp_umask: a new destination gets the source's permission bits less
# the umask, as cp without -p: 666 -> 644 and 777 -> 755 under umask 022,
# /dev/null -> 644; set-user-ID, set-group-ID and sticky bits dropped; other
# umasks too. With --atomic the same. With -p the source's mode exactly.
. "$(dirname "$0")/cp_lib.sh"

for um in 022 077 002 000; do
	for mode in 666 777 600 644 751 4755 2755 1777 444; do
		label="mode $mode, umask $um"
		fresh
		in_both "printf data >src; chmod $mode src"
		(umask "$um" && run_both src dst) || exit 1
		same_in_both 'stat -c %a dst'
		rm -f "$H/dst2"
		(cd "$H" && umask "$um" && "$HOOP" cp --atomic src dst2) ||
			fail "$label: --atomic status"
		expect_eq "$label: --atomic mode" "$(stat -c %a "$H/dst2")" \
			"$(stat -c %a "$C/dst")"
	done
	label="/dev/null, umask $um"
	fresh
	(umask "$um" && run_both /dev/null dst) || exit 1
	same_in_both 'stat -c "%a %s %F" dst'
done
expect_eq "666 under umask 022" "$(cd "$H" && umask 022 && rm -f d &&
	printf x >s && chmod 666 s && "$HOOP" cp s d && stat -c %a d)" 644

label="-p keeps the mode"
for mode in 666 777 4755 1777 600; do
	fresh
	in_both "printf data >src; chmod $mode src; touch -d 2001-02-03T04:05:06 src"
	run_both -p src dst
	same_in_both 'stat -c "%a %Y" dst'
done
echo "cli_cp_umask: passed"
