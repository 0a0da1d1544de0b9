/*
 * A zero timeout makes hoop_ring_wait_cqe_timeout a poll: -ETIME at once
 * when nothing has completed, 0 when a completion is ready, and 0 as well
 * when completions sit only in the overflow backlog (they have completed;
 * a zero-time enter flushes them, as hoop_ring_peek_cqe does).
 *
 * KNOWN FAILURE against core/ring.c at da58ce7 (last part): wait_internal
 * sees the deadline already passed and breaks out before any enter, so the
 * backlog is never flushed and the call gives -ETIME.
 */
#include "helpers.h"

#include <errno.h>

int main(void)
{
	hoop_ring *ring = t_ring(4, 0);
	if (!(hoop_ring_features(ring) & HOOP_FEAT_EXT_ARG))
		SKIP("kernel lacks HOOP_FEAT_EXT_ARG");
	struct hoop_timespec zero = {0, 0};
	struct hoop_cqe *cqe = NULL;
	uint64_t t0 = t_now_ns();
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &zero), -ETIME);
	CHECK(t_now_ns() - t0 < 1000000000ull);

	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 1);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &zero), 0);
	CHECK_EQ(cqe->user_data, 1);
	hoop_ring_cqe_seen(ring, cqe);

	/* 12 NOPs into an 8-entry CQ, then consume the 8 visible ones. */
	for (unsigned b = 0; b < 3; b++) {
		for (unsigned i = 0; i < 4; i++) {
			sqe = t_sqe(ring);
			hoop_prep_nop(sqe);
			hoop_sqe_set_data(sqe, 10 + b * 4 + i);
		}
		CHECK_EQ(hoop_ring_submit(ring), 4);
	}
	hoop_ring_cq_advance(ring, 8);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	CHECK_EQ(hoop_ring_cq_has_overflow(ring), 1);
	cqe = NULL;
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &zero), 0);
	CHECK(cqe != NULL);
	CHECK_EQ(cqe->user_data, 18);
	CHECK_EQ(hoop_ring_cq_ready(ring), 4);
	hoop_ring_cq_advance(ring, 4);
	hoop_ring_destroy(ring);
	return T_PASS;
}
