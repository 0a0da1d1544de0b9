/*
 * CQ overflow without loss: a ring of 4 SQ entries (CQ 8) gets 64 NOPs in
 * batches of 4 with nothing reaped. The kernel (HOOP_FEAT_NODROP) keeps
 * what does not fit; hoop_ring_cq_has_overflow shows it, and reaping
 * through peek_batch_cqe and copy_cqes (which flush the backlog) yields
 * exactly 64 completions, each once, in submission order.
 */
#include "helpers.h"

#include <string.h>

#define N 64

int main(void)
{
	hoop_ring *ring = t_ring(4, 0);
	CHECK_EQ(hoop_ring_sq_entries(ring), 4);
	CHECK_EQ(hoop_ring_cq_entries(ring), 8);
	if (!(hoop_ring_features(ring) & HOOP_FEAT_NODROP))
		SKIP("kernel lacks HOOP_FEAT_NODROP");

	int saw_overflow = 0;
	for (unsigned b = 0; b < N / 4; b++) {
		for (unsigned i = 0; i < 4; i++) {
			struct hoop_sqe *sqe = t_sqe(ring);
			hoop_prep_nop(sqe);
			hoop_sqe_set_data(sqe, b * 4 + i);
		}
		CHECK_EQ(hoop_ring_submit(ring), 4);
		if (b >= 2) /* 12 or more completions for 8 slots */
			CHECK_EQ(hoop_ring_cq_has_overflow(ring), 1);
		saw_overflow |= hoop_ring_cq_has_overflow(ring);
	}
	CHECK_EQ(saw_overflow, 1);
	CHECK_EQ(hoop_ring_cq_ready(ring), 8);

	static unsigned seen[N];
	memset(seen, 0, sizeof(seen));
	unsigned got = 0;
	/* First half through peek_batch_cqe + cq_advance. */
	while (got < N / 2) {
		struct hoop_cqe *batch[8];
		unsigned n = hoop_ring_peek_batch_cqe(ring, batch, 8);
		CHECK(n > 0);
		if (n > N / 2 - got)
			n = N / 2 - got;
		for (unsigned i = 0; i < n; i++) {
			CHECK_EQ(batch[i]->user_data, got + i);
			CHECK_EQ(batch[i]->res, 0);
			seen[batch[i]->user_data]++;
		}
		hoop_ring_cq_advance(ring, n);
		got += n;
	}
	/* The rest through copy_cqes. */
	while (got < N) {
		struct hoop_cqe out[5];
		int n = hoop_ring_copy_cqes(ring, out, 5, 0);
		CHECK(n > 0);
		for (int i = 0; i < n; i++) {
			CHECK_EQ(out[i].user_data, got + (unsigned)i);
			CHECK_EQ(out[i].res, 0);
			seen[out[i].user_data]++;
		}
		got += (unsigned)n;
	}
	CHECK_EQ(got, N);
	for (unsigned i = 0; i < N; i++)
		CHECK_EQ(seen[i], 1);
	CHECK_EQ(hoop_ring_cq_has_overflow(ring), 0);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	struct hoop_cqe out[4];
	CHECK_EQ(hoop_ring_copy_cqes(ring, out, 4, 0), 0);

	/* The ring works normally afterwards. */
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 1000);
	CHECK_EQ(t_submit_wait_one(ring).user_data, 1000);
	hoop_ring_destroy(ring);
	return T_PASS;
}
