/*
 * HOOP_SETUP_CQE_MIXED: 16- and 32-byte CQEs share one CQ. A 32-byte CQE
 * (HOOP_CQE_F_32) takes two slots, and where it would wrap the ring's end
 * the kernel first posts a padding entry (HOOP_CQE_F_SKIP) in the last
 * slot. Every reaping path must hand out each CQE once, in order, never
 * the second half of a big one and never the padding:
 *   peek_cqe + cqe_seen, wait_cqe + cqe_seen, their inline twins,
 *   peek_batch_cqe + cq_advance (whole batches and one at a time, exported
 *   and inline), copy_cqes, wait_cqe_nr + peek_batch.
 * Batches of NOPs (1 to 3, big or small in a fixed pseudo-random pattern,
 * each with its own user_data and res, big ones with two extra words) go
 * through an 8-slot CQ for a few hundred rounds, so the ring wraps over a
 * hundred times and padding appears dozens of times on every path; the
 * test follows where the kernel puts each entry and checks, in the ring's
 * memory, that the padding is there before reaping. Then: waiting counts
 * CQEs, not slots (three big CQEs are three, and a wait for four lasts
 * until a 50 ms timeout posts the fourth), and cq_ready counts CQEs.
 * Skips if the kernel knows neither the flag nor NOP's 32-byte CQE.
 */
#include "helpers.h"

#include "hoop/inline.h"

#include <errno.h>
#include <string.h>

/* The kernel's NOP flags (sqe->op_flags): IORING_NOP_INJECT_RESULT
 * (res = sqe->len) and IORING_NOP_CQE32 (extra words = sqe->off, addr). */
#define T_NOP_INJECT_RESULT (1u << 0)
#define T_NOP_CQE32 (1u << 5)

#define CQ_SLOTS 8u
#define ROUNDS 600

struct op {
	uint64_t ud;
	int32_t res;
	int big;
	uint64_t x1, x2;
};

/* Ops submitted and not yet reaped, oldest first. */
static struct op fifo[64];
static unsigned f_head, f_tail;
static uint64_t next_ud = 1;
/* Where the kernel will post the next entry (slot index), and how many
 * padding entries that model says were posted. */
static unsigned k_tail;
static unsigned pads;
static unsigned pad_at[8], n_pad_at; /* this batch's padding slots */
static unsigned wraps_seen;
static uint32_t lfsr = 0xace1u;

static unsigned rnd(void)
{
	lfsr = lfsr * 1103515245u + 12345u;
	return (lfsr >> 16) & 0x7fff;
}

static void prep(hoop_ring *ring, int big)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	struct op *o = &fifo[f_tail++ % 64];
	o->ud = next_ud++;
	o->res = (int32_t)(o->ud * 3 % 1000);
	o->big = big;
	/* The extra words look like a CQE of their own (user_data 0x1111..,
	 * res 0x2222): handing them out as one is caught by the ud check. */
	o->x1 = 0x1111000000000000ull | o->ud;
	o->x2 = 0x2222ull | ((uint64_t)o->ud << 40);
	hoop_prep_nop(sqe);
	sqe->op_flags = T_NOP_INJECT_RESULT | (big ? T_NOP_CQE32 : 0);
	sqe->len = (uint32_t)o->res;
	if (big) {
		sqe->off = o->x1;
		sqe->addr = o->x2;
	}
	hoop_sqe_set_data(sqe, o->ud);

	/* Model the kernel's placement; check padding lands in the ring. */
	if (big && (k_tail & (CQ_SLOTS - 1)) == CQ_SLOTS - 1) {
		pads++;
		pad_at[n_pad_at++] = k_tail;
		k_tail++;
	}
	unsigned before = k_tail / CQ_SLOTS;
	k_tail += big ? 2 : 1;
	wraps_seen += k_tail / CQ_SLOTS != before;
}

/* The CQE must be the oldest expected one; `full` for the extra words. */
static void expect(const struct hoop_cqe *c, int full)
{
	CHECK(f_head != f_tail);
	const struct op *o = &fifo[f_head++ % 64];
	if (c->user_data != o->ud)
		fprintf(stderr, "got ud %#llx flags %#x, expected ud %llu\n",
		        (unsigned long long)c->user_data, c->flags,
		        (unsigned long long)o->ud);
	CHECK_EQ(c->user_data, o->ud);
	CHECK_EQ(c->res, o->res);
	CHECK_EQ(c->flags & HOOP_CQE_F_SKIP, 0);
	CHECK_EQ(!!(c->flags & HOOP_CQE_F_32), o->big);
	if (full && o->big) {
		const uint64_t *x = (const uint64_t *)(const void *)(c + 1);
		CHECK_EQ(x[0], o->x1);
		CHECK_EQ(x[1], o->x2);
	}
}

static unsigned pending(void) { return f_tail - f_head; }

/* Before reaping: the padding the model predicts is in the ring memory,
 * in the last slot of the array, flags SKIP, user_data 0. */
static void check_padding_in_ring(hoop_ring *ring)
{
	struct hoop_ring_view *v = hoop_ring_view_of(ring);
	for (unsigned i = 0; i < n_pad_at; i++) {
		unsigned idx = pad_at[i];
		CHECK_EQ(idx & v->cq_mask, CQ_SLOTS - 1);
		const struct hoop_cqe *pad =
		        &v->cqes[(idx & v->cq_mask) << v->cqe_shift];
		CHECK(pad->flags & HOOP_CQE_F_SKIP);
		CHECK_EQ(pad->user_data, 0);
	}
	n_pad_at = 0;
}

static void reap(hoop_ring *ring, int path)
{
	struct hoop_cqe *c = NULL;
	struct hoop_cqe *batch[8];
	struct hoop_cqe out[8];
	int r;
	while (pending()) {
		switch (path) {
		case 0: /* peek + seen */
			CHECK_EQ(hoop_ring_peek_cqe(ring, &c), 0);
			expect(c, 1);
			hoop_ring_cqe_seen(ring, c);
			break;
		case 1: /* wait + seen */
			CHECK_EQ(hoop_ring_wait_cqe(ring, &c), 0);
			expect(c, 1);
			hoop_ring_cqe_seen(ring, c);
			break;
		case 2: /* peek + inline seen */
			CHECK_EQ(hoop_ring_peek_cqe(ring, &c), 0);
			expect(c, 1);
			hoop_ring_cqe_seen_inline(ring, c);
			break;
		case 3: { /* whole batch + advance */
			unsigned n = hoop_ring_peek_batch_cqe(ring, batch, 8);
			CHECK_EQ(n, pending());
			for (unsigned i = 0; i < n; i++)
				expect(batch[i], 1);
			hoop_ring_cq_advance(ring, n);
			break;
		}
		case 4: /* one at a time + inline advance */
			CHECK_EQ(hoop_ring_peek_batch_cqe(ring, batch, 1), 1);
			expect(batch[0], 1);
			hoop_ring_cq_advance_inline(ring, 1);
			break;
		case 5: { /* whole batch + inline advance */
			unsigned n = hoop_ring_peek_batch_cqe(ring, batch, 8);
			CHECK_EQ(n, pending());
			for (unsigned i = 0; i < n; i++)
				expect(batch[i], 1);
			hoop_ring_cq_advance_inline(ring, n);
			break;
		}
		case 6: /* copy, two at most per call */
			r = hoop_ring_copy_cqes(ring, out, 2, 1);
			CHECK(r >= 1);
			for (int i = 0; i < r; i++)
				expect(&out[i], 0);
			break;
		default: { /* wait for all, then batch */
			unsigned want = pending();
			CHECK_EQ(hoop_ring_wait_cqe_nr(ring, &c, want), 0);
			CHECK(c != NULL);
			CHECK_EQ(hoop_ring_cq_ready(ring), want);
			CHECK_EQ(hoop_ring_peek_batch_cqe(ring, batch, 8), want);
			for (unsigned i = 0; i < want; i++)
				expect(batch[i], 1);
			hoop_ring_cq_advance(ring, want);
			break;
		}
		}
	}
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	CHECK_EQ(hoop_ring_peek_cqe(ring, &c), -EAGAIN);
}

int main(void)
{
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = HOOP_SETUP_CQE_MIXED | HOOP_SETUP_CQSIZE;
	p.cq_entries = CQ_SLOTS;
	hoop_ring *ring = NULL;
	int r = hoop_ring_create(&ring, 4, &p);
	if (r == -ENOSYS || r == -EPERM)
		SKIP("io_uring unavailable here: %s", hoop_strerror(r));
	if (r == -EINVAL)
		SKIP("this kernel does not know HOOP_SETUP_CQE_MIXED (6.18+)");
	CHECK_EQ(r, 0);
	CHECK_EQ(hoop_ring_cq_entries(ring), CQ_SLOTS);

	/* Does NOP know the 32-byte CQE? */
	{
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		sqe->op_flags = T_NOP_CQE32;
		hoop_sqe_set_data(sqe, 9);
		struct hoop_cqe *c;
		CHECK_EQ(hoop_ring_submit_and_wait(ring, 1), 1);
		CHECK_EQ(hoop_ring_peek_cqe(ring, &c), 0);
		CHECK_EQ(c->user_data, 9);
		if (c->res == -EINVAL)
			SKIP("NOP has no 32-byte CQE here (IORING_NOP_CQE32)");
		CHECK_EQ(c->res, 0);
		CHECK(c->flags & HOOP_CQE_F_32);
		hoop_ring_cqe_seen(ring, c);
		k_tail = 2;
	}

	for (int round = 0; round < ROUNDS; round++) {
		unsigned m = 1 + rnd() % 3;
		for (unsigned i = 0; i < m; i++)
			prep(ring, (int)(rnd() & 1));
		CHECK_EQ(hoop_ring_submit(ring), (int)m);
		check_padding_in_ring(ring);
		reap(ring, round % 8);
	}
	fprintf(stderr, "%d rounds, %u wraps, %u paddings\n", ROUNDS,
	        wraps_seen, pads);
	CHECK(wraps_seen > 100);
	CHECK(pads > 8 * 8); /* dozens on every path */

	/* Waiting counts CQEs: three big ones (six slots) are three. */
	for (int i = 0; i < 3; i++)
		prep(ring, 1);
	CHECK_EQ(hoop_ring_submit_and_wait(ring, 3), 3);
	CHECK_EQ(hoop_ring_cq_ready(ring), 3);
	/* A wait for a fourth lasts until the timeout posts it. */
	struct hoop_sqe *sqe = t_sqe(ring);
	struct hoop_timespec ts = {0, 50000000};
	hoop_prep_timeout(sqe, &ts, 0, 0);
	hoop_sqe_set_data(sqe, 4242);
	uint64_t t0 = t_now_ns();
	struct hoop_cqe *c = NULL;
	CHECK_EQ(hoop_ring_submit(ring), 1);
	CHECK_EQ(hoop_ring_wait_cqe_nr(ring, &c, 4), 0);
	CHECK(t_now_ns() - t0 >= 40000000ull);
	CHECK_EQ(hoop_ring_cq_ready(ring), 4);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(hoop_ring_peek_cqe(ring, &c), 0);
		expect(c, 1);
		hoop_ring_cqe_seen(ring, c);
	}
	CHECK_EQ(hoop_ring_peek_cqe(ring, &c), 0);
	CHECK_EQ(c->user_data, 4242);
	CHECK_EQ(c->res, -ETIME);
	hoop_ring_cqe_seen(ring, c);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);

	hoop_ring_destroy(ring);
	return T_PASS;
}
