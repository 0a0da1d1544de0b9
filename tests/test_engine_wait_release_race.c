/*
 * hoop_engine_wait racing hoop_engine_release of the same live token, while
 * the slot is reused at once: owner threads submit one op (a NOP, or a
 * timeout of a few microseconds so that the waiter sleeps or spins) and
 * wait for it; a partner thread releases the same token concurrently and
 * right away submits and collects a NOP of its own, which takes the slot
 * the release freed (it lands in the partner's slot cache) and is done
 * when its submit returns. Exactly one of the wait and the release may get
 * the token (return 0); a wait that returns 0 has its own token, tag and
 * result; the partner's own NOP is always collected by the partner, with
 * its own tag (a waiter that took the slot's next op's result would steal
 * it: the partner's wait then answers -ENOENT). The owner waits without a
 * timeout: released meanwhile, asleep or not, its wait must answer
 * -ENOENT by itself (the watchdog catches one that sleeps on). Few slots:
 * they recycle all the time. Bounded to about 2 s.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PAIRS 2
#define RUN_NS 2000000000ll

static hoop_engine *e;
static _Atomic int stop;
static _Atomic unsigned long rounds, wait_won, release_won, stolen_tries;

struct pair {
	int id;
	_Atomic uint64_t tok;    /* the owner's token to release (0: none) */
	_Atomic uint64_t serial; /* which round tok belongs to */
	_Atomic int rres;        /* the release's answer ... */
	_Atomic uint64_t rdone;  /* ... for this round */
};
static struct pair pairs[PAIRS];

static const struct hoop_timespec short_ts[3] = {{0, 0}, {0, 2000}, {0, 9000}};

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void *owner_main(void *arg)
{
	struct pair *p = arg;
	uint32_t seed = 0x9e3779b9u * (uint32_t)(p->id + 1);
	for (uint64_t serial = 1; !atomic_load(&stop); serial++) {
		struct hoop_op op;
		bool nop = rnd(&seed) % 2;
		if (nop)
			hoop_op_nop(&op);
		else
			hoop_op_timeout(&op, &short_ts[rnd(&seed) % 3], 0, 0);
		op.user_data = ((uint64_t)p->id << 56) | serial << 1;
		uint64_t tok;
		int r = hoop_engine_submit(e, &op, 1, &tok, 0);
		if (r != 1) {
			fprintf(stderr, "owner submit: %d\n", r);
			exit(T_FAIL);
		}
		atomic_store(&p->tok, tok);
		atomic_store(&p->serial, serial);
		struct hoop_completion c;
		memset(&c, 0, sizeof(c));
		/* No timeout: a wait whose token is released meanwhile must
		 * give up by itself (-ENOENT), asleep or not. */
		int w = hoop_engine_wait(e, tok, &c, -1);
		if (w == 0 && (c.token != tok || c.user_data != op.user_data ||
		               c.res != (nop ? 0 : -ETIME))) {
			fprintf(stderr,
			        "wait took another op's result: token %#llx "
			        "(want %#llx), tag %#llx (want %#llx), res "
			        "%d\n",
			        (unsigned long long)c.token,
			        (unsigned long long)tok,
			        (unsigned long long)c.user_data,
			        (unsigned long long)op.user_data, c.res);
			exit(T_FAIL);
		}
		if (w != 0 && w != -ENOENT) {
			fprintf(stderr, "wait: %d\n", w);
			exit(T_FAIL);
		}
		while (atomic_load(&p->rdone) != serial) {
			if (atomic_load(&stop))
				return NULL;
			sched_yield();
		}
		int rr = atomic_load(&p->rres);
		if ((w == 0) == (rr == 0)) {
			fprintf(stderr,
			        "token %#llx: wait %d and release %d (exactly "
			        "one must get it)\n",
			        (unsigned long long)tok, w, rr);
			exit(T_FAIL);
		}
		atomic_fetch_add(w == 0 ? &wait_won : &release_won, 1);
		atomic_fetch_add(&rounds, 1);
	}
	return NULL;
}

static void *partner_main(void *arg)
{
	struct pair *p = arg;
	uint32_t seed = 0x1234567u * (uint32_t)(p->id + 1);
	uint64_t done = 0, mine = 0;
	while (!atomic_load(&stop)) {
		uint64_t serial = atomic_load(&p->serial);
		if (serial == done) {
			sched_yield();
			continue;
		}
		uint64_t tok = atomic_load(&p->tok);
		/* Vary the moment against the owner's wait. */
		for (unsigned k = rnd(&seed) % 64; k; k--)
			__asm__ volatile("" ::: "memory");
		int rr = hoop_engine_release(e, tok);
		if (rr != 0 && rr != -ENOENT) {
			fprintf(stderr, "release: %d\n", rr);
			exit(T_FAIL);
		}
		if (rr == 0) {
			/* The slot may be free now, in this thread's cache:
			 * reuse it at once with an op done by its submit. */
			struct hoop_op op;
			hoop_op_nop(&op);
			op.user_data = ((uint64_t)p->id << 56) | ++mine << 1 | 1;
			uint64_t t2;
			int r = hoop_engine_submit(e, &op, 1, &t2, 0);
			if (r != 1) {
				fprintf(stderr, "partner submit: %d\n", r);
				exit(T_FAIL);
			}
			atomic_fetch_add(&stolen_tries, 1);
			struct hoop_completion c;
			int w = hoop_engine_wait(e, t2, &c, 5000000000ll);
			if (w != 0 || c.token != t2 ||
			    c.user_data != op.user_data || c.res != 0) {
				fprintf(stderr,
				        "partner's own op lost: wait %d, tag "
				        "%#llx (want %#llx), res %d\n",
				        w,
				        w == 0 ? (unsigned long long)c.user_data
				               : 0ull,
				        (unsigned long long)op.user_data,
				        w == 0 ? c.res : 0);
				exit(T_FAIL);
			}
		}
		atomic_store(&p->rres, rr);
		atomic_store(&p->rdone, serial);
		done = serial;
	}
	return NULL;
}

int main(void)
{
	hoop_engine_params p;
	memset(&p, 0, sizeof(p));
	p.max_inflight = 4; /* few slots: reused all the time */
	e = t_engine(&p);
	alarm(30); /* a lost slot or wake-up hangs */
	pthread_t ot[PAIRS], pt[PAIRS];
	for (int i = 0; i < PAIRS; i++) {
		pairs[i].id = i;
		CHECK_EQ(pthread_create(&ot[i], NULL, owner_main, &pairs[i]), 0);
		CHECK_EQ(pthread_create(&pt[i], NULL, partner_main, &pairs[i]), 0);
	}
	uint64_t end = t_now_ns() + RUN_NS;
	while (t_now_ns() < end) {
		struct timespec d = {0, 10000000};
		nanosleep(&d, NULL);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < PAIRS; i++) {
		pthread_join(ot[i], NULL);
		pthread_join(pt[i], NULL);
	}
	fprintf(stderr, "rounds %lu: wait got it %lu, release %lu\n",
	        atomic_load(&rounds), atomic_load(&wait_won),
	        atomic_load(&release_won));
	CHECK(atomic_load(&rounds) > 0);

	/* Released ops finish on their own (timeouts of at most 9 us). */
	struct hoop_engine_metrics m = t_engine_settle(e);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.completed, m.submitted);
	CHECK_EQ(m.unknown_cqes, 0);
	hoop_engine_destroy(e);
	alarm(0);
	return T_PASS;
}
