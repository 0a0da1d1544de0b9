/*
 * hoop_engine_wait and hoop_engine_release of one token from two threads at
 * once (a collect racing a release, which the engine allows), while other
 * threads re-arm the same few slots for callbacks. The loser of the race
 * looked at the slot's delivery kind after its state check: a plain read
 * that a re-arm of the slot for the next op writes at the same time (a data
 * race under TSan, the tsan preset fails on it), and a kind read from the
 * next op could answer -EINVAL for a wait-delivered token. Checked in every
 * build: exactly one of the two wins each round (the wait's 0 or the
 * release's 0), no call answers anything but 0, -ENOENT or -ETIME, and the
 * counts balance. Both backends.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define PAIRS 2
#define ROUNDS 4000

static hoop_engine *eng;
static atomic_uint wrong, cb_seen;
static atomic_int stop;

struct pair {
	_Atomic uint64_t token; /* published by the waiter, 0: none */
	atomic_int round;       /* the releaser's last round done */
	int released;           /* its result in that round (0 or 1) */
	pthread_t w, r;
};
static struct pair pairs[PAIRS];

static void on_cb(void *arg, const struct hoop_completion *c)
{
	(void)arg;
	if (c->res != 0)
		atomic_fetch_add(&wrong, 1);
	atomic_fetch_add(&cb_seen, 1);
}

/* Callback NOPs, as fast as slots allow: re-arms with another kind. */
static void *cb_main(void *arg)
{
	(void)arg;
	unsigned long n = 0;
	while (!atomic_load(&stop)) {
		struct hoop_op op;
		hoop_op_nop(&op);
		int r = hoop_engine_submit_cb(eng, &op, 1, NULL,
		                              HOOP_SUBMIT_NOWAIT, on_cb, NULL);
		if (r != 1 && r != -EBUSY)
			atomic_fetch_add(&wrong, 1);
		if (++n % 16 == 0)
			sched_yield();
	}
	return NULL;
}

static void *waiter_main(void *arg)
{
	struct pair *p = arg;
	for (int round = 1; round <= ROUNDS; round++) {
		struct hoop_op op;
		hoop_op_nop(&op);
		op.user_data = (uint64_t)round;
		uint64_t t;
		int r = hoop_engine_submit(eng, &op, 1, &t, 0);
		if (r != 1) {
			atomic_fetch_add(&wrong, 1);
			break;
		}
		atomic_store(&p->token, t);
		int got = 0;
		for (;;) {
			struct hoop_completion c;
			r = hoop_engine_wait(eng, t, &c, 0);
			if (r == 0) {
				got = 1;
				if (c.user_data != (uint64_t)round ||
				    c.res != 0 || c.token != t)
					atomic_fetch_add(&wrong, 1);
				break;
			}
			if (r == -ENOENT)
				break;
			if (r != -ETIME) {
				fprintf(stderr, "wait: %d\n", r);
				atomic_fetch_add(&wrong, 1);
				break;
			}
			sched_yield();
		}
		while (atomic_load(&p->round) != round)
			sched_yield();
		if (got + p->released != 1) {
			fprintf(stderr, "round %d: wait took %d, release %d\n",
			        round, got, p->released);
			atomic_fetch_add(&wrong, 1);
		}
	}
	return NULL;
}

static void *releaser_main(void *arg)
{
	struct pair *p = arg;
	for (int round = 1; round <= ROUNDS; round++) {
		uint64_t t;
		while (!(t = atomic_exchange(&p->token, 0)))
			sched_yield();
		int r = hoop_engine_release(eng, t);
		if (r != 0 && r != -ENOENT) {
			fprintf(stderr, "release: %d\n", r);
			atomic_fetch_add(&wrong, 1);
		}
		p->released = r == 0;
		atomic_store(&p->round, round);
	}
	return NULL;
}

int main(void)
{
	hoop_engine_params p;
	memset(&p, 0, sizeof(p));
	p.max_inflight = 4; /* few slots: each is re-armed all the time */
	eng = t_engine(&p);
	pthread_t cb;
	CHECK_EQ(pthread_create(&cb, NULL, cb_main, NULL), 0);
	for (int i = 0; i < PAIRS; i++) {
		CHECK_EQ(pthread_create(&pairs[i].w, NULL, waiter_main, &pairs[i]),
		         0);
		CHECK_EQ(pthread_create(&pairs[i].r, NULL, releaser_main, &pairs[i]),
		         0);
	}
	for (int i = 0; i < PAIRS; i++) {
		CHECK_EQ(pthread_join(pairs[i].w, NULL), 0);
		CHECK_EQ(pthread_join(pairs[i].r, NULL), 0);
	}
	atomic_store(&stop, 1);
	CHECK_EQ(pthread_join(cb, NULL), 0);
	CHECK_EQ(atomic_load(&wrong), 0);
	/* Released ops complete on their own; then everything balances. */
	uint64_t until = t_now_ns() + 10000000000ull;
	struct hoop_engine_metrics m;
	for (;;) {
		CHECK_EQ(hoop_engine_get_metrics(eng, &m, sizeof m), 0);
		if (m.inflight == 0 || t_now_ns() > until)
			break;
		sched_yield();
	}
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.submitted, m.completed);
	CHECK(atomic_load(&cb_seen) > 0);
	hoop_engine_destroy(eng);
	return T_PASS;
}
