/*
 * SIGALRM at 1 kHz (no SA_RESTART) while 4 threads submit and wait 20000
 * operations, two through hoop_engine_wait and two through their own
 * hoop_queue: every result is right and no -EINTR surfaces.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define NTHREADS 4
#define PER_THREAD 5000
#define BATCH 8

static hoop_engine *e;
static atomic_int alarms; /* lock-free: safe in a handler */
static atomic_uint wrong, done;

static void on_alarm(int sig)
{
	(void)sig;
	int saved = errno;
	atomic_fetch_add_explicit(&alarms, 1, memory_order_relaxed);
	errno = saved;
}

/* Op k of a batch: NOP (res 0), or a 50 us timeout (res -ETIME) so that
 * the threads really sleep and the signal interrupts them. */
static void prep(struct hoop_op *op, struct hoop_timespec *ts, unsigned seq)
{
	if (seq % 4 == 3) {
		ts->tv_sec = 0;
		ts->tv_nsec = 50000;
		hoop_op_timeout(op, ts, 0, 0);
	} else {
		hoop_op_nop(op);
	}
	op->user_data = seq;
}

static int32_t expected(uint64_t seq) { return seq % 4 == 3 ? -ETIME : 0; }

static void *by_wait(void *arg)
{
	(void)arg;
	struct hoop_op ops[BATCH];
	struct hoop_timespec ts[BATCH];
	uint64_t tok[BATCH];
	for (unsigned i = 0; i < PER_THREAD; i += BATCH) {
		for (unsigned k = 0; k < BATCH; k++)
			prep(&ops[k], &ts[k], i + k);
		CHECK_EQ(hoop_engine_submit(e, ops, BATCH, tok, 0), BATCH);
		for (unsigned k = 0; k < BATCH; k++) {
			struct hoop_completion c;
			CHECK_EQ(hoop_engine_wait(e, tok[k], &c, -1), 0);
			if (c.user_data != i + k || c.res != expected(i + k))
				atomic_fetch_add(&wrong, 1);
			atomic_fetch_add(&done, 1);
		}
	}
	return NULL;
}

static void *by_queue(void *arg)
{
	(void)arg;
	hoop_queue *q;
	CHECK_EQ(hoop_queue_create(&q, e, BATCH), 0);
	struct hoop_op ops[BATCH];
	struct hoop_timespec ts[BATCH];
	struct hoop_completion out[BATCH];
	unsigned seen[BATCH];
	for (unsigned i = 0; i < PER_THREAD; i += BATCH) {
		for (unsigned k = 0; k < BATCH; k++)
			prep(&ops[k], &ts[k], i + k);
		CHECK_EQ(hoop_queue_add(q, ops, BATCH, NULL, 0), BATCH);
		memset(seen, 0, sizeof(seen));
		unsigned got = 0;
		while (got < BATCH) {
			/* Alternate: wait for all, or for at least one. */
			unsigned min = (i / BATCH) % 2 ? BATCH - got : 1;
			int r = hoop_queue_wait(q, out, BATCH, min, -1);
			CHECK(r >= (int)min);
			for (int k = 0; k < r; k++) {
				uint64_t seq = out[k].user_data;
				if (seq < i || seq >= i + BATCH ||
				    out[k].res != expected(seq) || seen[seq - i]++)
					atomic_fetch_add(&wrong, 1);
				atomic_fetch_add(&done, 1);
			}
			got += (unsigned)r;
		}
	}
	CHECK_EQ(hoop_queue_outstanding(q), 0);
	hoop_queue_destroy(q);
	return NULL;
}

int main(void)
{
	int fds = t_fd_count();
	e = t_engine(NULL);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: interrupted calls fail with EINTR */
	CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	struct itimerval it = {{0, 1000}, {0, 1000}};
	CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);

	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		CHECK_EQ(pthread_create(&th[i], NULL,
		                        i % 2 ? by_queue : by_wait, NULL),
		         0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	struct itimerval off = {{0, 0}, {0, 0}};
	CHECK_EQ(setitimer(ITIMER_REAL, &off, NULL), 0);

	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	printf("alarms %d\n", atomic_load(&alarms));
	CHECK(atomic_load(&alarms) > 0);
	CHECK_EQ(atomic_load(&wrong), 0);
	CHECK_EQ(atomic_load(&done), NTHREADS * PER_THREAD);
	CHECK_EQ(m.submitted, NTHREADS * PER_THREAD);
	CHECK_EQ(m.completed, NTHREADS * PER_THREAD);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.unknown_cqes, 0);
	hoop_engine_destroy(e);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
