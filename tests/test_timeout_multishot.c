/*
 * HOOP_TIMEOUT_MULTISHOT: with a count of 3 the timer fires three times,
 * each -ETIME, the first two with HOOP_CQE_F_MORE and the last without.
 * With count 0 it repeats until removed; the final CQE (-ECANCELED) has no
 * MORE flag.
 */
#include "helpers.h"

#include <errno.h>

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	struct hoop_timespec ts = {0, 5 * 1000000};
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_timeout(sqe, &ts, 3, HOOP_TIMEOUT_MULTISHOT);
	hoop_sqe_set_data(sqe, 1);
	uint64_t t0 = t_now_ns();
	CHECK_EQ(hoop_ring_submit(ring), 1);
	if (!t_kernel_at_least(6, 4)) {
		struct hoop_cqe c = t_wait_one(ring);
		CHECK_EQ(c.user_data, 1);
		CHECK_EQ(c.res, -EINVAL);
		CHECK_EQ(c.flags & HOOP_CQE_F_MORE, 0);
		hoop_ring_destroy(ring);
		SKIP("multishot timeouts need 6.4 (refused with -EINVAL, "
		     "checked)");
	}
	for (int i = 0; i < 3; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		CHECK_EQ(c.user_data, 1);
		CHECK_EQ(c.res, -ETIME);
		CHECK_EQ(hoop_cqe_has_more(&c), i < 2 ? 1 : 0);
		CHECK_EQ(c.flags & HOOP_CQE_F_MORE, i < 2 ? HOOP_CQE_F_MORE : 0);
	}
	CHECK(t_now_ns() - t0 >= 3 * 4 * 1000000ull);
	struct hoop_cqe *cqe = NULL;
	struct hoop_timespec wait = {0, 30 * 1000000};
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &wait), -ETIME);

	/* Unbounded: runs until removed. */
	sqe = t_sqe(ring);
	hoop_prep_timeout(sqe, &ts, 0, HOOP_TIMEOUT_MULTISHOT);
	hoop_sqe_set_data(sqe, 2);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	for (int i = 0; i < 4; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		CHECK_EQ(c.user_data, 2);
		CHECK_EQ(c.res, -ETIME);
		CHECK_EQ(hoop_cqe_has_more(&c), 1);
	}
	sqe = t_sqe(ring);
	hoop_prep_timeout_remove(sqe, 2, 0);
	hoop_sqe_set_data(sqe, 3);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	int removed = 0, final = 0;
	while (!removed || !final) {
		struct hoop_cqe c = t_wait_one(ring);
		if (c.user_data == 3) {
			CHECK_EQ(c.res, 0);
			removed++;
		} else {
			CHECK_EQ(c.user_data, 2);
			if (hoop_cqe_has_more(&c)) {
				/* a shot that fired before the remove */
				CHECK_EQ(c.res, -ETIME);
				CHECK(!final);
			} else {
				CHECK_EQ(c.res, -ECANCELED);
				final++;
			}
		}
	}
	CHECK_EQ(removed, 1);
	CHECK_EQ(final, 1);
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &wait), -ETIME);
	hoop_ring_destroy(ring);
	return T_PASS;
}
