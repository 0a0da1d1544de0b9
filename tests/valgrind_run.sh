#!/bin/sh
# tests/valgrind_run.sh - run the single-owner ring tests under valgrind
# memcheck (CTest test valgrind_ring, release build only).
#
#   valgrind_run.sh TEST_BINARY_DIR
#
# Which tests: those that use a hoop_ring from one thread (bad_*, cq_*,
# fs_*, link_*, nop_*, poll_*, prep_*, reg_*, setup_*, timeout_*, net_*,
# cancel_*, probe, eventfd). Not the engine's: valgrind runs one thread at
# a time and does not let another run while one blocks in io_uring_enter,
# so a test whose wait is ended by another thread or a signal hangs
# (engine_*, and cq_eintr, which waits for SIGALRM; cq_wait_no_iowait
# samples the machine while another thread waits). memcheck cannot see
# the kernel fill a buffer asynchronously, so definedness checks are off;
# invalid reads and writes, bad frees and definite leaks are errors.
# Exits 0 when every test passed or skipped, 1 otherwise, 77 without
# valgrind.
set -u
dir=$1
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed"; exit 77; }
fail=0 n=0
cd "$dir" || exit 1
for t in test_bad_* test_cq_* test_fs_* test_link_* test_nop_* test_poll_* \
	test_prep_* test_reg_* test_setup_* test_timeout_* test_net_* \
	test_cancel_* test_probe test_eventfd; do
	[ -x "$t" ] || continue
	[ "$t" = test_cq_eintr ] && continue
	# Samples /proc/stat while another thread waits in the kernel, which
	# valgrind's one-thread-at-a-time scheduling does not let it do.
	[ "$t" = test_cq_wait_no_iowait ] && continue
	# Waits with IORING_ENTER_EXT_ARG_REG, whose argument is an offset
	# into the registered region; valgrind reads it as a pointer and
	# reports it unaddressable.
	# (test_reg_region_kernel waits the same way, on a region the
	# kernel allocated.)
	[ "$t" = test_reg_wait_region ] && continue
	[ "$t" = test_reg_region_kernel ] && continue
	n=$((n + 1))
	timeout -s KILL 120 valgrind -q --error-exitcode=99 \
		--undef-value-errors=no --leak-check=full \
		--errors-for-leak-kinds=definite "./$t" >"$t.valgrind.log" 2>&1
	rc=$?
	case $rc in
	0 | 77) ;;
	*) echo "FAIL $t (exit $rc; 99 = memcheck error, 137 = hung):"
	   tail -30 "$t.valgrind.log"; fail=1 ;;
	esac
done
echo "valgrind memcheck: $n ring tests, $([ $fail = 0 ] && echo all clean || echo failures above)"
exit $fail
