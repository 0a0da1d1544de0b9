/*
 * hoop_ring_get_events flushes the overflow backlog into the CQ once there
 * is room, without waiting: 8-entry CQ, 12 NOPs, reap 8, get_events, the
 * remaining 4 are ready and the overflow flag is clear.
 */
#include "helpers.h"

#include <errno.h>

int main(void)
{
	hoop_ring *ring = t_ring(4, 0);
	CHECK_EQ(hoop_ring_cq_entries(ring), 8);
	for (unsigned b = 0; b < 3; b++) {
		for (unsigned i = 0; i < 4; i++) {
			struct hoop_sqe *sqe = t_sqe(ring);
			hoop_prep_nop(sqe);
			hoop_sqe_set_data(sqe, b * 4 + i);
		}
		CHECK_EQ(hoop_ring_submit(ring), 4);
	}
	CHECK_EQ(hoop_ring_cq_has_overflow(ring), 1);
	CHECK_EQ(hoop_ring_cq_ready(ring), 8);
	hoop_ring_cq_advance(ring, 8);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	CHECK_EQ(hoop_ring_cq_has_overflow(ring), 1); /* not flushed yet */

	uint64_t t0 = t_now_ns();
	CHECK_EQ(hoop_ring_get_events(ring), 0);
	CHECK(t_now_ns() - t0 < 1000000000ull);
	CHECK_EQ(hoop_ring_cq_has_overflow(ring), 0);
	CHECK_EQ(hoop_ring_cq_ready(ring), 4);
	for (unsigned i = 8; i < 12; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		CHECK_EQ(c.user_data, i);
	}
	/* Nothing pending: returns at once. */
	CHECK_EQ(hoop_ring_get_events(ring), 0);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	hoop_ring_destroy(ring);
	return T_PASS;
}
