#!/bin/bash
# cli_cp_recursive: `hoop cp -r` against `cp -r` on the same trees: nested
# directories (modes 555, 700, 750; made with the source's bits less the
# umask), 300 regular files of many sizes around the many-files pipeline's
# 128 KiB buffer and a large one, names with spaces, relative, absolute and
# dangling symlinks (copied as symlinks), a FIFO and a socket (recreated),
# a device node when root. Then: a copy into an existing directory, a merge
# into an existing tree (existing files keep mode and inode), a symlink
# operand, several operands, a directory into itself, -r onto a file, -p
# (modes and times), and, as uid 65534, an unreadable file and directory
# (message, exit 1, the rest copied).
. "$(dirname "$0")/cp_lib.sh"

# listing: every entry of the current directory: path, type, mode, size,
# link target; then the contents of the regular files.
listing() {
	# (a directory's size depends on the order its entries were made in)
	{
		find . -mindepth 1 -type d -printf '%P|%y|%m\n'
		find . -mindepth 1 ! -type d -printf '%P|%y|%m|%s|%l\n'
	} | LC_ALL=C sort
	find . -type f -print0 | LC_ALL=C sort -z | xargs -0r md5sum
}
# sorted messages: the order of messages from files in flight at once may
# differ from cp's walk order.
run_both_sorted() {
	crc=0
	(cd "$C" && cp "$@") 2>"$T/c.err" || crc=$?
	hrc=0
	(cd "$H" && "$HOOP" cp "$@") 2>"$T/h.err" || hrc=$?
	expect_eq "$label: exit status (hoop: $(cat "$T/h.err"))" "$hrc" "$crc"
	expect_eq "$label: messages" "$(hoop_as_cp <"$T/h.err" | sort)" \
		"$(sort "$T/c.err")"
}

# The same data in both trees: slices of one random file.
head -c 3000000 /dev/urandom >"$T/rand"
make_tree() {
	mkdir -p tree/a/b/c "tree/with space" tree/ro tree/private tree/g
	for s in 0 1 100 4095 4096 4097 65536 131071 131072 131073 300000; do
		head -c "$s" "$T/rand" >"tree/a/s$s"
	done
	cp "$T/rand" tree/a/b/big
	for i in $(seq 300); do printf 'file %d\n' "$i" >"tree/a/b/c/f$i"; done
	printf 'spaced' >"tree/with space/a file"
	printf 'x' >tree/ro/inside
	printf 'y' >tree/private/p
	chmod 666 tree/a/s1
	chmod 777 tree/a/s100
	chmod 600 tree/a/s4096
	chmod 4755 tree/a/s4097
	chmod 555 tree/ro
	chmod 700 tree/private
	chmod 750 tree/g
	ln -s s1 tree/a/rel
	ln -s /etc/hostname tree/a/abs
	ln -s nowhere tree/a/dangling
	ln -s b tree/a/dirlink
	mkfifo tree/fifo
	python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("tree/sock")' 2>/dev/null || true
	if [ "$(id -u)" = 0 ]; then mknod tree/null c 1 3; fi
}

label="cp -r of a tree"
fresh
in_both make_tree
run_both -r tree copy
same_in_both 'cd copy && listing'
expect_eq "$label: files" "$(find "$H/copy" -type f | wc -l)" 315

label="cp -r into an existing directory"
fresh
in_both 'make_tree; mkdir dest'
run_both -r tree dest
same_in_both 'cd dest && listing'

label="cp -R onto an existing tree"
fresh
in_both 'make_tree; mkdir -p old/a; printf "previous" >old/a/s100; chmod 600 old/a/s100;
	stat -c %i old/a/s100 >ino; cp -r tree/a/b old/a/b'
run_both -R tree/. old
same_in_both 'cd old && listing'
same_in_both '[ "$(stat -c %i old/a/s100)" = "$(cat ino)" ] && echo inode kept'

label="cp -r of a symlink and a file, several operands"
fresh
in_both 'make_tree; mkdir d'
run_both -r tree/a/rel tree/a/dangling tree/a/s100 tree/g d
same_in_both 'cd d && listing'

# Status and message as cp; cp then copies part of the tree anyway (all
# but the directories on the way to the destination), hoop copies nothing.
label="cp -r of a directory into itself"
fresh
in_both make_tree
run_both -r tree tree/a/inside
[ ! -e "$H/tree/a/inside" ] || fail "$label: hoop made the destination"

label="cp -r of a directory onto a file"
fresh
in_both 'make_tree; printf f >file'
run_both -r tree file
same_in_both 'cat file'

label="cp -rp"
fresh
in_both 'make_tree; touch -d 2001-02-03 tree/a/s1 tree/a tree/g; touch -h -d 2002-01-01 tree/a/rel'
run_both -rp tree copy
same_in_both 'cd copy && listing && find . -printf "%P %m %TY-%Tm-%Td %u %g\n" | LC_ALL=C sort'

label="cp -a"
fresh
in_both 'make_tree; touch -d 2001-02-03 tree/a/s1'
run_both -a tree copy
same_in_both 'cd copy && find . -printf "%P %m %TY-%Tm-%Td %y %l\n" | LC_ALL=C sort'

label="cp -r as a user who cannot read everything"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	fresh
	in_both 'make_tree; mkdir tree/locked; printf s >tree/secret; chmod 000 tree/locked tree/secret'
	chmod 777 "$T" "$C" "$H"
	# The tree must be readable by uid 65534 except for what is locked.
	chmod -R a+rX "$C/tree" "$H/tree" 2>/dev/null
	chmod 000 "$C/tree/locked" "$H/tree/locked" "$C/tree/secret" "$H/tree/secret"
	crc=0
	(cd "$C" && setpriv --reuid=65534 --regid=65534 --clear-groups cp -r tree copy) \
		2>"$T/c.err" || crc=$?
	hrc=0
	(cd "$H" && setpriv --reuid=65534 --regid=65534 --clear-groups "$HOOP" cp -r tree copy) \
		2>"$T/h.err" || hrc=$?
	expect_eq "$label: status ($(cat "$T/h.err"))" "$hrc" "$crc"
	expect_eq "$label: status" "$hrc" 1
	expect_eq "$label: messages" "$(hoop_as_cp <"$T/h.err" | sort)" \
		"$(sort "$T/c.err")"
	same_in_both 'cd copy && listing'
fi
echo "cli_cp_recursive: passed"
