/*
 * 64 submitting threads and 64 waiting threads share one engine. Each
 * submitter hands its tokens to a waiter; operations are NOPs, timeouts of
 * random length and pipe reads, completing out of order. Every owner must
 * get its own result exactly once and the counts must balance.
 * HOOP_STRESS_OPS overrides the total (default 102400).
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define PAIRS 64
#define CHAN 64

struct pair {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t tok[CHAN];
	uint64_t tag[CHAN];
	int32_t expect[CHAN];
	unsigned head, count;
	int done;
	int pipefd[2];
	unsigned id, n;
	char rbuf[CHAN];
	struct hoop_timespec ts[CHAN];
};

static hoop_engine *eng;
static struct pair pairs[PAIRS];
static atomic_ulong delivered, wrong;

static void *submitter(void *arg)
{
	struct pair *p = arg;
	unsigned seed = p->id * 7919u + 1;
	for (unsigned i = 0; i < p->n; i++) {
		pthread_mutex_lock(&p->mu);
		while (p->count == CHAN)
			pthread_cond_wait(&p->cv, &p->mu);
		unsigned slot = (p->head + p->count) % CHAN;
		pthread_mutex_unlock(&p->mu);

		struct hoop_op op;
		int32_t expect;
		seed = seed * 1103515245u + 12345u;
		unsigned kind = (seed >> 16) % 3;
		if (kind == 0) {
			hoop_op_nop(&op);
			expect = 0;
		} else if (kind == 1) {
			p->ts[slot].tv_sec = 0;
			p->ts[slot].tv_nsec = (seed >> 8) % 200000;
			hoop_op_timeout(&op, &p->ts[slot], 0, 0);
			expect = -ETIME;
		} else {
			hoop_op_read(&op, p->pipefd[0], &p->rbuf[slot], 1,
			             (uint64_t)-1);
			expect = 1;
		}
		op.user_data = ((uint64_t)p->id << 32) | i;
		uint64_t tok;
		int r = hoop_engine_submit(eng, &op, 1, &tok, 0);
		if (r != 1) {
			fprintf(stderr, "submit: %d\n", r);
			exit(T_FAIL);
		}
		if (kind == 2)
			CHECK_EQ(write(p->pipefd[1], "x", 1), 1);

		pthread_mutex_lock(&p->mu);
		p->tok[slot] = tok;
		p->tag[slot] = op.user_data;
		p->expect[slot] = expect;
		p->count++;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_lock(&p->mu);
	p->done = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void *waiter(void *arg)
{
	struct pair *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->count == 0 && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->count == 0 && p->done) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		unsigned slot = p->head;
		uint64_t tok = p->tok[slot], tag = p->tag[slot];
		int32_t expect = p->expect[slot];
		pthread_mutex_unlock(&p->mu);

		struct hoop_completion c;
		int r = hoop_engine_wait(eng, tok, &c, -1);
		if (r != 0 || c.user_data != tag || c.res != expect ||
		    c.token != tok) {
			fprintf(stderr, "pair %u: r=%d tag %llx/%llx res %d/%d\n",
			        p->id, r, (unsigned long long)c.user_data,
			        (unsigned long long)tag, c.res, expect);
			atomic_fetch_add(&wrong, 1);
		}
		atomic_fetch_add(&delivered, 1);
		/* A token is delivered once: a second wait finds nothing. */
		if (hoop_engine_wait(eng, tok, &c, 0) != -ENOENT)
			atomic_fetch_add(&wrong, 1);

		pthread_mutex_lock(&p->mu);
		p->head = (p->head + 1) % CHAN;
		p->count--;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
}

int main(void)
{
	unsigned total = 102400;
	const char *env = getenv("HOOP_STRESS_OPS");
	if (env)
		total = (unsigned)strtoul(env, NULL, 10);
	int fds_before = t_fd_count();
	hoop_engine_params prm;
	memset(&prm, 0, sizeof(prm));
	prm.sq_entries = 128;
	eng = t_engine(&prm);

	pthread_t st[PAIRS], wt[PAIRS];
	for (unsigned i = 0; i < PAIRS; i++) {
		struct pair *p = &pairs[i];
		pthread_mutex_init(&p->mu, NULL);
		pthread_cond_init(&p->cv, NULL);
		CHECK_EQ(pipe(p->pipefd), 0);
		p->id = i;
		p->n = total / PAIRS;
		CHECK_EQ(pthread_create(&wt[i], NULL, waiter, p), 0);
		CHECK_EQ(pthread_create(&st[i], NULL, submitter, p), 0);
	}
	for (unsigned i = 0; i < PAIRS; i++) {
		pthread_join(st[i], NULL);
		pthread_join(wt[i], NULL);
	}
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(eng, &m, sizeof(m)), 0);
	unsigned expected = (total / PAIRS) * PAIRS;
	printf("submitted %llu completed %llu delivered %lu enters %llu "
	       "wakeups %llu reaps waiters/thread %llu/%llu blocked %llu\n",
	       (unsigned long long)m.submitted, (unsigned long long)m.completed,
	       atomic_load(&delivered), (unsigned long long)m.enters,
	       (unsigned long long)m.wakeups,
	       (unsigned long long)m.reaps_by_waiters,
	       (unsigned long long)m.reaps_by_thread,
	       (unsigned long long)m.submit_blocked);
	CHECK_EQ(atomic_load(&wrong), 0);
	CHECK_EQ(m.submitted, expected);
	CHECK_EQ(m.completed, expected);
	CHECK_EQ(atomic_load(&delivered), expected);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.unknown_cqes, 0);
	hoop_engine_destroy(eng);
	for (unsigned i = 0; i < PAIRS; i++) {
		close(pairs[i].pipefd[0]);
		close(pairs[i].pipefd[1]);
	}
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
