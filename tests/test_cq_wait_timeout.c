/*
 * hoop_ring_wait_cqe_timeout: -ETIME (and no CQE) after the time with
 * nothing in flight; 0 and the CQE when a NOP was submitted; 0 when a
 * 10 ms timer completes inside a 2 s wait.
 */
#include "helpers.h"

#include <errno.h>

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	if (!(hoop_ring_features(ring) & HOOP_FEAT_EXT_ARG))
		SKIP("kernel lacks HOOP_FEAT_EXT_ARG");
	struct hoop_cqe *cqe = (struct hoop_cqe *)1;
	struct hoop_timespec ts = {0, 20 * 1000000};
	uint64_t t0 = t_now_ns();
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &ts), -ETIME);
	uint64_t elapsed = t_now_ns() - t0;
	CHECK(cqe == NULL);
	CHECK(elapsed >= 15 * 1000000ull);
	CHECK(elapsed < 3000000000ull);

	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 42);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	cqe = NULL;
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &ts), 0);
	CHECK(cqe != NULL);
	CHECK_EQ(cqe->user_data, 42);
	CHECK_EQ(cqe->res, 0);
	hoop_ring_cqe_seen(ring, cqe);

	struct hoop_timespec timer = {0, 10 * 1000000};
	struct hoop_timespec longer = {2, 0};
	sqe = t_sqe(ring);
	hoop_prep_timeout(sqe, &timer, 0, 0);
	hoop_sqe_set_data(sqe, 43);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	cqe = NULL;
	t0 = t_now_ns();
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &longer), 0);
	CHECK(cqe != NULL);
	CHECK_EQ(cqe->user_data, 43);
	CHECK_EQ(cqe->res, -ETIME);
	CHECK(t_now_ns() - t0 < 1900000000ull);
	hoop_ring_cqe_seen(ring, cqe);

	/* NULL timeout: wait forever (here: until the ready NOP). */
	sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 44);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, NULL), 0);
	CHECK_EQ(cqe->user_data, 44);
	hoop_ring_cqe_seen(ring, cqe);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	hoop_ring_destroy(ring);
	return T_PASS;
}
