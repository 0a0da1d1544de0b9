/*
 * Freed slots kept in a thread's cache chain (slots.h: pushed one at a time
 * by hoop_engine_wait, taken back whole by the next submit) stay free slots
 * for everyone, and max_inflight stays the bound. With max_inflight 8:
 * the main thread submits and collects 8 NOPs (its cache then holds all 8),
 * then submits 3 and keeps them uncollected (it takes 3 of its chain and
 * puts the other 5 back). Another thread must then get exactly those 5 with
 * HOOP_SUBMIT_NOWAIT, be refused a 6th (-EBUSY, all 8 taken), and a
 * blocking submit of 1 there must return once the main thread collects
 * its 3 (the room waiter is woken, whichever cache the slots went to).
 * Every result is checked, and the metrics balance.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define N 8

static hoop_engine *e;

/* n NOPs tagged base..base+n-1 in one call: the submit's result. */
static int submit_nops(unsigned n, unsigned base, uint64_t *tok, unsigned flags)
{
	struct hoop_op ops[N];
	for (unsigned i = 0; i < n; i++) {
		hoop_op_nop(&ops[i]);
		ops[i].user_data = base + i;
	}
	return hoop_engine_submit(e, ops, n, tok, flags);
}

static void collect(unsigned n, unsigned base, const uint64_t *tok)
{
	for (unsigned i = 0; i < n; i++) {
		struct hoop_completion c;
		CHECK_EQ(hoop_engine_wait(e, tok[i], &c, 5000000000ll), 0);
		CHECK_EQ(c.res, 0);
		CHECK_EQ(c.user_data, base + i);
	}
}

static void *other(void *arg)
{
	(void)arg;
	uint64_t tok[N], one;
	/* The 5 slots the main thread's cache holds are free for us. */
	CHECK_EQ(submit_nops(5, 100, tok, HOOP_SUBMIT_NOWAIT), 5);
	/* All 8 are taken now: the bound holds. */
	CHECK_EQ(submit_nops(1, 200, &one, HOOP_SUBMIT_NOWAIT), -EBUSY);
	collect(5, 100, tok);
	/* Take the 5 back and wait for a sixth, which the main thread frees
	 * by collecting its 3 once it sees us blocked. */
	CHECK_EQ(submit_nops(5, 300, tok, HOOP_SUBMIT_NOWAIT), 5);
	CHECK_EQ(submit_nops(1, 400, &one, 0), 1);
	collect(1, 400, &one);
	collect(5, 300, tok);
	return NULL;
}

int main(void)
{
	hoop_engine_params p;
	memset(&p, 0, sizeof(p));
	p.max_inflight = N;
	e = t_engine(&p);
	alarm(60); /* a lost wake-up fails, it does not hang */
	uint64_t tok[N];
	CHECK_EQ(submit_nops(N, 0, tok, 0), N);
	collect(N, 0, tok);
	CHECK_EQ(submit_nops(3, 10, tok, HOOP_SUBMIT_NOWAIT), 3);

	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, other, NULL), 0);
	/* Until the other thread is blocked waiting for room. */
	struct hoop_engine_metrics m;
	for (;;) {
		CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
		if (m.submit_blocked > 0)
			break;
		usleep(1000);
	}
	collect(3, 10, tok);
	CHECK_EQ(pthread_join(th, NULL), 0);

	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	const uint64_t ops = N + 3 + 5 + 5 + 1;
	CHECK_EQ(m.submitted, ops);
	CHECK_EQ(m.completed, ops);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.unknown_cqes, 0);
	/* Every slot is free again, wherever it is kept. */
	CHECK_EQ(submit_nops(N, 500, tok, HOOP_SUBMIT_NOWAIT), N);
	collect(N, 500, tok);
	printf("%llu ops, %llu blocked takes\n", (unsigned long long)ops + N,
	       (unsigned long long)m.submit_blocked);
	hoop_engine_destroy(e);
	return T_PASS;
}
