/*
 * A cancel that comes after its target completed finds nothing: -ENOENT,
 * and the target's single completion is unaffected. Same for a user_data
 * that never existed.
 */
#include "helpers.h"

#include <errno.h>

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 1);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 1);
	CHECK_EQ(c.res, 0);

	for (uint64_t target = 1; target <= 2; target++) {
		sqe = t_sqe(ring);
		hoop_prep_cancel(sqe, target == 1 ? 1 : 0xdeadbeef, 0);
		hoop_sqe_set_data(sqe, 10 + target);
		c = t_submit_wait_one(ring);
		CHECK_EQ(c.user_data, 10 + target);
		CHECK_EQ(c.res, -ENOENT);
	}
	/* In the same batch, the NOP completes before the cancel runs. */
	sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 3);
	sqe = t_sqe(ring);
	hoop_prep_cancel(sqe, 3, 0);
	hoop_sqe_set_data(sqe, 4);
	CHECK_EQ(hoop_ring_submit(ring), 2);
	c = t_wait_one(ring);
	CHECK_EQ(c.user_data, 3);
	CHECK_EQ(c.res, 0);
	c = t_wait_one(ring);
	CHECK_EQ(c.user_data, 4);
	CHECK_EQ(c.res, -ENOENT);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	hoop_ring_destroy(ring);
	return T_PASS;
}
