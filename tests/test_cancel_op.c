/*
 * Cancel by opcode: with reads and a poll pending, cancelling READ with ALL
 * cancels the 3 reads (res 3) and leaves the poll, which a second cancel
 * of POLL_ADD then removes (res 0 without ALL).
 */
#include "helpers.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

int main(void)
{
	int fds0 = t_fd_count();
	int p[2];
	CHECK_EQ(pipe(p), 0);
	hoop_ring *ring = t_ring(8, 0);
	static char bufs[3][8];
	for (int i = 0; i < 3; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_read(sqe, p[0], bufs[i], 8, 0);
		hoop_sqe_set_data(sqe, (uint64_t)(1 + i));
	}
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_poll_add(sqe, p[0], POLLIN);
	hoop_sqe_set_data(sqe, 50);
	CHECK_EQ(hoop_ring_submit(ring), 4);

	if (!t_kernel_at_least(6, 6)) {
		/* Cancel by opcode needs 6.6. 6.1 does not refuse it: it
		 * cancels by user_data 0 (nothing here; with ALL: 0). Then
		 * all four by fd. */
		sqe = t_sqe(ring);
		hoop_prep_cancel_op(sqe, HOOP_OP_READ, HOOP_ASYNC_CANCEL_ALL);
		hoop_sqe_set_data(sqe, 100);
		struct hoop_cqe c = t_submit_wait_one(ring);
		CHECK_EQ(c.user_data, 100);
		CHECK_EQ(c.res, 0);
		CHECK_EQ(hoop_ring_cq_ready(ring), 0);
		sqe = t_sqe(ring);
		hoop_prep_cancel_fd(sqe, p[0], HOOP_ASYNC_CANCEL_ALL);
		hoop_sqe_set_data(sqe, 103);
		CHECK_EQ(hoop_ring_submit(ring), 1);
		int n = 0, fd_res = -1;
		for (int i = 0; i < 5; i++) {
			c = t_wait_one(ring);
			if (c.user_data == 103) {
				fd_res = c.res;
				continue;
			}
			CHECK((c.user_data >= 1 && c.user_data <= 3) ||
			      c.user_data == 50);
			CHECK_EQ(c.res, -ECANCELED);
			n++;
		}
		CHECK_EQ(fd_res, 4);
		CHECK_EQ(n, 4);
		hoop_ring_destroy(ring);
		close(p[0]);
		close(p[1]);
		CHECK_EQ(t_fd_count(), fds0);
		SKIP("cancel by opcode needs 6.6 (this kernel cancelled "
		     "nothing, checked)");
	}
	sqe = t_sqe(ring);
	hoop_prep_cancel_op(sqe, HOOP_OP_READ, HOOP_ASYNC_CANCEL_ALL);
	hoop_sqe_set_data(sqe, 100);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	int reads = 0, cancel_res = -1;
	for (int i = 0; i < 4; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		if (c.user_data == 100) {
			cancel_res = c.res;
		} else {
			CHECK(c.user_data >= 1 && c.user_data <= 3);
			CHECK_EQ(c.res, -ECANCELED);
			reads++;
		}
	}
	CHECK_EQ(cancel_res, 3);
	CHECK_EQ(reads, 3);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);

	sqe = t_sqe(ring);
	hoop_prep_cancel_op(sqe, HOOP_OP_POLL_ADD, 0);
	hoop_sqe_set_data(sqe, 101);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	int polls = 0;
	cancel_res = -1;
	for (int i = 0; i < 2; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		if (c.user_data == 101) {
			cancel_res = c.res;
		} else {
			CHECK_EQ(c.user_data, 50);
			CHECK_EQ(c.res, -ECANCELED);
			polls++;
		}
	}
	CHECK_EQ(cancel_res, 0);
	CHECK_EQ(polls, 1);

	/* No reads are left to cancel. */
	sqe = t_sqe(ring);
	hoop_prep_cancel_op(sqe, HOOP_OP_READ, 0);
	hoop_sqe_set_data(sqe, 102);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 102);
	CHECK_EQ(c.res, -ENOENT);

	hoop_ring_destroy(ring);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
