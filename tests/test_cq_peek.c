/*
 * hoop_ring_peek_cqe gives -EAGAIN on an empty CQ; peek_batch_cqe returns
 * the oldest completions in order without consuming them; cq_advance
 * consumes exactly that many.
 */
#include "helpers.h"

#include <errno.h>

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	struct hoop_cqe *cqe = (struct hoop_cqe *)1;
	CHECK_EQ(hoop_ring_peek_cqe(ring, &cqe), -EAGAIN);
	CHECK(cqe == NULL);
	struct hoop_cqe *batch[8];
	CHECK_EQ(hoop_ring_peek_batch_cqe(ring, batch, 8), 0);

	for (int i = 0; i < 5; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, (uint64_t)(100 + i));
	}
	CHECK_EQ(hoop_ring_submit(ring), 5);
	CHECK_EQ(hoop_ring_cq_ready(ring), 5);

	/* peek does not consume: twice the same one. */
	CHECK_EQ(hoop_ring_peek_cqe(ring, &cqe), 0);
	CHECK_EQ(cqe->user_data, 100);
	CHECK_EQ(hoop_ring_peek_cqe(ring, &cqe), 0);
	CHECK_EQ(cqe->user_data, 100);
	CHECK_EQ(hoop_ring_cq_ready(ring), 5);

	CHECK_EQ(hoop_ring_peek_batch_cqe(ring, batch, 3), 3);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(batch[i]->user_data, (uint64_t)(100 + i));
		CHECK_EQ(batch[i]->res, 0);
	}
	CHECK_EQ(hoop_ring_cq_ready(ring), 5);
	hoop_ring_cq_advance(ring, 3);
	CHECK_EQ(hoop_ring_cq_ready(ring), 2);

	CHECK_EQ(hoop_ring_peek_batch_cqe(ring, batch, 8), 2);
	CHECK_EQ(batch[0]->user_data, 103);
	CHECK_EQ(batch[1]->user_data, 104);
	hoop_ring_cq_advance(ring, 1);
	CHECK_EQ(hoop_ring_peek_cqe(ring, &cqe), 0);
	CHECK_EQ(cqe->user_data, 104);
	hoop_ring_cqe_seen(ring, cqe);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	CHECK_EQ(hoop_ring_peek_cqe(ring, &cqe), -EAGAIN);
	CHECK_EQ(hoop_ring_peek_batch_cqe(ring, batch, 8), 0);

	/* cq_advance(0) and cqe_seen(NULL) change nothing. */
	hoop_ring_cq_advance(ring, 0);
	hoop_ring_cqe_seen(ring, NULL);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);

	/* The CQ index wraps: 40 more through a 16-entry CQ. */
	for (int i = 0; i < 40; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, (uint64_t)(200 + i));
		CHECK_EQ(hoop_ring_submit(ring), 1);
		CHECK_EQ(hoop_ring_peek_batch_cqe(ring, batch, 8), 1);
		CHECK_EQ(batch[0]->user_data, (uint64_t)(200 + i));
		hoop_ring_cq_advance(ring, 1);
	}
	hoop_ring_destroy(ring);
	return T_PASS;
}
