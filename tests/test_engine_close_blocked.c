/*
 * hoop_engine_destroy with 1000 reads blocked on empty pipes: every owner
 * gets exactly one -ECANCELED (callbacks, a queue, threads blocked in
 * hoop_engine_wait), the buffers are never touched afterwards, and no fd
 * leaks.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NOPS 1000
#define CANARY 0x5a
#define NWAITERS 8

static int npipes, per_pipe;
static int pipes[NOPS][2];
static unsigned char bufs[NOPS];
static atomic_int cb_count[NOPS];
static atomic_int cb_bad;

static hoop_engine *new_engine(void)
{
	hoop_engine *e = t_engine(NULL);
	CHECK(hoop_engine_max_inflight(e) >= NOPS);
	return e;
}

static void open_pipes(void)
{
	for (int i = 0; i < npipes; i++)
		CHECK_EQ(pipe2(pipes[i], O_CLOEXEC), 0);
	memset(bufs, CANARY, sizeof(bufs));
}

/* After the engine is gone: write into every pipe, the buffers must stay
 * untouched and the bytes must still be there to read; then close. */
static void check_untouched_and_close(void)
{
	for (int i = 0; i < npipes; i++)
		CHECK_EQ(write(pipes[i][1], "y", 1), 1);
	for (int i = 0; i < NOPS; i++)
		CHECK_EQ(bufs[i], CANARY);
	for (int i = 0; i < npipes; i++) {
		char c = 0;
		CHECK_EQ(read(pipes[i][0], &c, 1), 1);
		CHECK_EQ(c, 'y');
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
}

static void prep_reads(struct hoop_op *ops, int first, int n)
{
	for (int k = 0; k < n; k++) {
		int i = first + k;
		hoop_op_read(&ops[k], pipes[i / per_pipe][0], &bufs[i], 1,
		             (uint64_t)-1);
		ops[k].user_data = (uint64_t)i;
	}
}

static void on_done(void *arg, const struct hoop_completion *c)
{
	(void)arg;
	if (c->user_data >= NOPS || c->res != -ECANCELED ||
	    (c->flags & HOOP_CQE_F_MORE)) {
		atomic_fetch_add(&cb_bad, 1);
		return;
	}
	atomic_fetch_add(&cb_count[c->user_data], 1);
}

static void wait_inflight(hoop_engine *e, uint64_t n)
{
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.inflight, n);
	CHECK_EQ(m.completed, 0);
}

/* 1000 callback reads, then destroy. */
static void test_callbacks(void)
{
	int fds = t_fd_count();
	open_pipes();
	hoop_engine *e = new_engine();
	struct hoop_op ops[100];
	uint64_t tok[100];
	for (int first = 0; first < NOPS; first += 100) {
		prep_reads(ops, first, 100);
		CHECK_EQ(hoop_engine_submit_cb(e, ops, 100, tok, 0, on_done, NULL),
		         100);
	}
	wait_inflight(e, NOPS);
	for (int i = 0; i < NOPS; i++)
		CHECK_EQ(atomic_load(&cb_count[i]), 0);
	hoop_engine_destroy(e);
	CHECK_EQ(atomic_load(&cb_bad), 0);
	for (int i = 0; i < NOPS; i++)
		CHECK_EQ(atomic_load(&cb_count[i]), 1);
	check_untouched_and_close();
	CHECK_EQ(t_fd_count(), fds);
}

/* A queue holds 1000 reads; a consumer waits for all of them while
 * cancel_all stops them; then queue and engine go. */
static hoop_queue *the_q;
static struct hoop_completion qout[NOPS];
static int qret;

static void *queue_consumer(void *arg)
{
	(void)arg;
	qret = hoop_queue_wait(the_q, qout, NOPS, NOPS, 10ll * 1000000000);
	return NULL;
}

static void test_queue(void)
{
	int fds = t_fd_count();
	open_pipes();
	hoop_engine *e = new_engine();
	CHECK_EQ(hoop_queue_create(&the_q, e, NOPS), 0);
	struct hoop_op ops[100];
	for (int first = 0; first < NOPS; first += 100) {
		prep_reads(ops, first, 100);
		CHECK_EQ(hoop_queue_add(the_q, ops, 100, NULL, 0), 100);
	}
	CHECK_EQ(hoop_queue_outstanding(the_q), NOPS);
	CHECK_EQ(hoop_queue_ready(the_q), 0);
	wait_inflight(e, NOPS);
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, queue_consumer, NULL), 0);
	/* The exact count is pinned by test_engine_cancel; here what matters
	 * is that every queued read gets its -ECANCELED. */
	CHECK(hoop_engine_cancel_all(e) >= NOPS);
	pthread_join(th, NULL);
	CHECK_EQ(qret, NOPS);
	static unsigned char seen[NOPS];
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < NOPS; i++) {
		CHECK_EQ(qout[i].res, -ECANCELED);
		CHECK_EQ(qout[i].flags & HOOP_CQE_F_MORE, 0);
		CHECK(qout[i].user_data < NOPS);
		CHECK_EQ(seen[qout[i].user_data]++, 0);
	}
	CHECK_EQ(hoop_queue_outstanding(the_q), 0);
	CHECK_EQ(hoop_queue_ready(the_q), 0);
	hoop_queue_destroy(the_q);
	hoop_engine_destroy(e);
	check_untouched_and_close();
	CHECK_EQ(t_fd_count(), fds);
}

/* Threads blocked in hoop_engine_wait when destroy starts. */
struct waiter {
	hoop_engine *e;
	int fd;
	unsigned char buf;
	_Atomic pid_t tid;
	int r;
	struct hoop_completion c;
};
static atomic_int waiting;

static void *blocked_waiter(void *arg)
{
	struct waiter *w = arg;
	struct hoop_op op;
	uint64_t tok;
	hoop_op_read(&op, w->fd, &w->buf, 1, (uint64_t)-1);
	op.user_data = 77;
	CHECK_EQ(hoop_engine_submit(w->e, &op, 1, &tok, 0), 1);
	atomic_store(&w->tid, (pid_t)syscall(SYS_gettid));
	atomic_fetch_add(&waiting, 1);
	w->r = hoop_engine_wait(w->e, tok, &w->c, -1);
	return NULL;
}

/* Whether thread `tid` is blocked in futex(2) (so, here, inside
 * hoop_engine_wait: nothing else between its signal and the wait blocks). */
static bool in_futex(pid_t tid)
{
	char path[64], buf[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return atol(buf) == SYS_futex;
}

static void test_waiters(void)
{
	int fds = t_fd_count();
	hoop_engine *e = new_engine();
	static struct waiter w[NWAITERS];
	int p[NWAITERS][2];
	pthread_t th[NWAITERS];
	for (int i = 0; i < NWAITERS; i++) {
		CHECK_EQ(pipe2(p[i], O_CLOEXEC), 0);
		w[i].e = e;
		w[i].fd = p[i][0];
		w[i].buf = CANARY;
		CHECK_EQ(pthread_create(&th[i], NULL, blocked_waiter, &w[i]), 0);
	}
	/* Every waiter is asleep inside hoop_engine_wait (bounded: 10 s). */
	uint64_t until = t_now_ns() + 10000000000ull;
	for (int i = 0; i < NWAITERS; i++) {
		while (atomic_load(&waiting) < NWAITERS || !in_futex(w[i].tid)) {
			CHECK(t_now_ns() < until);
			usleep(1000);
		}
	}
	wait_inflight(e, NWAITERS);
	hoop_engine_destroy(e);
	for (int i = 0; i < NWAITERS; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(w[i].r, 0);
		CHECK_EQ(w[i].c.res, -ECANCELED);
		CHECK_EQ(w[i].c.user_data, 77);
		CHECK_EQ(write(p[i][1], "z", 1), 1);
		CHECK_EQ(w[i].buf, CANARY);
		close(p[i][0]);
		close(p[i][1]);
	}
	CHECK_EQ(t_fd_count(), fds);
}

int main(void)
{
	struct rlimit rl;
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	/* One pipe per read if the fd limit allows 2000 more, else 10 reads on
	 * each of 100 pipes. */
	if (rl.rlim_cur >= 2 * NOPS + 256) {
		npipes = NOPS;
		per_pipe = 1;
	} else {
		npipes = 100;
		per_pipe = 10;
	}
	test_callbacks();
	test_queue();
	test_waiters();
	return T_PASS;
}
