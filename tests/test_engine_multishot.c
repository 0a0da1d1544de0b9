/*
 * A multishot poll through a queue: one completion with HOOP_CQE_F_MORE per
 * readiness event, all with the same token; hoop_engine_cancel ends it with
 * a final completion without MORE; the queue's outstanding count returns to
 * 0 only then.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define EVENTS 4

int main(void)
{
	int fds = t_fd_count();
	hoop_engine *e = t_engine(NULL);
	hoop_queue *q = NULL;
	CHECK_EQ(hoop_queue_create(&q, e, 4), 0);
	int p[2];
	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);

	/* Filled by hand: POLL_ADD with the multishot bit in len. */
	struct hoop_op op;
	memset(&op, 0, sizeof(op));
	op.opcode = HOOP_OP_POLL_ADD;
	op.fd = p[0];
	op.op_flags = POLLIN;
	op.len = HOOP_POLL_ADD_MULTI;
	op.user_data = 0xabc;
	uint64_t tok;
	CHECK_EQ(hoop_queue_add(q, &op, 1, &tok, 0), 1);
	CHECK_EQ(hoop_queue_outstanding(q), 1);

	struct hoop_completion c[4];
	if (hoop_engine_backend(e) != HOOP_BACKEND_URING) {
		/* The thread pool has no multishot: it refuses the op with one
		 * final completion, and the queue is settled. */
		CHECK_EQ(hoop_queue_wait(q, c, 4, 1, 5000000000ll), 1);
		CHECK_EQ(c[0].token, tok);
		CHECK_EQ(c[0].res, -EOPNOTSUPP);
		CHECK_EQ(c[0].flags & HOOP_CQE_F_MORE, 0);
		CHECK_EQ(hoop_queue_outstanding(q), 0);
		hoop_queue_destroy(q);
		hoop_engine_destroy(e);
		close(p[0]);
		close(p[1]);
		CHECK_EQ(t_fd_count(), fds);
		SKIP("multishot needs io_uring (the thread pool refused it "
		     "cleanly)");
	}
	CHECK_EQ(hoop_queue_wait(q, c, 4, 1, 2000000), -ETIME);
	for (int i = 0; i < EVENTS; i++) {
		CHECK_EQ(write(p[1], "m", 1), 1);
		CHECK_EQ(hoop_queue_wait(q, c, 4, 1, 5000000000ll), 1);
		CHECK_EQ(c[0].token, tok);
		CHECK_EQ(c[0].user_data, 0xabc);
		CHECK_EQ(c[0].res & POLLIN, POLLIN);
		CHECK_EQ(c[0].flags & HOOP_CQE_F_MORE, HOOP_CQE_F_MORE);
		/* Intermediate completions do not end the operation. */
		CHECK_EQ(hoop_queue_outstanding(q), 1);
		CHECK_EQ(hoop_queue_ready(q), 0);
		char ch;
		CHECK_EQ(read(p[0], &ch, 1), 1);
		CHECK_EQ(ch, 'm');
	}
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.inflight, 1);
	CHECK_EQ(m.completed, 0);

	CHECK_EQ(hoop_engine_cancel(e, tok), 0);
	CHECK_EQ(hoop_queue_wait(q, c, 4, 1, 5000000000ll), 1);
	CHECK_EQ(c[0].token, tok);
	CHECK_EQ(c[0].res, -ECANCELED);
	CHECK_EQ(c[0].flags & HOOP_CQE_F_MORE, 0);
	CHECK_EQ(hoop_queue_outstanding(q), 0);
	CHECK_EQ(hoop_queue_ready(q), 0);
	/* Ended: cancel finds nothing, no further completions. */
	CHECK_EQ(hoop_engine_cancel(e, tok), -ENOENT);
	CHECK_EQ(write(p[1], "n", 1), 1);
	CHECK_EQ(hoop_queue_wait(q, c, 4, 1, 2000000), -ETIME);

	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.submitted, 1);
	CHECK_EQ(m.completed, 1);
	CHECK_EQ(m.cqes >= EVENTS + 1, 1);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.unknown_cqes, 0);
	hoop_queue_destroy(q);
	hoop_engine_destroy(e);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
