/*
 * The thread pool's hand-off (backend_threads.c): a submitter hands each
 * job to one idle worker asleep on its own futex word, queues the rest,
 * and keeps one-op job blocks for reuse. Run on both backends; the
 * _threads variant is the one that reaches the pool.
 *
 * - Batches of NOPs from several threads at once (more jobs than idle
 *   workers, so some are handed out and some queued): every op gets its
 *   own result exactly once, with its own user data.
 * - A read on an empty pipe cancelled right after its submit (queued,
 *   handed to a worker not yet awake, or already blocked in read):
 *   cancel finds it and its result is -ECANCELED; the next op, which may
 *   get the same kept job block, is not cancelled with it.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define THREADS 6
#define ROUNDS 300
#define BATCH 24
#define CANCELS 300

static hoop_engine *e;

static void *batches(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	struct hoop_op ops[BATCH];
	uint64_t tok[BATCH];
	for (unsigned r = 0; r < ROUNDS; r++) {
		unsigned n = 1 + (r * 7 + id) % BATCH;
		for (unsigned i = 0; i < n; i++) {
			hoop_op_nop(&ops[i]);
			ops[i].user_data = ((uint64_t)id << 32) | (r << 8) | i;
		}
		CHECK_EQ(hoop_engine_submit(e, ops, n, tok, 0), (int)n);
		for (unsigned i = 0; i < n; i++) {
			struct hoop_completion c;
			CHECK_EQ(hoop_engine_wait(e, tok[i], &c, 10000000000ll), 0);
			CHECK_EQ(c.token, tok[i]);
			CHECK_EQ(c.user_data, ops[i].user_data);
			CHECK_EQ(c.res, 0);
			/* Delivered once: the token is spent. */
			CHECK_EQ(hoop_engine_wait(e, tok[i], &c, 0), -ENOENT);
		}
	}
	return NULL;
}

static void *cancels(void *arg)
{
	(void)arg;
	int p[2];
	CHECK_EQ(pipe(p), 0);
	for (unsigned r = 0; r < CANCELS; r++) {
		unsigned char b = 0xee;
		struct hoop_op op;
		uint64_t tok;
		hoop_op_read(&op, p[0], &b, 1, (uint64_t)-1);
		op.user_data = r;
		CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
		/* Nothing is ever written: the read can only be cancelled. */
		CHECK_EQ(hoop_engine_cancel(e, tok), 0);
		struct hoop_completion c;
		CHECK_EQ(hoop_engine_wait(e, tok, &c, 10000000000ll), 0);
		CHECK_EQ(c.res, -ECANCELED);
		CHECK_EQ(c.user_data, r);
		CHECK_EQ(b, 0xee);
		/* The next job may reuse the cancelled one's block. */
		hoop_op_nop(&op);
		op.user_data = 1000000 + r;
		CHECK_EQ(t_engine_one(e, &op), 0);
	}
	close(p[0]);
	close(p[1]);
	return NULL;
}

int main(void)
{
	e = t_engine(NULL);
	pthread_t t[THREADS + 1];
	for (unsigned i = 0; i < THREADS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, batches, (void *)(uintptr_t)i),
		         0);
	CHECK_EQ(pthread_create(&t[THREADS], NULL, cancels, NULL), 0);
	for (unsigned i = 0; i <= THREADS; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.submitted, m.completed);
	hoop_engine_destroy(e);
	printf("ok\n");
	return 0;
}
