/*
 * Every tier gives a working ring. For each tier the probe allows, single-
 * owner and shared, with and without the SQPOLL add-on: create a ring with
 * exactly the flags hoop_probe_tier_flags gives, check the kernel kept them,
 * and run NOPs through it (the owner waiting, and for a shared ring another
 * thread waiting too). A single-owner HIGH ring refuses a second thread's
 * submission (-EEXIST) unless SQPOLL submits for everyone.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

static hoop_ring *make_ring(uint32_t flags)
{
	hoop_ring_params rp;
	memset(&rp, 0, sizeof(rp));
	rp.flags = flags;
	rp.sq_thread_idle = 10;
	hoop_ring *ring = NULL;
	int r = hoop_ring_create(&ring, 8, &rp);
	if (r != 0)
		fprintf(stderr, "flags %#x: %s\n", flags, hoop_strerror(r));
	CHECK_EQ(r, 0);
	CHECK_EQ(hoop_ring_setup_flags(ring) & flags, flags);
	return ring;
}

/* `n` NOPs, one at a time and then as one batch; tags come back. */
static void nop_round_trip(hoop_ring *ring, uint64_t base, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, base + i);
		struct hoop_cqe c = t_submit_wait_one(ring);
		CHECK_EQ(c.user_data, base + i);
		CHECK_EQ(c.res, 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, base + 100 + i);
	}
	/* Exactly 4 under SQPOLL too, however fast the kernel thread takes
	 * them (tests/test_sqpoll_submit_count.c). */
	CHECK_EQ(hoop_ring_submit_and_wait(ring, 4), 4);
	struct hoop_cqe out[4];
	int got = 0;
	while (got < 4) {
		int r = hoop_ring_copy_cqes(ring, out + got, 4 - (unsigned)got, 1);
		CHECK(r >= 1);
		got += r;
	}
	uint64_t sum = 0;
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(out[i].res, 0);
		sum += out[i].user_data - (base + 100);
	}
	CHECK_EQ(sum, 0 + 1 + 2 + 3);
}

struct other {
	hoop_ring *ring;
	int submit_res;
};

static void *other_thread_nops(void *arg)
{
	struct other *o = arg;
	nop_round_trip(o->ring, 5000, 3);
	return NULL;
}

static void *other_thread_submit(void *arg)
{
	struct other *o = arg;
	struct hoop_sqe *sqe = hoop_ring_get_sqe(o->ring);
	CHECK(sqe != NULL);
	hoop_prep_nop(sqe);
	o->submit_res = hoop_ring_submit(o->ring);
	return NULL;
}

static void in_thread(void *(*fn)(void *), struct other *o)
{
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, fn, o), 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
}

int main(void)
{
	struct hoop_probe p = {.size = sizeof(struct hoop_probe)};
	CHECK_EQ(hoop_probe_run(&p), 0);
	if (!p.usable)
		SKIP("io_uring unusable here: %s", p.reason);
	int fds = t_fd_count();
	int tried = 0;
	for (int tier = HOOP_TIER_BASE; tier <= p.tier; tier++) {
		for (int sq = 0; sq <= 1; sq++) {
			int t = tier | (sq ? HOOP_TIER_SQPOLL : 0);
			if (sq && !p.sqpoll_permitted) {
				uint32_t f;
				CHECK_EQ(hoop_probe_tier_flags(&p, t, 1, &f),
				         p.sqpoll_err);
				continue;
			}
			for (int owner = 0; owner <= 1; owner++) {
				uint32_t f = 0;
				CHECK_EQ(hoop_probe_tier_flags(&p, t, owner, &f),
				         0);
				fprintf(stderr, "tier %s%s %s: flags %#x\n",
				        hoop_probe_tier_name(tier),
				        sq ? "+sqpoll" : "",
				        owner ? "single-owner" : "shared", f);
				hoop_ring *ring = make_ring(f);
				nop_round_trip(ring,
				               1000 * (unsigned)(tier + 1), 8);
				struct other o = {ring, 0};
				if (!owner) {
					/* Shared: another thread may wait. */
					in_thread(other_thread_nops, &o);
				} else if ((f & HOOP_SETUP_SINGLE_ISSUER) &&
				           !(f & HOOP_SETUP_SQPOLL)) {
					/* (With SQPOLL the kernel thread is
					 * the only issuer, so no check.) */
					in_thread(other_thread_submit, &o);
					CHECK_EQ(o.submit_res, -EEXIST);
				}
				hoop_ring_destroy(ring);
				tried++;
			}
		}
	}
	/* BASE, MID, HIGH each shared and single-owner, with and without
	 * SQPOLL, on this machine. */
	if (p.tier == HOOP_TIER_HIGH && p.sqpoll_permitted)
		CHECK_EQ(tried, 12);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
