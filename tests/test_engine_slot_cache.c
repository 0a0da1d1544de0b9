/*
 * Slots a thread keeps aside after freeing them (slots.c: one per cache,
 * hashed by stack address, so that a thread doing submit-one-then-wait
 * reuses its own slot) are still free slots for everyone else. With
 * max_inflight N: after N threads have each read and collected one op,
 * several of those slots sit in the threads' caches; one call of N ops
 * with HOOP_SUBMIT_NOWAIT must still get all N (not -EBUSY), and a blocking
 * call of N must not wait. Each thread's read returns its own bytes, and
 * the metrics count every op once: submitted == completed == ops made,
 * inline_ops no more than the reads, nothing in flight.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define N 8
#define ROUNDS 4

static hoop_engine *e;
static int fd;

/* One 4 KiB read at block `arg`, submitted alone and waited for. */
static void *reader(void *arg)
{
	unsigned k = (unsigned)(uintptr_t)arg;
	unsigned char buf[4096];
	struct hoop_op op;
	struct hoop_completion c;
	uint64_t tok;
	hoop_op_read(&op, fd, buf, sizeof(buf), (uint64_t)k * sizeof(buf));
	op.user_data = 100 + k;
	CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);
	CHECK_EQ(c.res, (int)sizeof(buf));
	CHECK_EQ(c.user_data, 100 + k);
	for (size_t i = 0; i < sizeof(buf); i++)
		CHECK_EQ(buf[i], t_pattern((uint64_t)k * sizeof(buf) + i));
	return NULL;
}

/* N NOPs in one call with `flags`: all accepted, all collected. */
static void nops(unsigned flags)
{
	struct hoop_op ops[N];
	uint64_t tok[N];
	for (unsigned i = 0; i < N; i++) {
		hoop_op_nop(&ops[i]);
		ops[i].user_data = i;
	}
	CHECK_EQ(hoop_engine_submit(e, ops, N, tok, flags), N);
	for (unsigned i = 0; i < N; i++) {
		struct hoop_completion c;
		CHECK_EQ(hoop_engine_wait(e, tok[i], &c, 5000000000ll), 0);
		CHECK_EQ(c.res, 0);
		CHECK_EQ(c.user_data, i);
	}
}

int main(void)
{
	hoop_engine_params p;
	memset(&p, 0, sizeof(p));
	p.max_inflight = N;
	e = t_engine(&p);
	CHECK_EQ(hoop_engine_max_inflight(e), N);
	fd = t_tmpfile(N * 4096, NULL);
	CHECK(fd >= 0);

	for (int round = 0; round < ROUNDS; round++) {
		pthread_t th[N];
		for (unsigned i = 0; i < N; i++)
			CHECK_EQ(pthread_create(&th[i], NULL, reader,
			                        (void *)(uintptr_t)i),
			         0);
		for (unsigned i = 0; i < N; i++)
			CHECK_EQ(pthread_join(th[i], NULL), 0);
		/* Every slot is free again, wherever it is kept. */
		nops(HOOP_SUBMIT_NOWAIT);
		nops(0);
	}

	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	const uint64_t ops = ROUNDS * (N + 2 * N);
	CHECK_EQ(m.submitted, ops);
	CHECK_EQ(m.completed, ops);
	CHECK(m.inline_ops <= ROUNDS * N);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.unknown_cqes, 0);
	printf("%d rounds of %d readers, then %d NOPs twice: %llu inline\n",
	       ROUNDS, N, N, (unsigned long long)m.inline_ops);
	hoop_engine_destroy(e);
	close(fd);
	return T_PASS;
}
