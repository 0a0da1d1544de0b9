/*
 * HOOP_SETUP_R_DISABLED: the ring exists but refuses io_uring_enter with
 * -EBADFD until hoop_ring_enable; afterwards the prepared NOP goes through.
 * Enabling twice is refused (-EBADFD).
 */
#include "helpers.h"

#include <errno.h>

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring *ring = t_ring(8, HOOP_SETUP_R_DISABLED);
	CHECK(hoop_ring_setup_flags(ring) & HOOP_SETUP_R_DISABLED);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 1);
	CHECK_EQ(hoop_ring_submit(ring), -EBADFD);

	CHECK_EQ(hoop_ring_enable(ring), 0);
	CHECK_EQ(hoop_ring_enable(ring), -EBADFD);
	/* The SQE published by the refused submit is still in the SQ. */
	CHECK_EQ(hoop_ring_sq_ready(ring), 1);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 1);
	CHECK_EQ(c.res, 0);
	CHECK_EQ(hoop_ring_sq_ready(ring), 0);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
