/*
 * An SQPOLL engine with a 1 ms idle: 4 threads submit bursts with 5 ms
 * pauses between them, so the kernel's poller goes to sleep again and again
 * and must be woken for the next burst. Everything completes, bounded.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 4
#define BURSTS 20
#define BURST 16

static hoop_engine *e;
static atomic_uint wrong, done;

static void *worker(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	int fd = t_tmpfile(BURST * 16, NULL);
	unsigned char buf[BURST][16];
	for (unsigned b = 0; b < BURSTS; b++) {
		uint64_t tok[BURST];
		/* One op per submit call: each may find the poller asleep. */
		for (unsigned k = 0; k < BURST; k++) {
			struct hoop_op op;
			if (k % 2)
				hoop_op_read(&op, fd, buf[k], 16, k * 16);
			else
				hoop_op_nop(&op);
			op.user_data = ((uint64_t)id << 32) | (b * BURST + k);
			CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok[k], 0), 1);
		}
		for (unsigned k = 0; k < BURST; k++) {
			struct hoop_completion c;
			/* Bounded: a missed wakeup fails instead of hanging. */
			int r = hoop_engine_wait(e, tok[k], &c, 5000000000ll);
			CHECK_EQ(r, 0);
			int32_t want = k % 2 ? 16 : 0;
			if (c.res != want || c.user_data != (((uint64_t)id << 32) |
			                                     (b * BURST + k)))
				atomic_fetch_add(&wrong, 1);
			if (want && buf[k][5] != t_pattern(k * 16 + 5))
				atomic_fetch_add(&wrong, 1);
			atomic_fetch_add(&done, 1);
		}
		usleep(5000); /* longer than sq_thread_idle: the poller sleeps */
	}
	close(fd);
	return NULL;
}

int main(void)
{
	int fds = t_fd_count();
	hoop_engine_params prm;
	memset(&prm, 0, sizeof(prm));
	prm.flags = HOOP_ENGINE_SQPOLL;
	prm.sq_thread_idle = 1;
	prm.sq_entries = 64;
	int r = hoop_engine_create(&e, &prm);
	if (r == -ENOSYS || r == -EPERM)
		SKIP("io_uring or SQPOLL unavailable: %s", hoop_strerror(r));
	CHECK_EQ(r, 0);
	if (hoop_engine_backend(e) != HOOP_BACKEND_URING) {
		hoop_engine_destroy(e);
		SKIP("SQPOLL is an io_uring mode; this engine is served by the "
		     "thread pool");
	}

	uint64_t t0 = t_now_ns();
	pthread_t th[NTHREADS];
	for (unsigned i = 0; i < NTHREADS; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i),
		         0);
	for (unsigned i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	uint64_t ms = (t_now_ns() - t0) / 1000000;
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	printf("%u ops in %llu ms, enters %llu\n", atomic_load(&done),
	       (unsigned long long)ms, (unsigned long long)m.enters);
	CHECK_EQ(atomic_load(&wrong), 0);
	CHECK_EQ(atomic_load(&done), NTHREADS * BURSTS * BURST);
	CHECK_EQ(m.submitted, NTHREADS * BURSTS * BURST);
	CHECK_EQ(m.completed, NTHREADS * BURSTS * BURST);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.unknown_cqes, 0);
	hoop_engine_destroy(e);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
