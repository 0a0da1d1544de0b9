/*
 * hoop_ring_copy_cqes: copies and consumes in one step, submits what is
 * prepared, waits for wait_nr, returns at most count, rejects
 * wait_nr > count (-EINVAL) and a NULL array (-EFAULT).
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	struct hoop_cqe out[8];
	CHECK_EQ(hoop_ring_copy_cqes(ring, out, 8, 0), 0);
	CHECK_EQ(hoop_ring_copy_cqes(ring, out, 2, 3), -EINVAL);
	CHECK_EQ(hoop_ring_copy_cqes(ring, NULL, 2, 0), -EFAULT);
	CHECK_EQ(hoop_ring_copy_cqes(ring, NULL, 0, 0), 0);

	/* Prepared, not submitted: copy_cqes submits and waits. */
	for (int i = 0; i < 4; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, (uint64_t)(1 + i));
	}
	memset(out, 0xff, sizeof(out));
	CHECK_EQ(hoop_ring_copy_cqes(ring, out, 8, 4), 4);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(out[i].user_data, (uint64_t)(1 + i));
		CHECK_EQ(out[i].res, 0);
		CHECK_EQ(out[i].flags, 0);
	}
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	CHECK_EQ(hoop_ring_sq_ready(ring), 0);

	/* count smaller than ready: the rest stays for the next call. */
	for (int i = 0; i < 5; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, (uint64_t)(10 + i));
	}
	CHECK_EQ(hoop_ring_copy_cqes(ring, out, 3, 0), 3); /* submits too */
	CHECK_EQ(out[0].user_data, 10);
	CHECK_EQ(out[2].user_data, 12);
	CHECK_EQ(hoop_ring_cq_ready(ring), 2);
	CHECK_EQ(hoop_ring_copy_cqes(ring, out, 8, 0), 2);
	CHECK_EQ(out[0].user_data, 13);
	CHECK_EQ(out[1].user_data, 14);

	/* Waiting for two timers. */
	struct hoop_timespec ts = {0, 10 * 1000000};
	for (int i = 0; i < 2; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_timeout(sqe, &ts, 0, 0);
		hoop_sqe_set_data(sqe, (uint64_t)(20 + i));
	}
	uint64_t t0 = t_now_ns();
	CHECK_EQ(hoop_ring_copy_cqes(ring, out, 2, 2), 2);
	CHECK(t_now_ns() - t0 >= 8 * 1000000ull);
	CHECK_EQ(out[0].res, -ETIME);
	CHECK_EQ(out[1].res, -ETIME);
	CHECK_EQ(out[0].user_data + out[1].user_data, 41);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	hoop_ring_destroy(ring);
	return T_PASS;
}
