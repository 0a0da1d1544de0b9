/*
 * fork() with a live engine (a read blocked in flight, a queue): in the
 * child every call returns -ECHILD and destroy returns without hanging; the
 * parent keeps using the engine and its results are unaffected.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child: report the failing line through the exit status. */
#define CHILD_EQ(a, b)                                                         \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		if (_a != _b) {                                                \
			fprintf(stderr,                                        \
			        "child %s:%d: %s == %lld, expected %lld\n",    \
			        __FILE__, __LINE__, #a, _a, _b);               \
			_exit(1);                                              \
		}                                                              \
	} while (0)

static void never_called(void *arg, const struct hoop_completion *c)
{
	(void)arg;
	(void)c;
	_exit(3);
}

static void child(hoop_engine *e, hoop_queue *q, uint64_t pending_tok, int rfd)
{
	alarm(10); /* a hang ends as a failure, not a stuck test */
	struct hoop_op op;
	uint64_t tok = 0;
	unsigned char b;
	struct hoop_completion c;
	hoop_op_nop(&op);
	CHILD_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), -ECHILD);
	CHILD_EQ(hoop_engine_submit_cb(e, &op, 1, &tok, 0, never_called, NULL),
	         -ECHILD);
	CHILD_EQ(hoop_engine_wait(e, pending_tok, &c, 0), -ECHILD);
	CHILD_EQ(hoop_engine_wait(e, pending_tok, &c, -1), -ECHILD);
	CHILD_EQ(hoop_engine_flush(e), -ECHILD);
	CHILD_EQ(hoop_engine_cancel(e, pending_tok), -ECHILD);
	CHILD_EQ(hoop_engine_cancel_fd(e, rfd, 0), -ECHILD);
	CHILD_EQ(hoop_engine_cancel_all(e), -ECHILD);
	hoop_op_read(&op, rfd, &b, 1, (uint64_t)-1);
	CHILD_EQ(hoop_queue_add(q, &op, 1, NULL, 0), -ECHILD);
	CHILD_EQ(hoop_queue_wait(q, &c, 1, 1, -1), -ECHILD);
	CHILD_EQ(hoop_queue_wait(q, &c, 1, 0, 0), -ECHILD);
	hoop_queue *q2 = NULL;
	CHILD_EQ(hoop_queue_create(&q2, e, 4), -ECHILD);
	hoop_queue_destroy(q);
	hoop_engine_destroy(e);
	_exit(0);
}

int main(void)
{
	int fds = t_fd_count();
	hoop_engine *e = t_engine(NULL);
	hoop_queue *q = NULL;
	CHECK_EQ(hoop_queue_create(&q, e, 8), 0);

	int p[2], qp[2];
	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
	CHECK_EQ(pipe2(qp, O_CLOEXEC), 0);
	unsigned char b = 0, qb = 0;
	struct hoop_op op;
	uint64_t tok, qtok;
	hoop_op_read(&op, p[0], &b, 1, (uint64_t)-1);
	op.user_data = 5;
	CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
	hoop_op_read(&op, qp[0], &qb, 1, (uint64_t)-1);
	op.user_data = 6;
	CHECK_EQ(hoop_queue_add(q, &op, 1, &qtok, 0), 1);

	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		child(e, q, tok, p[0]);
	int status = 0;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);

	/* The parent: both reads are still in flight and complete normally. */
	struct hoop_completion c;
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 0), -ETIME);
	CHECK_EQ(write(p[1], "P", 1), 1);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);
	CHECK_EQ(c.res, 1);
	CHECK_EQ(c.user_data, 5);
	CHECK_EQ(b, 'P');
	CHECK_EQ(write(qp[1], "Q", 1), 1);
	CHECK_EQ(hoop_queue_wait(q, &c, 1, 1, 5000000000ll), 1);
	CHECK_EQ(c.res, 1);
	CHECK_EQ(c.user_data, 6);
	CHECK_EQ(c.token, qtok);
	CHECK_EQ(qb, 'Q');
	/* NOPs after the fork. */
	struct hoop_op nops[16];
	uint64_t toks[16];
	for (int i = 0; i < 16; i++) {
		hoop_op_nop(&nops[i]);
		nops[i].user_data = 300 + i;
	}
	CHECK_EQ(hoop_engine_submit(e, nops, 16, toks, 0), 16);
	for (int i = 0; i < 16; i++) {
		CHECK_EQ(hoop_engine_wait(e, toks[i], &c, 5000000000ll), 0);
		CHECK_EQ(c.res, 0);
		CHECK_EQ(c.user_data, 300 + i);
	}
	CHECK_EQ(hoop_engine_flush(e), 0);
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.submitted, 18);
	CHECK_EQ(m.completed, 18);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.unknown_cqes, 0);
	CHECK_EQ(hoop_queue_outstanding(q), 0);
	hoop_queue_destroy(q);
	hoop_engine_destroy(e);
	close(p[0]);
	close(p[1]);
	close(qp[0]);
	close(qp[1]);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
