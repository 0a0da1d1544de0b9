#!/bin/bash
# cli_cp_progress: on a terminal (a pty from script(1)) `hoop cp` draws its
# progress line for a copy that takes more than a second, and erases it at
# the end; a quick copy draws nothing, nor does -q; --progress draws it
# also when stderr is not a terminal. The slow copies read a FIFO that this
# test feeds over about 1.6 s.
. "$(dirname "$0")/lib.sh"
HOOP=$(realpath "$HOOP")
cd "$T" || exit 1
command -v script >/dev/null || skip "no script(1) to give hoop a terminal"
mkfifo fifo
printf 'small' >small

# feed SECONDS_TENTHS: write 64 KiB to the FIFO every 0.2 s, in the background.
feed() {
	(
		exec 3>fifo
		for _ in $(seq "$1"); do
			head -c 65536 /dev/zero >&3
			sleep 0.2
		done
	) &
	feeder=$!
}

feed 8
script -qec "$HOOP cp fifo slow" /dev/null >tty.out || fail "slow copy on a terminal: status"
wait "$feeder"
grep -q 'fifo .*B/s' tty.out || fail "slow copy on a terminal: no progress line: $(cat -v tty.out)"
grep -q $'\r\033\\[K' tty.out || fail "slow copy on a terminal: line not erased"
expect_eq "slow copy: size" "$(stat -c %s slow)" $((8 * 65536))

script -qec "$HOOP cp small quick" /dev/null >tty.out || fail "quick copy: status"
expect_eq "quick copy on a terminal: output" "$(cat -v tty.out)" ""

feed 8
script -qec "$HOOP cp -q fifo slow2" /dev/null >tty.out || fail "-q copy: status"
wait "$feeder"
expect_eq "-q on a terminal: output" "$(cat -v tty.out)" ""

feed 4
"$HOOP" cp --progress fifo slow3 2>err.out || fail "--progress: status"
wait "$feeder"
grep -q 'fifo .*B/s' err.out || fail "--progress without a terminal: no line: $(cat -v err.out)"
echo "cli_cp_progress: passed"
