/* One NOP: submitted, completed with res 0, user_data returned, no fd leak. */
#include "helpers.h"

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	CHECK_EQ(t_fd_count(), fds0 + 1);
	CHECK_EQ(hoop_ring_sq_entries(ring), 8);
	CHECK_EQ(hoop_ring_cq_entries(ring), 16);
	CHECK_EQ(hoop_ring_sq_space_left(ring), 8);
	CHECK_EQ(hoop_ring_sq_ready(ring), 0);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);

	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 0x1234abcdULL);
	CHECK_EQ(hoop_ring_sq_ready(ring), 1);
	CHECK_EQ(hoop_ring_sq_space_left(ring), 7);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	CHECK_EQ(hoop_ring_sq_ready(ring), 0);

	struct hoop_cqe cqe = t_wait_one(ring);
	CHECK_EQ(cqe.user_data, 0x1234abcdULL);
	CHECK_EQ(cqe.res, 0);
	CHECK_EQ(cqe.flags, 0);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);

	/* Submitting nothing is not an error. */
	CHECK_EQ(hoop_ring_submit(ring), 0);

	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
