/*
 * Injected io_uring_register failures on the cancel path (the engine's
 * cancel uses REGISTER_SYNC_CANCEL):
 *   EINTR twice: retried inside; the cancel succeeds and the owner gets
 *   -ECANCELED;
 *   ENOMEM: the cancel reports -ENOMEM, the operation stays in flight
 *   untouched and completes normally later; nothing is lost.
 * Also: a rule restricted to one opcode leaves other opcodes alone.
 */
#include "helpers.h"
#include "sys.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	int fds0 = t_fd_count();
	int p[2];
	CHECK_EQ(pipe(p), 0);
	hoop_engine_params ep;
	memset(&ep, 0, sizeof(ep));
	ep.backend = HOOP_BACKEND_URING;
	hoop_engine *e;
	int err = hoop_engine_create(&e, &ep);
	if (err == -EPERM || err == -ENOSYS)
		SKIP("io_uring unavailable: %s", hoop_strerror(err));
	CHECK_EQ(err, 0);

	char buf[8];
	struct hoop_op op;
	uint64_t tok;
	struct hoop_completion c;

	/* EINTR on SYNC_CANCEL, twice: retried. */
	hoop_op_read(&op, p[0], buf, sizeof(buf), 0);
	op.user_data = 1;
	CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
	struct hoop_fault_rule r = {EINTR, 0, 2, 1, HOOP_REGISTER_SYNC_CANCEL};
	CHECK_EQ(hoop__fault_set(HOOP_FAULT_REGISTER, &r), 0);
	CHECK_EQ(hoop_engine_cancel(e, tok), 0);
	CHECK_EQ(hoop__fault_hits(HOOP_FAULT_REGISTER), 2);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);
	CHECK_EQ(c.user_data, 1);
	CHECK_EQ(c.res, -ECANCELED);

	/* ENOMEM on SYNC_CANCEL: the error is the cancel's, not the op's. */
	hoop_op_read(&op, p[0], buf, sizeof(buf), 0);
	op.user_data = 2;
	CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
	r.err = ENOMEM;
	r.count = 1;
	CHECK_EQ(hoop__fault_set(HOOP_FAULT_REGISTER, &r), 0);
	CHECK_EQ(hoop_engine_cancel(e, tok), -ENOMEM);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 0), -ETIME);
	CHECK_EQ(write(p[1], "abc", 3), 3);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);
	CHECK_EQ(c.user_data, 2);
	CHECK_EQ(c.res, 3);
	CHECK(memcmp(buf, "abc", 3) == 0);

	/* A rule for another opcode (PROBE) does not touch SYNC_CANCEL. */
	struct hoop_fault_rule other = {EPERM, 0, 0, 1, HOOP_REGISTER_PROBE};
	CHECK_EQ(hoop__fault_set(HOOP_FAULT_REGISTER, &other), 0);
	hoop_op_read(&op, p[0], buf, sizeof(buf), 0);
	op.user_data = 3;
	CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
	CHECK_EQ(hoop_engine_cancel(e, tok), 0);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);
	CHECK_EQ(c.res, -ECANCELED);
	CHECK_EQ(hoop__fault_calls(HOOP_FAULT_REGISTER), 0);
	hoop__fault_clear();

	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.submitted, 3);
	CHECK_EQ(m.completed, 3);
	hoop_engine_destroy(e);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
