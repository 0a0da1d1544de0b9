/*
 * Cancels racing the thread pool's hand-off (backend_threads.c): jobs
 * handed to idle workers, queued, or taken by a worker that just finished,
 * and one-op job blocks reused at once. Several threads submit batches
 * that mix reads on a pipe nobody writes (they can only be cancelled),
 * NOPs and reads on a pipe holding data, and cancel the blocked reads by
 * token right away (so the cancel lands on a job queued, handed but not
 * yet run, or blocked in read). Another thread cancels by fd, another
 * cancels a linked chain's head. Every op must get exactly one result,
 * the one its kind allows; no cancel may spill onto an op it did not
 * name. Run on both backends; the _threads variant reaches the pool.
 * HOOP_RACE_ROUNDS overrides the rounds per thread.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#define THREADS 4
#define BATCH 16
#define FD_READS 6

static hoop_engine *e;
static unsigned rounds = 400;

static struct hoop_completion collect(uint64_t tok)
{
	return t_engine_collect(e, tok, 20000000000ll);
}

/* Blocked reads cancelled by token amid NOPs and reads that complete. */
static void *mixed(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	int dead[2], live[2];
	CHECK_EQ(pipe(dead), 0);
	CHECK_EQ(pipe(live), 0);
	unsigned seed = id * 2654435761u + 7;
	unsigned char buf[BATCH];
	for (unsigned r = 0; r < rounds; r++) {
		struct hoop_op ops[BATCH];
		uint64_t tok[BATCH];
		unsigned kind[BATCH];
		seed = seed * 1103515245u + 12345u;
		unsigned n = 1 + (seed >> 16) % BATCH;
		unsigned nlive = 0;
		for (unsigned i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			kind[i] = (seed >> 16) % 3;
			buf[i] = 0xee;
			if (kind[i] == 0)
				hoop_op_read(&ops[i], dead[0], &buf[i], 1,
				             (uint64_t)-1);
			else if (kind[i] == 1)
				hoop_op_nop(&ops[i]);
			else {
				hoop_op_read(&ops[i], live[0], &buf[i], 1,
				             (uint64_t)-1);
				nlive++;
			}
			ops[i].user_data = ((uint64_t)id << 40) |
			                   ((uint64_t)r << 8) | i;
		}
		CHECK_EQ(write(live[1], "LLLLLLLLLLLLLLLL", nlive), (ssize_t)nlive);
		CHECK_EQ(hoop_engine_submit(e, ops, n, tok, 0), (int)n);
		if (seed & 0x100)
			sched_yield();
		for (unsigned i = 0; i < n; i++)
			if (kind[i] == 0)
				CHECK_EQ(hoop_engine_cancel(e, tok[i]), 0);
		for (unsigned i = 0; i < n; i++) {
			struct hoop_completion c = collect(tok[i]);
			CHECK_EQ(c.user_data, ops[i].user_data);
			if (kind[i] == 0) {
				CHECK_EQ(c.res, -ECANCELED);
				CHECK_EQ(buf[i], 0xee);
			} else if (kind[i] == 1) {
				CHECK_EQ(c.res, 0);
			} else {
				CHECK_EQ(c.res, 1);
				CHECK_EQ(buf[i], 'L');
			}
		}
	}
	close(dead[0]);
	close(dead[1]);
	close(live[0]);
	close(live[1]);
	return NULL;
}

/* Several blocked reads on one fd, all cancelled by hoop_engine_cancel_fd;
 * a NOP after them is not. */
static void *by_fd(void *arg)
{
	(void)arg;
	int p[2];
	CHECK_EQ(pipe(p), 0);
	unsigned char b[FD_READS];
	memset(b, 0xee, sizeof(b));
	for (unsigned r = 0; r < rounds / 4; r++) {
		struct hoop_op ops[FD_READS];
		uint64_t tok[FD_READS];
		for (unsigned i = 0; i < FD_READS; i++) {
			hoop_op_read(&ops[i], p[0], &b[i], 1, (uint64_t)-1);
			ops[i].user_data = i;
		}
		CHECK_EQ(hoop_engine_submit(e, ops, FD_READS, tok, 0), FD_READS);
		CHECK_EQ(hoop_engine_cancel_fd(e, p[0], 0), FD_READS);
		for (unsigned i = 0; i < FD_READS; i++) {
			struct hoop_completion c = collect(tok[i]);
			CHECK_EQ(c.res, -ECANCELED);
			CHECK_EQ(c.user_data, i);
		}
		struct hoop_op nop;
		hoop_op_nop(&nop);
		CHECK_EQ(t_engine_one(e, &nop), 0);
	}
	for (unsigned i = 0; i < FD_READS; i++)
		CHECK_EQ(b[i], 0xee);
	close(p[0]);
	close(p[1]);
	return NULL;
}

/* A blocked read linked to a NOP: cancelling the read breaks the chain. */
static void *chain(void *arg)
{
	(void)arg;
	int p[2];
	CHECK_EQ(pipe(p), 0);
	unsigned char b = 0xee;
	for (unsigned r = 0; r < rounds / 4; r++) {
		struct hoop_op ops[2];
		uint64_t tok[2];
		hoop_op_read(&ops[0], p[0], &b, 1, (uint64_t)-1);
		ops[0].sqe_flags |= HOOP_SQE_IO_LINK;
		ops[0].user_data = 1;
		hoop_op_nop(&ops[1]);
		ops[1].user_data = 2;
		CHECK_EQ(hoop_engine_submit(e, ops, 2, tok, 0), 2);
		CHECK_EQ(hoop_engine_cancel(e, tok[0]), 0);
		struct hoop_completion c = collect(tok[0]);
		CHECK_EQ(c.res, -ECANCELED);
		c = collect(tok[1]);
		CHECK_EQ(c.res, -ECANCELED);
		struct hoop_op nop;
		hoop_op_nop(&nop);
		CHECK_EQ(t_engine_one(e, &nop), 0);
	}
	CHECK_EQ(b, 0xee);
	close(p[0]);
	close(p[1]);
	return NULL;
}

int main(void)
{
	const char *env = getenv("HOOP_RACE_ROUNDS");
	if (env && *env)
		rounds = (unsigned)strtoul(env, NULL, 10);
	e = t_engine(NULL);
	pthread_t t[THREADS + 2];
	for (unsigned i = 0; i < THREADS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, mixed, (void *)(uintptr_t)i),
		         0);
	CHECK_EQ(pthread_create(&t[THREADS], NULL, by_fd, NULL), 0);
	CHECK_EQ(pthread_create(&t[THREADS + 1], NULL, chain, NULL), 0);
	for (unsigned i = 0; i < THREADS + 2; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.submitted, m.completed);
	hoop_engine_destroy(e);
	printf("ok\n");
	return 0;
}
