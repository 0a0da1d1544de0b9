/*
 * HOOP_SETUP_CQSIZE: the CQ size is the requested one rounded up to a power
 * of two, must not be below the SQ size, and is capped at 65536 only with
 * CLAMP. A full small CQ (4 entries) keeps further completions in the
 * overflow backlog and loses none.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>

static int create(hoop_ring **ring, unsigned entries, uint32_t flags, unsigned cq)
{
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = HOOP_SETUP_CQSIZE | flags;
	p.cq_entries = cq;
	return hoop_ring_create(ring, entries, &p);
}

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring *ring = NULL;

	CHECK_EQ(create(&ring, 4, 0, 5), 0);
	CHECK_EQ(hoop_ring_sq_entries(ring), 4);
	CHECK_EQ(hoop_ring_cq_entries(ring), 8);
	hoop_ring_destroy(ring);

	CHECK_EQ(create(&ring, 8, 0, 2), -EINVAL); /* CQ smaller than SQ */
	CHECK_EQ(create(&ring, 4, 0, 100000), -EINVAL);
	CHECK_EQ(create(&ring, 4, HOOP_SETUP_CLAMP, 100000), 0);
	CHECK_EQ(hoop_ring_cq_entries(ring), 65536);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);

	/* A full 4-entry CQ. */
	CHECK_EQ(create(&ring, 4, 0, 4), 0);
	CHECK_EQ(hoop_ring_cq_entries(ring), 4);
	for (unsigned b = 0; b < 3; b++) {
		for (unsigned i = 0; i < 4; i++) {
			struct hoop_sqe *sqe = t_sqe(ring);
			hoop_prep_nop(sqe);
			hoop_sqe_set_data(sqe, b * 4 + i);
		}
		CHECK_EQ(hoop_ring_submit(ring), 4);
		CHECK_EQ(hoop_ring_cq_ready(ring), 4);
		CHECK_EQ(hoop_ring_cq_has_overflow(ring), b > 0 ? 1 : 0);
	}
	for (unsigned i = 0; i < 12; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		CHECK_EQ(c.user_data, i);
		CHECK_EQ(c.res, 0);
	}
	CHECK_EQ(hoop_ring_cq_has_overflow(ring), 0);
	struct hoop_cqe *cqe;
	CHECK_EQ(hoop_ring_peek_cqe(ring, &cqe), -EAGAIN);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
