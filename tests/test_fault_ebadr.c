/*
 * A completion dropped despite NODROP: io_uring_enter gives -EBADR
 * (RELIABILITY.md row 12), made to happen with the fault hook. The engine
 * must treat it as fatal: every waiter, callback and queue with an
 * operation in flight gets a final result (-EBADR), nobody hangs, new work
 * is refused with -EBADR, and destroy still returns and frees everything.
 * Owners are told only once the kernel is done with their buffers (the
 * engine cancels everything in the ring first): data written to the pipe
 * afterwards stays in the pipe, no buffer receives it.
 */
#include "helpers.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define WAITERS 4

static hoop_engine *eng;
static int pipefd[2];
static char bufs[WAITERS + 8][16];
static atomic_int cb_calls, cb_res;

struct waiter {
	uint64_t tok;
	int ret;
	struct hoop_completion c;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	w->ret = hoop_engine_wait(eng, w->tok, &w->c, 20000000000ll);
	return NULL;
}

static void on_done(void *arg, const struct hoop_completion *c)
{
	(void)arg;
	atomic_store(&cb_res, c->res);
	atomic_fetch_add(&cb_calls, 1);
}

int main(void)
{
	int fds0 = t_fd_count();
	CHECK_EQ(pipe(pipefd), 0);
	hoop_engine_params ep;
	memset(&ep, 0, sizeof(ep));
	ep.backend = HOOP_BACKEND_URING;
	int e = hoop_engine_create(&eng, &ep);
	if (e == -EPERM || e == -ENOSYS)
		SKIP("io_uring unavailable: %s", hoop_strerror(e));
	CHECK_EQ(e, 0);
	hoop_queue *q;
	CHECK_EQ(hoop_queue_create(&q, eng, 4), 0);

	/* Reads that block: owners wait in threads, by callback, in a queue. */
	struct waiter w[WAITERS];
	pthread_t th[WAITERS];
	for (int i = 0; i < WAITERS; i++) {
		struct hoop_op op;
		hoop_op_read(&op, pipefd[0], bufs[i], sizeof(bufs[i]), 0);
		op.user_data = (uint64_t)i;
		CHECK_EQ(hoop_engine_submit(eng, &op, 1, &w[i].tok, 0), 1);
		CHECK_EQ(pthread_create(&th[i], NULL, wait_thread, &w[i]), 0);
	}
	struct hoop_op op;
	uint64_t cbtok, qtok[2];
	hoop_op_read(&op, pipefd[0], bufs[WAITERS], 16, 0);
	CHECK_EQ(hoop_engine_submit_cb(eng, &op, 1, &cbtok, 0, on_done, NULL), 1);
	struct hoop_op qops[2];
	hoop_op_read(&qops[0], pipefd[0], bufs[WAITERS + 1], 16, 0);
	hoop_op_read(&qops[1], pipefd[0], bufs[WAITERS + 2], 16, 0);
	qops[0].user_data = 70;
	qops[1].user_data = 71;
	CHECK_EQ(hoop_queue_add(q, qops, 2, qtok, 0), 2);

	/* From now on every io_uring_enter reports a dropped CQE. The next
	 * submission (or the engine thread's next wait) meets it. */
	struct hoop_fault_rule r = {EBADR, 0, 0, 1, -1};
	CHECK_EQ(hoop__fault_set(HOOP_FAULT_ENTER, &r), 0);
	hoop_op_nop(&op);
	uint64_t ntok;
	int sr = hoop_engine_submit(eng, &op, 1, &ntok, 0);
	CHECK(sr == 1 || sr == -EBADR);

	for (int i = 0; i < WAITERS; i++) {
		CHECK_EQ(pthread_join(th[i], NULL), 0);
		CHECK_EQ(w[i].ret, 0);
		CHECK_EQ(w[i].c.user_data, i);
		CHECK_EQ(w[i].c.res, -EBADR);
	}
	if (sr == 1) {
		struct hoop_completion c;
		CHECK_EQ(hoop_engine_wait(eng, ntok, &c, 20000000000ll), 0);
		CHECK_EQ(c.res, -EBADR);
	}
	struct hoop_completion qc[2];
	CHECK_EQ(hoop_queue_wait(q, qc, 2, 2, 20000000000ll), 2);
	for (int i = 0; i < 2; i++) {
		CHECK(qc[i].user_data == 70 || qc[i].user_data == 71);
		CHECK_EQ(qc[i].res, -EBADR);
	}
	while (atomic_load(&cb_calls) == 0)
		usleep(1000);
	CHECK_EQ(atomic_load(&cb_calls), 1);
	CHECK_EQ(atomic_load(&cb_res), -EBADR);
	CHECK(hoop__fault_hits(HOOP_FAULT_ENTER) >= 1);

	/* Every read was cancelled in the kernel before its owner heard:
	 * nothing takes these bytes from the pipe, no buffer changes. */
	char more[64], back[65];
	memset(more, 'x', sizeof(more));
	CHECK_EQ(write(pipefd[1], more, sizeof(more)), 64);
	usleep(20000);
	/* Non-blocking: before the fix the kernel's reads took the bytes. */
	CHECK_EQ(fcntl(pipefd[0], F_SETFL, O_NONBLOCK), 0);
	CHECK_EQ(read(pipefd[0], back, sizeof(back)), 64);
	CHECK_EQ(memcmp(back, more, 64), 0);
	for (int i = 0; i < WAITERS + 8; i++)
		for (int j = 0; j < 16; j++)
			CHECK_EQ(bufs[i][j], 0);

	/* The engine refuses new work with the ring's error. */
	CHECK_EQ(hoop_engine_submit(eng, &op, 1, &ntok, 0), -EBADR);
	CHECK_EQ(hoop_queue_add(q, &op, 1, NULL, 0), -EBADR);
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(eng, &m, sizeof(m)), 0);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.completed, m.submitted);

	hoop_queue_destroy(q);
	hoop_engine_destroy(eng);
	hoop__fault_clear();
	close(pipefd[0]);
	close(pipefd[1]);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
