/*
 * hoop_engine_cancel of a multishot timeout from a thread on another CPU
 * than the one that submitted it (and whose task work re-arms it) always
 * ends it: cancel returns 0 and the final completion (-ECANCELED, no MORE)
 * arrives within 2 s, thousands of tries, each cancel at a different moment
 * of the period.
 *
 * Why another CPU: the kernel's cancel can meet the timer's expiry running
 * on the other CPU. It then sees -EALREADY, looks again, finds the timer off
 * the list (the expiry took it off to re-arm it) and still answers 0; the
 * timer fires on and no final completion ever comes. Before the fix
 * (cancel_ring_token trusted that 0) this hit about 4 tries in 1,000 at a
 * 100 us period: every run of this test failed, and
 * engine_cancel_multishot_timeout, whose one thread does both, hung once in
 * a loaded CI run where the thread had moved between CPUs.
 *
 * The thread pool has no multishot timeouts (they fail with -EINVAL, see
 * engine_cancel_multishot_timeout): skipped there.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define TRIES 2000
#define TIME_BUDGET_NS 30000000000ull /* stop trying after 30 s (slow hosts) */

static hoop_engine *e;
static sem_t go, ready;
static _Atomic uint64_t cur_token;
static long long cur_period;
static int cpu_submit = -1, cpu_cancel = -1;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	CHECK_EQ(pthread_setaffinity_np(pthread_self(), sizeof(set), &set), 0);
}

/* Submits each timer, then sleeps in sem_wait: the kernel runs the timer's
 * re-arming task work in this thread, so the timer lives on its CPU. */
static void *submitter(void *arg)
{
	(void)arg;
	pin(cpu_submit);
	for (;;) {
		while (sem_wait(&go) != 0)
			;
		long long ns = cur_period;
		if (ns == 0)
			return NULL;
		struct hoop_op op;
		struct hoop_timespec ts = {ns / 1000000000, ns % 1000000000};
		hoop_op_timeout(&op, &ts, 0, HOOP_TIMEOUT_MULTISHOT);
		op.user_data = 0x5150;
		uint64_t tok = 0;
		CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
		atomic_store(&cur_token, tok);
		sem_post(&ready);
	}
}

static void spin_for(uint64_t ns)
{
	uint64_t t0 = now_ns();
	while (now_ns() - t0 < ns)
		;
}

int main(void)
{
	cpu_set_t set;
	CHECK_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		if (cpu_submit < 0)
			cpu_submit = c;
		else if (cpu_cancel < 0)
			cpu_cancel = c;
	}
	if (cpu_cancel < 0)
		SKIP("needs two CPUs (the race is between two of them)");

	e = t_engine(NULL);
	int r;
	if (hoop_engine_backend(e) != HOOP_BACKEND_URING) {
		hoop_engine_destroy(e);
		SKIP("multishot timeouts need io_uring (the thread pool fails "
		     "them with -EINVAL: engine_cancel_multishot_timeout)");
	}
	CHECK_EQ(sem_init(&go, 0, 0), 0);
	CHECK_EQ(sem_init(&ready, 0, 0), 0);
	pin(cpu_cancel);
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, submitter, NULL), 0);

	static const long long periods[] = {HOOP_ENGINE_MIN_MULTISHOT_NS,
	                                    HOOP_ENGINE_MIN_MULTISHOT_NS + 37000};
	uint64_t start = now_ns(), seed = 88172645463325252ull;
	int k = 0;
	for (; k < TRIES && now_ns() - start < TIME_BUDGET_NS; k++) {
		long long ns = periods[k % 2];
		cur_period = ns;
		sem_post(&go);
		while (sem_wait(&ready) != 0)
			;
		uint64_t tok = atomic_load(&cur_token);
		/* Cancel somewhere in its first three periods. */
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		spin_for(seed % (uint64_t)(3 * ns));
		r = hoop_engine_cancel(e, tok);
		if (r != 0)
			fprintf(stderr, "try %d (period %lld ns): cancel %d\n",
			        k, ns, r);
		CHECK_EQ(r, 0);
		struct hoop_completion c;
		r = hoop_engine_wait(e, tok, &c, 2000000000ll);
		if (r != 0) {
			struct hoop_engine_metrics m;
			hoop_engine_get_metrics(e, &m, sizeof(m));
			fprintf(stderr,
			        "try %d (period %lld ns): cancel said 0, but "
			        "no "
			        "final completion within 2 s (wait %d); "
			        "inflight "
			        "%llu\n",
			        k, ns, r, (unsigned long long)m.inflight);
		}
		CHECK_EQ(r, 0);
		CHECK_EQ(c.token, tok);
		CHECK_EQ(c.user_data, 0x5150);
		CHECK_EQ(c.res, -ECANCELED);
		CHECK_EQ(c.flags & HOOP_CQE_F_MORE, 0);
		CHECK_EQ(hoop_engine_cancel(e, tok), -ENOENT);
	}
	cur_period = 0;
	sem_post(&go);
	CHECK_EQ(pthread_join(th, NULL), 0);
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.completed, m.submitted);
	printf("%d cancels from CPU %d of timers re-armed on CPU %d: each "
	       "ended (%.1f s)\n",
	       k, cpu_cancel, cpu_submit, (double)(now_ns() - start) / 1e9);
	CHECK(k >= 200);
	hoop_engine_destroy(e);
	return T_PASS;
}
