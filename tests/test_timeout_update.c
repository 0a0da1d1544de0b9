/*
 * Updating a pending 10 s timeout to 10 ms: the update completes with 0 and
 * the timeout with -ETIME soon after. Updating an unknown one: -ENOENT.
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

	struct hoop_timespec shorter = {0, 10 * 1000000};
	uint64_t t0 = t_now_ns();
	sqe = t_sqe(ring);
	hoop_prep_timeout_update(sqe, &shorter, 1, 0);
	hoop_sqe_set_data(sqe, 2);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	int res[3] = {1, 1, 1}, count[3] = {0};
	for (int i = 0; i < 2; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		CHECK(c.user_data == 1 || c.user_data == 2);
		count[c.user_data]++;
		res[c.user_data] = c.res;
	}
	uint64_t elapsed = t_now_ns() - t0;
	CHECK_EQ(count[1], 1);
	CHECK_EQ(count[2], 1);
	CHECK_EQ(res[1], -ETIME);
	CHECK_EQ(res[2], 0);
	CHECK(elapsed >= 8 * 1000000ull);
	CHECK(elapsed < 5000000000ull); /* far less than the original 10 s */

	sqe = t_sqe(ring);
	hoop_prep_timeout_update(sqe, &shorter, 12345, 0);
	hoop_sqe_set_data(sqe, 3);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 3);
	CHECK_EQ(c.res, -ENOENT);
	hoop_ring_destroy(ring);
	return T_PASS;
}
