#!/bin/bash
# cli_cat: `hoop cat` against cat: several files, standard input (a pipe
# and a redirected file), - as an operand, --direct, small chunks; a
# missing file and a directory are reported like cat and the rest is still
# printed (exit 1); a closed pipe ends it like cat (SIGPIPE).
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
head -c 3000001 /dev/urandom >a
: >empty
printf 'tail\n' >b
head -c $((8 << 20)) /dev/urandom >c

"$HOOP" cat a empty b c >out || fail "cat of three files: status $?"
cat a empty b c | cmp - out || fail "cat of three files: contents"
"$HOOP" cat --direct --depth 2 --chunk 4K a b >out || fail "cat --direct"
cat a b | cmp - out || fail "cat --direct: contents"
cat c | "$HOOP" cat >out || fail "cat of a pipe"
cmp c out || fail "cat of a pipe: contents"
"$HOOP" cat <a >out || fail "cat of redirected stdin"
cmp a out || fail "cat of redirected stdin: contents"
printf 'middle' | "$HOOP" cat b - b >out || fail "cat with -"
printf 'tail\nmiddletail\n' | cmp - out || fail "cat with -: contents"

rc=0
"$HOOP" cat b nosuch . b >out 2>"$T/err" || rc=$?
expect_eq "missing file: status" "$rc" 1
printf 'tail\ntail\n' | cmp - out || fail "missing file: the rest was not printed"
expect_eq "missing file: messages" "$(cat "$T/err")" \
	"hoop cat: nosuch: No such file or directory
hoop cat: .: Is a directory"

"$HOOP" cat c c c | head -c 100 >/dev/null
rc=${PIPESTATUS[0]}
[ "$rc" = 141 ] || [ "$rc" = 1 ] || fail "closed pipe: status $rc"
echo "cli_cat: passed"
