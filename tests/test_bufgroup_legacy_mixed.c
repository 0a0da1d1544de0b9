/*
 * A LEGACY (provide-buffers) group on a HOOP_SETUP_CQE_MIXED ring with an
 * 8-slot CQ. Creating the group runs a provide on the caller's ring and
 * takes its result out of the CQ while the caller's own completions wait
 * there: a 32-byte one (NOP with HOOP_CQE_F_32 and two extra words) and a
 * 16-byte one. For every start position in the ring (so the big CQE, the
 * kernel's padding and the provide result fall on each side of the ring's
 * end), the caller then reaps exactly its two CQEs, intact and in order.
 * (Moving entries up one slot, as on other rings, split a big CQE across
 * the end.) Skips if the kernel lacks the flag or NOP's 32-byte CQE.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>

#define T_NOP_CQE32 (1u << 5)

static void nop(hoop_ring *ring, uint64_t ud, int big)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	if (big) {
		sqe->op_flags = T_NOP_CQE32;
		sqe->off = ud * 1000 + 1;
		sqe->addr = ud * 1000 + 2;
	}
	hoop_sqe_set_data(sqe, ud);
}

int main(void)
{
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = HOOP_SETUP_CQE_MIXED | HOOP_SETUP_CQSIZE;
	p.cq_entries = 8;
	hoop_ring *ring = NULL;
	int r = hoop_ring_create(&ring, 4, &p);
	if (r == -ENOSYS || r == -EPERM)
		SKIP("io_uring unavailable here: %s", hoop_strerror(r));
	if (r == -EINVAL)
		SKIP("this kernel does not know HOOP_SETUP_CQE_MIXED (6.18+)");
	CHECK_EQ(r, 0);

	struct hoop_cqe *c;
	nop(ring, 1, 1);
	CHECK_EQ(hoop_ring_submit_and_wait(ring, 1), 1);
	CHECK_EQ(hoop_ring_peek_cqe(ring, &c), 0);
	if (c->res == -EINVAL)
		SKIP("NOP has no 32-byte CQE here (IORING_NOP_CQE32)");
	hoop_ring_cqe_seen(ring, c);

	for (int start = 0; start < 8; start++) {
		/* Small NOPs move the ring to the next start position. */
		nop(ring, 50, 0);
		CHECK_EQ(hoop_ring_submit_and_wait(ring, 1), 1);
		CHECK_EQ(hoop_ring_peek_cqe(ring, &c), 0);
		CHECK_EQ(c->user_data, 50);
		hoop_ring_cqe_seen(ring, c);

		uint64_t big = 100 + (uint64_t)start, small = 200 + (uint64_t)start;
		nop(ring, big, 1);
		nop(ring, small, 0);
		CHECK_EQ(hoop_ring_submit_and_wait(ring, 2), 2);
		CHECK_EQ(hoop_ring_cq_ready(ring), 2);

		hoop_bufgroup *g = NULL;
		CHECK_EQ(hoop_bufgroup_create(&g, ring, 7, 2, 64,
		                              HOOP_BUFGROUP_LEGACY),
		         0);
		CHECK_EQ(hoop_bufgroup_mode(g), HOOP_BUFGROUP_MODE_PROVIDE);
		CHECK_EQ(hoop_ring_cq_ready(ring), 2);

		CHECK_EQ(hoop_ring_peek_cqe(ring, &c), 0);
		CHECK_EQ(c->user_data, big);
		CHECK_EQ(c->res, 0);
		CHECK(c->flags & HOOP_CQE_F_32);
		const uint64_t *x = (const uint64_t *)(const void *)(c + 1);
		CHECK_EQ(x[0], big * 1000 + 1);
		CHECK_EQ(x[1], big * 1000 + 2);
		hoop_ring_cqe_seen(ring, c);
		CHECK_EQ(hoop_ring_peek_cqe(ring, &c), 0);
		CHECK_EQ(c->user_data, small);
		CHECK_EQ(c->flags & (HOOP_CQE_F_32 | HOOP_CQE_F_SKIP), 0);
		hoop_ring_cqe_seen(ring, c);
		CHECK_EQ(hoop_ring_peek_cqe(ring, &c), -EAGAIN);

		hoop_bufgroup_destroy(g);
		/* A removal result may follow; only ours stay visible. */
		while (hoop_ring_peek_cqe(ring, &c) == 0) {
			CHECK_EQ(c->user_data, HOOP_BUFGROUP_UD);
			hoop_ring_cqe_seen(ring, c);
		}
	}
	hoop_ring_destroy(ring);
	return T_PASS;
}
