/*
 * A bad SQE in the middle of a batch (RELIABILITY.md row 11): only its
 * owner sees the error and every other SQE of the batch is executed.
 * Without SUBMIT_ALL the kernel stops at the bad SQE, so hoop's submit
 * reports fewer than were queued and the rest goes in on the next submit;
 * with SUBMIT_ALL one submit takes them all.
 */
#include "helpers.h"

#include <errno.h>

static void batch(hoop_ring *ring, int submit_all)
{
	for (int i = 0; i < 5; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		if (i == 2)
			sqe->opcode = HOOP_OP_LAST + 10;
		hoop_sqe_set_data(sqe, (uint64_t)(i + 1));
	}
	int r = hoop_ring_submit(ring);
	if (submit_all) {
		CHECK_EQ(r, 5);
	} else {
		/* The two before it and the bad one itself are consumed. */
		CHECK_EQ(r, 3);
		CHECK_EQ(hoop_ring_sq_ready(ring), 2);
		CHECK_EQ(hoop_ring_submit(ring), 2);
	}
	CHECK_EQ(hoop_ring_sq_ready(ring), 0);
	/* Each exactly once; in any order (6.1 posts the bad SQE's error at
	 * once and the NOPs' completions at the end of the submit). */
	unsigned seen = 0;
	for (int i = 0; i < 5; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		CHECK(c.user_data >= 1 && c.user_data <= 5);
		CHECK_EQ(seen & (1u << c.user_data), 0);
		seen |= 1u << c.user_data;
		CHECK_EQ(c.res, c.user_data == 3 ? -EINVAL : 0);
	}
	CHECK_EQ(seen, 0x3e);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
}

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	batch(ring, 0);
	batch(ring, 0);
	hoop_ring_destroy(ring);
	ring = t_ring(8, HOOP_SETUP_SUBMIT_ALL);
	batch(ring, 1);
	hoop_ring_destroy(ring);
	return T_PASS;
}
