/*
 * Injected EINTR, EAGAIN and EBUSY from io_uring_enter under an engine
 * (RELIABILITY.md row 10): the engine reaps and retries inside, so none of
 * them is ever an operation's result. Four threads each submit 500 NOPs and
 * pipe reads and wait for them while every second, third or fifth enter
 * fails; every owner gets its own real result once and the counts balance.
 */
#include "helpers.h"
#include "sys.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define THREADS 4
#define PER_THREAD 500

static hoop_engine *eng;
static atomic_ulong delivered;

static void *worker(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	int p[2];
	CHECK_EQ(pipe(p), 0);
	for (unsigned i = 0; i < PER_THREAD; i++) {
		struct hoop_op op[2];
		char buf[4] = {0};
		uint64_t tok[2];
		hoop_op_nop(&op[0]);
		op[0].user_data = ((uint64_t)id << 32) | (2 * i);
		hoop_op_read(&op[1], p[0], buf, sizeof(buf), 0);
		op[1].user_data = ((uint64_t)id << 32) | (2 * i + 1);
		CHECK_EQ(hoop_engine_submit(eng, op, 2, tok, 0), 2);
		CHECK_EQ(write(p[1], "wxyz", 4), 4);
		for (int k = 0; k < 2; k++) {
			struct hoop_completion c;
			CHECK_EQ(hoop_engine_wait(eng, tok[k], &c, 10000000000ll),
			         0);
			CHECK_EQ(c.user_data, op[k].user_data);
			CHECK_EQ(c.token, tok[k]);
			CHECK_EQ(c.res, k == 0 ? 0 : 4);
			atomic_fetch_add(&delivered, 1);
		}
		CHECK(memcmp(buf, "wxyz", 4) == 0);
	}
	close(p[0]);
	close(p[1]);
	return NULL;
}

static void run(int err, unsigned every)
{
	struct hoop_fault_rule r = {err, 1, 0, every, -1};
	hoop__fault_clear();
	hoop_engine_params ep;
	memset(&ep, 0, sizeof(ep));
	ep.backend = HOOP_BACKEND_URING;
	ep.sq_entries = 32;
	int e = hoop_engine_create(&eng, &ep);
	if (e == -EPERM || e == -ENOSYS)
		SKIP("io_uring unavailable: %s", hoop_strerror(e));
	CHECK_EQ(e, 0);
	atomic_store(&delivered, 0);
	CHECK_EQ(hoop__fault_set(HOOP_FAULT_ENTER, &r), 0);

	pthread_t th[THREADS];
	for (unsigned i = 0; i < THREADS; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i),
		         0);
	for (unsigned i = 0; i < THREADS; i++)
		CHECK_EQ(pthread_join(th[i], NULL), 0);

	unsigned long hits = hoop__fault_hits(HOOP_FAULT_ENTER);
	hoop__fault_clear();
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(eng, &m, sizeof(m)), 0);
	fprintf(stderr,
	        "%s every %u: %lu enters failed on purpose, %llu "
	        "operations\n",
	        hoop_strerror(-err), every, hits, (unsigned long long)m.completed);
	CHECK(hits > 0);
	CHECK_EQ(atomic_load(&delivered), 2 * THREADS * PER_THREAD);
	CHECK_EQ(m.submitted, 2 * THREADS * PER_THREAD);
	CHECK_EQ(m.completed, m.submitted);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.unknown_cqes, 0);
	hoop_engine_destroy(eng);
	eng = NULL;
}

int main(void)
{
	int fds0 = t_fd_count();
	run(EINTR, 2);
	run(EAGAIN, 3);
	run(EBUSY, 5);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
