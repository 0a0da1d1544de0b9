#!/bin/bash
# cli_cat_many: `hoop cat` of many small files (read a batch at a time with
# hoop_read_files) against coreutils cat: 2,000 small files of varied
# sizes (empty ones, one of exactly 64 KiB, one just above), with a missing
# file, a directory, a larger file, a pipe and - among them; the output,
# the messages and the exit status are cat's.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
mkdir d sub
for i in $(seq 0 1999); do
	case $((i % 7)) in
	0) : >"d/f$i" ;;
	*) head -c $(((i * 37) % 5000 + 1)) /dev/urandom >"d/f$i" ;;
	esac
done
head -c 65536 /dev/urandom >d/f100
head -c 65537 /dev/urandom >d/f200
head -c 3000001 /dev/urandom >big

names=()
for i in $(seq 0 1999); do
	names+=("d/f$i")
	[ "$i" = 500 ] && names+=(nosuch)
	[ "$i" = 1200 ] && names+=(sub)
	[ "$i" = 1500 ] && names+=(big)
done
# cat's messages say "cat: ", hoop's "hoop cat: ".
check() { # WHAT: compare hoop's and cat's output, messages and status
	local want_rc=0 rc=0
	cat "${names[@]}" >want 2>want_err || want_rc=$?
	"$HOOP" cat "${names[@]}" >out 2>err || rc=$?
	expect_eq "$1: status" "$rc" "$want_rc"
	cmp want out || fail "$1: contents differ from cat's"
	sed 's/^cat: /hoop cat: /' want_err | cmp - err ||
		fail "$1: messages differ: $(cat err)"
}
check "2,000 files, a missing one, a directory, a big one"
expect_eq "messages" "$(cat err)" \
	"hoop cat: nosuch: No such file or directory
hoop cat: sub: Is a directory"

# The same through the thread-pool backend.
HOOP_BACKEND=threads check "thread-pool backend"

# Only good small files: status 0.
names=(d/f*)
check "small files only"

# Standard input amid files: read where it stands, in order.
printf 'from stdin\n' | "$HOOP" cat d/f1 d/f2 - d/f3 d/f4 >out ||
	fail "with -: status $?"
{ cat d/f1 d/f2; printf 'from stdin\n'; cat d/f3 d/f4; } | cmp - out ||
	fail "with -: contents"

# A pipe (FIFO) amid files.
mkfifo fifo
(printf 'through a fifo\n' >fifo &)
"$HOOP" cat d/f1 d/f2 fifo d/f3 d/f4 >out || fail "fifo: status $?"
{ cat d/f1 d/f2; printf 'through a fifo\n'; cat d/f3 d/f4; } | cmp - out ||
	fail "fifo: contents"

# Unreadable files (EACCES), where permissions apply.
if [ "$(id -u)" != 0 ]; then
	cp d/f1 noread && chmod 000 noread
	names=(d/f1 noread d/f2 d/f3)
	check "unreadable file"
fi

# A closed pipe ends it like cat (SIGPIPE) or as a write error.
"$HOOP" cat d/f* d/f* | head -c 100 >/dev/null
rc=${PIPESTATUS[0]}
[ "$rc" = 141 ] || [ "$rc" = 1 ] || fail "closed pipe: status $rc"
echo "cli_cat_many: passed"
