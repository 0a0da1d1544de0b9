/*
 * Batches of NOPs: 32 at once, then the whole SQ at once. Each batch is
 * submitted in one call, all complete, in submission order.
 */
#include "helpers.h"

static void batch(hoop_ring *ring, unsigned n, uint64_t base)
{
	for (unsigned i = 0; i < n; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, base + i);
	}
	CHECK_EQ(hoop_ring_sq_ready(ring), n);
	CHECK_EQ(hoop_ring_submit(ring), n);
	struct hoop_cqe *cqe = NULL;
	CHECK_EQ(hoop_ring_wait_cqe_nr(ring, &cqe, n), 0);
	CHECK(cqe != NULL);
	CHECK_EQ(hoop_ring_cq_ready(ring), n);
	/* NOPs complete inline, so the CQ holds them in submission order. */
	for (unsigned i = 0; i < n; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		CHECK_EQ(c.user_data, base + i);
		CHECK_EQ(c.res, 0);
	}
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
}

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring *ring = t_ring(64, 0);
	CHECK_EQ(hoop_ring_sq_entries(ring), 64);
	batch(ring, 32, 1000);
	batch(ring, 64, 2000);
	batch(ring, 64, 3000);
	batch(ring, 1, 4000);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
