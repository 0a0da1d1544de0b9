/*
 * hoop_queue_destroy cancels the queue's ops in flight by scanning the
 * slots, while other threads complete ops and re-arm the same slots for
 * other queues and callbacks. The scan must pair a slot's target with the
 * generation of the same op: otherwise it cancels another owner's op (a
 * callback's timeout gets -ECANCELED). The scan reads the target with
 * atomics and checks the slot did not change meanwhile; under TSan the old
 * plain read was a data race with hoop__slot_arm (the tsan preset fails on
 * it); in every build no callback op may be cancelled, and the counts
 * balance. Both backends.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define THREADS 4
#define ROUNDS 150
#define CHAINS 3

static hoop_engine *eng;
static atomic_uint wrong, cb_live;
static atomic_int stop;

/* A callback op that resubmits a short timeout from its callback: slots
 * are re-armed all the time, by the thread that delivers. */
static void chain(void *arg, const struct hoop_completion *c)
{
	(void)arg;
	if (c->res != 0 && c->res != -ETIME)
		atomic_fetch_add(&wrong, 1); /* -ECANCELED: not ours */
	if (!atomic_load(&stop)) {
		static const struct hoop_timespec ts = {0, 20000};
		struct hoop_op op;
		hoop_op_timeout(&op, &ts, 0, 0);
		if (hoop_engine_submit_cb(eng, &op, 1, NULL, HOOP_SUBMIT_NOWAIT,
		                          chain, NULL) == 1)
			return;
	}
	atomic_fetch_sub(&cb_live, 1);
}

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 7919u + 1;
	int p[2];
	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
	static _Thread_local unsigned char buf[8];
	for (unsigned r = 0; r < ROUNDS; r++) {
		hoop_queue *q;
		CHECK_EQ(hoop_queue_create(&q, eng, 16), 0);
		seed = seed * 1103515245u + 12345u;
		unsigned k = 1 + (seed >> 16) % 8;
		struct hoop_op ops[8];
		for (unsigned i = 0; i < k; i++) {
			if ((seed >> (i + 3)) & 1)
				hoop_op_read(&ops[i], p[0], &buf[i], 1,
				             (uint64_t)-1);
			else
				hoop_op_nop(&ops[i]);
			ops[i].user_data = i;
		}
		int n = hoop_queue_add(q, ops, k, NULL, 0);
		if (n != (int)k && n != -EAGAIN)
			atomic_fetch_add(&wrong, 1);
		if (r & 1) {
			struct hoop_completion c[16];
			hoop_queue_wait(q, c, 16, 0, 0);
		}
		hoop_queue_destroy(q); /* cancels the pipe reads */
	}
	close(p[0]);
	close(p[1]);
	return NULL;
}

int main(void)
{
	eng = t_engine(NULL);
	for (int i = 0; i < CHAINS; i++) {
		struct hoop_op op;
		hoop_op_nop(&op);
		atomic_fetch_add(&cb_live, 1);
		CHECK_EQ(hoop_engine_submit_cb(eng, &op, 1, NULL, 0, chain, NULL),
		         1);
	}
	pthread_t th[THREADS];
	for (unsigned i = 0; i < THREADS; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i),
		         0);
	for (unsigned i = 0; i < THREADS; i++)
		CHECK_EQ(pthread_join(th[i], NULL), 0);
	atomic_store(&stop, 1);
	while (atomic_load(&cb_live))
		usleep(1000); /* the chains end at their next callback */
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(eng, &m, sizeof m), 0);
	CHECK_EQ(atomic_load(&wrong), 0);
	CHECK_EQ(m.submitted, m.completed);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.unknown_cqes, 0);
	hoop_engine_destroy(eng);
	return T_PASS;
}
