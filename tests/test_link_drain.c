/*
 * HOOP_SQE_IO_DRAIN: a drained NOP submitted after a 10 ms timeout starts
 * only once the timeout completed, so its CQE comes second although a NOP
 * would otherwise finish at once. A NOP without DRAIN passes the timer.
 */
#include "helpers.h"

#include <errno.h>

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	struct hoop_timespec ts = {0, 10 * 1000000};
	for (int drain = 0; drain <= 1; drain++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_timeout(sqe, &ts, 0, 0);
		hoop_sqe_set_data(sqe, 1);
		sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, 2);
		if (drain)
			hoop_sqe_set_flags(sqe, HOOP_SQE_IO_DRAIN);
		uint64_t t0 = t_now_ns();
		CHECK_EQ(hoop_ring_submit(ring), 2);
		struct hoop_cqe a = t_wait_one(ring);
		struct hoop_cqe b = t_wait_one(ring);
		if (drain) {
			CHECK_EQ(a.user_data, 1);
			CHECK_EQ(a.res, -ETIME);
			CHECK_EQ(b.user_data, 2);
			CHECK_EQ(b.res, 0);
			CHECK(t_now_ns() - t0 >= 8 * 1000000ull);
		} else {
			CHECK_EQ(a.user_data, 2);
			CHECK_EQ(a.res, 0);
			CHECK_EQ(b.user_data, 1);
			CHECK_EQ(b.res, -ETIME);
		}
	}
	hoop_ring_destroy(ring);
	return T_PASS;
}
