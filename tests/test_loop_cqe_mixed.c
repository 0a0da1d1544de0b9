/*
 * A hoop_loop on a HOOP_SETUP_CQE_MIXED ring (an 8-slot CQ): NOPs with
 * 32-byte and 16-byte CQEs in a fixed pseudo-random mix, a few hundred
 * rounds, so the CQ wraps often and the kernel posts padding where a big
 * CQE would cross the end. Each callback runs once, in order, with its own
 * result and HOOP_CQE_F_32 exactly for the big ones; neither the padding
 * (user_data 0) nor the second half of a big CQE is taken for a
 * completion. The second half carries the user_data of a long timer
 * (the sentinel), so a loop that read it as a CQE would call the
 * sentinel's callback early. Skips if the kernel lacks the flag or NOP's
 * 32-byte CQE.
 */
#include "test_net_util.h"

#include <unistd.h>

#define T_NOP_INJECT_RESULT (1u << 0)
#define T_NOP_CQE32 (1u << 5)
#define ROUNDS 300

struct rec {
	int32_t res;
	uint32_t flags;
	int calls;
};

static struct rec recs[4 * ROUNDS];
static unsigned done_count;
static int sentinel_calls;
static int ending;

static void on_nop(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	struct rec *r = arg;
	CHECK_EQ((unsigned)(r - recs), done_count); /* in order */
	r->res = res;
	r->flags = flags;
	r->calls++;
	done_count++;
}

static void on_sentinel(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	(void)arg;
	(void)flags;
	if (!ending)
		fprintf(stderr, "sentinel called early: res %d flags %#x\n",
		        res, flags);
	CHECK(ending);
	sentinel_calls++;
}

static uint32_t lfsr = 0x1234567u;
static unsigned rnd(void)
{
	lfsr = lfsr * 1103515245u + 12345u;
	return (lfsr >> 16) & 0x7fff;
}

int main(void)
{
	alarm(60);
	hoop_loop *l = NULL;
	hoop_loop_params p;
	memset(&p, 0, sizeof(p));
	p.entries = 2; /* CQ of 8 slots */
	p.setup_flags = HOOP_SETUP_CQE_MIXED;
	int r = hoop_loop_create(&l, &p);
	if (r == -EPERM || r == -ENOSYS)
		SKIP("io_uring unavailable: %s", hoop_strerror(r));
	if (r == -EINVAL)
		SKIP("this kernel does not know HOOP_SETUP_CQE_MIXED (6.18+)");
	CHECK_EQ(r, 0);
	CHECK_EQ(hoop_ring_cq_entries(hoop_loop_ring(l)), 8);

	/* The sentinel: a 60 s timer, cancelled at the end. */
	struct hoop_sqe *sqe = hoop_loop_sqe(l, on_sentinel, NULL);
	CHECK(sqe != NULL);
	uint64_t sentinel = hoop_loop_sqe_id(sqe);
	struct hoop_timespec ts = {60, 0};
	hoop_prep_timeout(sqe, &ts, 0, 0);
	CHECK(hoop_loop_run_once(l, 0) >= 0);

	unsigned n = 0;
	int probed = 0;
	for (int round = 0; round < ROUNDS; round++) {
		unsigned m = 1 + rnd() % 2;
		for (unsigned i = 0; i < m; i++, n++) {
			int big = !probed || (rnd() & 1);
			sqe = hoop_loop_sqe(l, on_nop, &recs[n]);
			CHECK(sqe != NULL);
			hoop_prep_nop(sqe);
			sqe->op_flags = T_NOP_INJECT_RESULT |
			                (big ? T_NOP_CQE32 : 0);
			sqe->len = 100 + n;
			if (big) {
				sqe->off = sentinel; /* the second half's ud */
				sqe->addr = 0x7777;  /* its res */
			}
			recs[n].flags = big ? HOOP_CQE_F_32 : 0;
		}
		int spins = 0;
		while (done_count < n) {
			CHECK(hoop_loop_run_once(l, 100000000) >= 0);
			CHECK(++spins < 100);
		}
		if (!probed) {
			probed = 1;
			if (recs[0].res == -EINVAL)
				SKIP("NOP has no 32-byte CQE here");
		}
	}
	for (unsigned i = 0; i < n; i++) {
		CHECK_EQ(recs[i].calls, 1);
		CHECK_EQ(recs[i].res, (int32_t)(100 + i));
	}
	/* recs[i].flags was set to the expected F_32 before, and on_nop
	 * overwrote it with what came: compare by recomputing. */
	lfsr = 0x1234567u;
	n = 0;
	probed = 0;
	for (int round = 0; round < ROUNDS; round++) {
		unsigned m = 1 + rnd() % 2;
		for (unsigned i = 0; i < m; i++, n++) {
			int big = !probed || (rnd() & 1);
			probed = 1;
			CHECK_EQ(recs[n].flags & HOOP_CQE_F_32,
			         big ? HOOP_CQE_F_32 : 0);
			CHECK_EQ(recs[n].flags & HOOP_CQE_F_SKIP, 0);
		}
	}
	CHECK_EQ(sentinel_calls, 0);
	ending = 1;
	CHECK_EQ(hoop_loop_cancel(l, sentinel), 0);
	int spins = 0;
	while (sentinel_calls == 0) {
		CHECK(hoop_loop_run_once(l, 100000000) >= 0);
		CHECK(++spins < 100);
	}
	CHECK_EQ(sentinel_calls, 1);
	hoop_loop_destroy(l);
	return T_PASS;
}
