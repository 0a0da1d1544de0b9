/*
 * hoop_ring_submit_and_wait_timeout submits what is prepared and returns
 * the count once wait_nr completions are there; with too few before the
 * time runs out it returns -ETIME (the submission still happened).
 */
#include "helpers.h"

#include <errno.h>
#include <signal.h>

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	if (!(hoop_ring_features(ring) & HOOP_FEAT_EXT_ARG))
		SKIP("kernel lacks HOOP_FEAT_EXT_ARG");
	struct hoop_timespec ts = {1, 0};
	struct hoop_cqe *cqe = NULL;

	for (int i = 0; i < 3; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, (uint64_t)(10 + i));
	}
	CHECK_EQ(hoop_ring_submit_and_wait_timeout(ring, &cqe, 3, &ts, NULL), 3);
	CHECK(cqe != NULL);
	CHECK_EQ(cqe->user_data, 10);
	CHECK_EQ(hoop_ring_cq_ready(ring), 3);
	hoop_ring_cq_advance(ring, 3);

	/* One 10 ms timer, waiting for it with a sigmask. */
	sigset_t mask;
	sigemptyset(&mask);
	struct hoop_timespec timer = {0, 10 * 1000000};
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_timeout(sqe, &timer, 0, 0);
	hoop_sqe_set_data(sqe, 20);
	uint64_t t0 = t_now_ns();
	CHECK_EQ(hoop_ring_submit_and_wait_timeout(ring, &cqe, 1, &ts, &mask), 1);
	CHECK(t_now_ns() - t0 >= 8 * 1000000ull);
	CHECK(cqe != NULL);
	CHECK_EQ(cqe->user_data, 20);
	CHECK_EQ(cqe->res, -ETIME);
	hoop_ring_cqe_seen(ring, cqe);

	/* Nothing will complete: -ETIME after 10 ms, cqe NULL. */
	struct hoop_timespec short_ts = {0, 10 * 1000000};
	cqe = (struct hoop_cqe *)1;
	t0 = t_now_ns();
	CHECK_EQ(hoop_ring_submit_and_wait_timeout(ring, &cqe, 1, &short_ts, NULL),
	         -ETIME);
	CHECK(t_now_ns() - t0 >= 8 * 1000000ull);
	CHECK(cqe == NULL);

	/* Two NOPs but wait_nr 3: -ETIME, yet both were submitted and done. */
	for (int i = 0; i < 2; i++) {
		sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, (uint64_t)(30 + i));
	}
	CHECK_EQ(hoop_ring_submit_and_wait_timeout(ring, &cqe, 3, &short_ts, NULL),
	         -ETIME);
	CHECK_EQ(hoop_ring_sq_ready(ring), 0);
	CHECK_EQ(hoop_ring_cq_ready(ring), 2);
	CHECK(cqe != NULL);
	CHECK_EQ(cqe->user_data, 30);
	hoop_ring_cq_advance(ring, 2);

	/* wait_nr 0 does not wait: returns the submitted count at once. */
	sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 40);
	CHECK_EQ(hoop_ring_submit_and_wait_timeout(ring, &cqe, 0, &ts, NULL), 1);
	CHECK_EQ(t_wait_one(ring).user_data, 40);
	hoop_ring_destroy(ring);
	return T_PASS;
}
