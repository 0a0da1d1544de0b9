/*
 * Multishot poll: each write to the pipe gives a CQE with POLLIN and
 * HOOP_CQE_F_MORE; after poll_remove the poll ends with a final CQE
 * (-ECANCELED, no MORE) and the remove completes with 0.
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

	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_poll_multishot(sqe, p[0], POLLIN);
	hoop_sqe_set_data(sqe, 7);
	CHECK_EQ(hoop_ring_submit(ring), 1);

	for (int i = 0; i < 5; i++) {
		char b;
		CHECK_EQ(write(p[1], "y", 1), 1);
		struct hoop_cqe c = t_wait_one(ring);
		CHECK_EQ(c.user_data, 7);
		CHECK_EQ(c.res, POLLIN);
		CHECK_EQ(hoop_cqe_has_more(&c), 1);
		CHECK_EQ(read(p[0], &b, 1), 1); /* drain before the next one */
	}
	struct hoop_cqe *cqe;
	struct hoop_timespec ts = {0, 20 * 1000000};
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &ts), -ETIME);

	sqe = t_sqe(ring);
	hoop_prep_poll_remove(sqe, 7);
	hoop_sqe_set_data(sqe, 8);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	int removed = 0, final = 0;
	for (int i = 0; i < 2; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		if (c.user_data == 8) {
			CHECK_EQ(c.res, 0);
			removed++;
		} else {
			CHECK_EQ(c.user_data, 7);
			CHECK_EQ(c.res, -ECANCELED);
			CHECK_EQ(hoop_cqe_has_more(&c), 0);
			final++;
		}
	}
	CHECK_EQ(removed, 1);
	CHECK_EQ(final, 1);

	/* Nothing more arrives after the final CQE, even on new data. */
	CHECK_EQ(write(p[1], "z", 1), 1);
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &ts), -ETIME);

	/* Removing it again: -ENOENT. */
	sqe = t_sqe(ring);
	hoop_prep_poll_remove(sqe, 7);
	hoop_sqe_set_data(sqe, 9);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 9);
	CHECK_EQ(c.res, -ENOENT);

	hoop_ring_destroy(ring);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
