/* A relative 10 ms timeout completes with -ETIME, not before ~8 ms. */
#include "helpers.h"

#include <errno.h>

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	for (int i = 0; i < 3; i++) {
		struct hoop_timespec ts = {0, 10 * 1000000};
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_timeout(sqe, &ts, 0, 0);
		hoop_sqe_set_data(sqe, 77);
		uint64_t t0 = t_now_ns();
		CHECK_EQ(hoop_ring_submit(ring), 1);
		struct hoop_cqe c = t_wait_one(ring);
		uint64_t elapsed = t_now_ns() - t0;
		CHECK_EQ(c.user_data, 77);
		CHECK_EQ(c.res, -ETIME);
		CHECK_EQ(c.flags, 0);
		CHECK(elapsed >= 8 * 1000000ull);
		CHECK(elapsed < 3000000000ull);
	}
	/*
	 * With ETIME_SUCCESS an expiry still reports -ETIME but does not count
	 * as a failure: the soft-linked NOP after it runs (res 0).
	 */
	struct hoop_timespec ts = {0, 1000000};
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_timeout(sqe, &ts, 0, HOOP_TIMEOUT_ETIME_SUCCESS);
	hoop_sqe_set_data(sqe, 78);
	hoop_sqe_set_flags(sqe, HOOP_SQE_IO_LINK);
	sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 79);
	CHECK_EQ(hoop_ring_submit(ring), 2);
	struct hoop_cqe c = t_wait_one(ring);
	CHECK_EQ(c.user_data, 78);
	CHECK_EQ(c.res, -ETIME);
	c = t_wait_one(ring);
	CHECK_EQ(c.user_data, 79);
	CHECK_EQ(c.res, 0);
	hoop_ring_destroy(ring);
	return T_PASS;
}
