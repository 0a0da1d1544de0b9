/*
 * 4 producer threads add NOPs and timeouts into one queue (add is
 * thread-safe; a full queue answers -EAGAIN and the producer retries) while
 * one consumer collects them with min 8: every operation arrives exactly
 * once with its own result, and the totals balance.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#define NPROD 4
#define PER_PROD 2000
#define TOTAL (NPROD * PER_PROD)
#define CAP 64
#define MIN 8

static hoop_engine *e;
static hoop_queue *q;
static struct hoop_timespec ts = {0, 20000};
static atomic_uint eagain;

static int32_t expected(uint64_t tag) { return tag % 5 == 4 ? -ETIME : 0; }

static void *producer(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	unsigned i = 0;
	while (i < PER_PROD) {
		/* Batches of 1..3. */
		unsigned n = 1 + i % 3;
		if (n > PER_PROD - i)
			n = PER_PROD - i;
		struct hoop_op ops[3];
		for (unsigned k = 0; k < n; k++) {
			uint64_t tag = (uint64_t)id * PER_PROD + i + k;
			if (expected(tag))
				hoop_op_timeout(&ops[k], &ts, 0, 0);
			else
				hoop_op_nop(&ops[k]);
			ops[k].user_data = tag;
		}
		int r = hoop_queue_add(q, ops, n, NULL, 0);
		if (r == -EAGAIN) {
			atomic_fetch_add(&eagain, 1);
			sched_yield();
			continue;
		}
		CHECK_EQ(r, (int)n);
		i += n;
	}
	return NULL;
}

int main(void)
{
	int fds = t_fd_count();
	e = t_engine(NULL);
	int r;
	CHECK_EQ(hoop_queue_create(&q, e, CAP), 0);

	pthread_t th[NPROD];
	for (unsigned i = 0; i < NPROD; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, producer,
		                        (void *)(uintptr_t)i),
		         0);
	static unsigned char seen[TOTAL];
	unsigned got = 0, waits = 0;
	struct hoop_completion out[CAP];
	while (got < TOTAL) {
		unsigned min = TOTAL - got < MIN ? TOTAL - got : MIN;
		r = hoop_queue_wait(q, out, CAP, min, 10000000000ll);
		CHECK(r >= (int)min);
		waits++;
		for (int k = 0; k < r; k++) {
			uint64_t tag = out[k].user_data;
			CHECK(tag < TOTAL);
			CHECK_EQ(seen[tag]++, 0);
			CHECK_EQ(out[k].res, expected(tag));
			CHECK_EQ(out[k].flags & HOOP_CQE_F_MORE, 0);
		}
		got += (unsigned)r;
	}
	for (unsigned i = 0; i < NPROD; i++)
		pthread_join(th[i], NULL);
	printf("%u waits, %u EAGAIN retries\n", waits, atomic_load(&eagain));
	CHECK_EQ(got, TOTAL);
	CHECK_EQ(hoop_queue_outstanding(q), 0);
	CHECK_EQ(hoop_queue_ready(q), 0);
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.submitted, TOTAL);
	CHECK_EQ(m.completed, TOTAL);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.unknown_cqes, 0);
	hoop_queue_destroy(q);
	hoop_engine_destroy(e);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
