/*
 * An unknown opcode (HOOP_OP_LAST + 10, and 255) is consumed by the
 * kernel and answered with -EINVAL in its CQE; the ring keeps working.
 */
#include "helpers.h"

#include <errno.h>

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	const uint8_t ops[] = {HOOP_OP_LAST + 10, 255};
	for (unsigned i = 0; i < 2; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		sqe->opcode = ops[i];
		hoop_sqe_set_data(sqe, 100 + i);
		CHECK_EQ(hoop_ring_submit(ring), 1);
		struct hoop_cqe c = t_wait_one(ring);
		CHECK_EQ(c.user_data, 100 + i);
		CHECK_EQ(c.res, -EINVAL);
		CHECK_EQ(hoop_ring_sq_ready(ring), 0);
	}
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 1);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 1);
	CHECK_EQ(c.res, 0);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
