/*
 * hoop_ring_for_each_cqe (hoop/inline.h), liburing's io_uring_for_each_cqe:
 * visits every ready CQE once, oldest first, consumes nothing (the CQ is
 * unchanged until hoop_ring_cq_advance), and is empty on an empty CQ.
 * On a plain ring: 5 NOPs. On a HOOP_SETUP_CQE_MIXED ring with an 8-slot
 * CQ: batches of small and 32-byte NOP CQEs for 200 rounds, so big CQEs
 * wrap the ring's end and the kernel's padding appears; the loop must step
 * over the second half of each big CQE and over the padding (visiting
 * exactly the NOPs, in order, each with its res). The mixed part skips,
 * saying so, where the kernel lacks CQE_MIXED or NOP's 32-byte CQE.
 */
#include "helpers.h"

#include "hoop/inline.h"

#include <errno.h>
#include <string.h>

#define T_NOP_INJECT_RESULT (1u << 0)
#define T_NOP_CQE32 (1u << 5)

static void nop(hoop_ring *ring, uint64_t ud, int32_t res, int big)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	sqe->op_flags = T_NOP_INJECT_RESULT | (big ? T_NOP_CQE32 : 0);
	sqe->len = (uint32_t)res;
	if (big) {
		/* Extra words that look like a CQE of their own. */
		sqe->off = 0x1111000000000000ull | ud;
		sqe->addr = 0x2222;
	}
	hoop_sqe_set_data(sqe, ud);
}

/* Visit what is ready; check it is uds first..first+n-1; advance. */
static void visit(hoop_ring *ring, uint64_t first, unsigned n)
{
	unsigned head, seen = 0;
	struct hoop_cqe *cqe;
	hoop_ring_for_each_cqe(ring, head, cqe)
	{
		CHECK(seen < n);
		CHECK_EQ(cqe->user_data, first + seen);
		CHECK_EQ(cqe->res, (int32_t)((first + seen) % 1000));
		CHECK_EQ(cqe->flags & HOOP_CQE_F_SKIP, 0);
		seen++;
	}
	CHECK_EQ(seen, n);
	/* Nothing consumed: a second pass sees the same. */
	unsigned again = 0;
	hoop_ring_for_each_cqe(ring, head, cqe) again++;
	CHECK_EQ(again, n);
	CHECK_EQ(hoop_ring_cq_ready(ring), n);
	hoop_ring_cq_advance(ring, seen);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	hoop_ring_for_each_cqe(ring, head, cqe) CHECK(0);
}

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	for (uint64_t u = 1; u <= 5; u++)
		nop(ring, u, (int32_t)(u % 1000), 0);
	CHECK_EQ(hoop_ring_submit_and_wait(ring, 5), 5);
	visit(ring, 1, 5);
	hoop_ring_destroy(ring);

	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = HOOP_SETUP_CQE_MIXED | HOOP_SETUP_CQSIZE;
	p.cq_entries = 8;
	int r = hoop_ring_create(&ring, 4, &p);
	if (r == -EINVAL)
		SKIP("plain ring passed; this kernel does not know "
		     "HOOP_SETUP_CQE_MIXED (6.18+)");
	CHECK_EQ(r, 0);
	nop(ring, 1000, 0, 1);
	CHECK_EQ(hoop_ring_submit_and_wait(ring, 1), 1);
	struct hoop_cqe *c;
	CHECK_EQ(hoop_ring_peek_cqe(ring, &c), 0);
	if (c->res == -EINVAL)
		SKIP("plain ring passed; NOP has no 32-byte CQE here");
	CHECK(c->flags & HOOP_CQE_F_32);
	hoop_ring_cqe_seen(ring, c);

	uint64_t ud = 1001;
	uint32_t lfsr = 0xace1u;
	unsigned bigs = 0;
	for (int round = 0; round < 200; round++) {
		unsigned n = 1 + round % 3;
		for (unsigned i = 0; i < n; i++) {
			lfsr = lfsr * 1103515245u + 12345u;
			int big = (lfsr >> 16) & 1;
			bigs += (unsigned)big;
			nop(ring, ud + i, (int32_t)((ud + i) % 1000), big);
		}
		CHECK_EQ(hoop_ring_submit_and_wait(ring, n), (int)n);
		visit(ring, ud, n);
		ud += n;
	}
	CHECK(bigs > 100);
	hoop_ring_destroy(ring);
	return T_PASS;
}
