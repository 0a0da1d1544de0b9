/*
 * A chain ends with its call: IO_LINK / IO_HARDLINK on the last op of a
 * submit call is cleared, so with batching (several callers' SQEs entered
 * together) it cannot tie another caller's op to this one. A chain inside
 * one call stays intact.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	int fds = t_fd_count();
	hoop_engine *e;
	hoop_engine_params prm;
	memset(&prm, 0, sizeof(prm));
	prm.batch_count = 64; /* nothing enters until hoop_engine_flush */
	e = t_engine(&prm);
	/* The thread pool has no SQEs to hold back: flush enters nothing. */
	int flushed = hoop_engine_backend(e) == HOOP_BACKEND_URING ? 2 : 0;
	int p[2];
	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);

	/* Caller A: a read that blocks, its only op flagged IO_LINK (then
	 * HARDLINK); caller B: a NOP; one enter takes both. */
	const uint8_t links[2] = {HOOP_SQE_IO_LINK, HOOP_SQE_IO_HARDLINK};
	char buf[2][8];
	for (int k = 0; k < 2; k++) {
		struct hoop_op rd, nop;
		uint64_t rtok, ntok;
		struct hoop_completion c;
		memset(buf[k], 0, sizeof(buf[k]));
		hoop_op_read(&rd, p[0], buf[k], 5, (uint64_t)-1);
		rd.sqe_flags = links[k];
		rd.user_data = 1;
		hoop_op_nop(&nop);
		nop.user_data = 2;
		CHECK_EQ(hoop_engine_submit(e, &rd, 1, &rtok, 0), 1);
		CHECK_EQ(hoop_engine_submit(e, &nop, 1, &ntok, 0), 1);
		CHECK_EQ(hoop_engine_flush(e), flushed);
		/* Before the fix the NOP waited for the read, then got
		 * -ECANCELED; now it completes on its own. */
		CHECK_EQ(hoop_engine_wait(e, ntok, &c, 10000000000ll), 0);
		CHECK_EQ(c.user_data, 2);
		CHECK_EQ(c.res, 0);
		CHECK_EQ(hoop_engine_wait(e, rtok, &c, 0), -ETIME);
		CHECK_EQ(write(p[1], "hello", 5), 5);
		CHECK_EQ(hoop_engine_wait(e, rtok, &c, 10000000000ll), 0);
		CHECK_EQ(c.user_data, 1);
		CHECK_EQ(c.res, 5);
		CHECK_EQ(memcmp(buf[k], "hello", 5), 0);
	}

	/* Within one call the chain holds: the NOP waits for the read. */
	struct hoop_op two[2];
	uint64_t tok[2];
	struct hoop_completion c;
	char b2[4] = {0};
	hoop_op_read(&two[0], p[0], b2, 3, (uint64_t)-1);
	two[0].sqe_flags = HOOP_SQE_IO_LINK;
	two[0].user_data = 3;
	hoop_op_nop(&two[1]);
	two[1].user_data = 4;
	CHECK_EQ(hoop_engine_submit(e, two, 2, tok, 0), 2);
	CHECK_EQ(hoop_engine_flush(e), flushed);
	CHECK_EQ(hoop_engine_wait(e, tok[1], &c, 200000000ll), -ETIME);
	CHECK_EQ(write(p[1], "abc", 3), 3);
	CHECK_EQ(hoop_engine_wait(e, tok[0], &c, 10000000000ll), 0);
	CHECK_EQ(c.res, 3);
	CHECK_EQ(memcmp(b2, "abc", 3), 0);
	CHECK_EQ(hoop_engine_wait(e, tok[1], &c, 10000000000ll), 0);
	CHECK_EQ(c.user_data, 4);
	CHECK_EQ(c.res, 0);

	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.submitted, 6);
	CHECK_EQ(m.completed, 6);
	CHECK_EQ(m.inflight, 0);
	hoop_engine_destroy(e);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
