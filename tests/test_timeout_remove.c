/*
 * Removing a pending timeout: the timeout completes with -ECANCELED and the
 * remove with 0. Removing an unknown user_data gives -ENOENT.
 */
#include "helpers.h"

#include <errno.h>

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	struct hoop_timespec ts = {10, 0};
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_timeout(sqe, &ts, 0, 0);
	hoop_sqe_set_data(sqe, 1);
	CHECK_EQ(hoop_ring_submit(ring), 1);

	uint64_t t0 = t_now_ns();
	sqe = t_sqe(ring);
	hoop_prep_timeout_remove(sqe, 1, 0);
	hoop_sqe_set_data(sqe, 2);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	int res[3] = {1, 1, 1}, count[3] = {0};
	for (int i = 0; i < 2; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		CHECK(c.user_data == 1 || c.user_data == 2);
		count[c.user_data]++;
		res[c.user_data] = c.res;
	}
	CHECK_EQ(count[1], 1);
	CHECK_EQ(count[2], 1);
	CHECK_EQ(res[1], -ECANCELED);
	CHECK_EQ(res[2], 0);
	CHECK(t_now_ns() - t0 < 5000000000ull);

	/* Nothing with user_data 1 is left; 99 never existed. */
	for (uint64_t ud = 1; ud <= 99; ud += 98) {
		sqe = t_sqe(ring);
		hoop_prep_timeout_remove(sqe, ud, 0);
		hoop_sqe_set_data(sqe, 3);
		struct hoop_cqe c = t_submit_wait_one(ring);
		CHECK_EQ(c.user_data, 3);
		CHECK_EQ(c.res, -ENOENT);
	}
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	hoop_ring_destroy(ring);
	return T_PASS;
}
