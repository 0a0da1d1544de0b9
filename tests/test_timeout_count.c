/*
 * A count-based timeout (count 3, 10 s timer) completes with 0 once three
 * other completions have been posted, long before its timer.
 */
#include "helpers.h"

#include <errno.h>

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	struct hoop_timespec ts = {10, 0};
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_timeout(sqe, &ts, 3, 0);
	hoop_sqe_set_data(sqe, 100);
	CHECK_EQ(hoop_ring_submit(ring), 1);

	/* Two completions are not enough. */
	for (int i = 1; i <= 2; i++) {
		sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, (uint64_t)i);
		struct hoop_cqe c = t_submit_wait_one(ring);
		CHECK_EQ(c.user_data, (uint64_t)i);
	}
	struct hoop_cqe *cqe = NULL;
	CHECK_EQ(hoop_ring_peek_cqe(ring, &cqe), -EAGAIN);

	uint64_t t0 = t_now_ns();
	sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 3);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	int seen3 = 0, seen100 = 0;
	for (int i = 0; i < 2; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		if (c.user_data == 3) {
			seen3++;
			CHECK_EQ(c.res, 0);
		} else {
			CHECK_EQ(c.user_data, 100);
			CHECK_EQ(c.res, 0);
			seen100++;
		}
	}
	CHECK_EQ(seen3, 1);
	CHECK_EQ(seen100, 1);
	CHECK(t_now_ns() - t0 < 5000000000ull);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	hoop_ring_destroy(ring);
	return T_PASS;
}
