/*
 * More operations blocked at once than a backend might have threads: 100
 * reads wait on 100 empty pipes, then the writes that satisfy them are
 * submitted through the same engine. Every operation must get its result
 * (a read stuck in flight must not keep later operations from running).
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define NP 100

int main(void)
{
	int fds = t_fd_count();
	hoop_engine *e = t_engine(NULL);
	int p[NP][2];
	static unsigned char rbuf[NP];
	memset(rbuf, 0xff, sizeof(rbuf));
	static const char wbuf[NP] = {0};
	static uint64_t rtok[NP], wtok[NP];
	struct hoop_op op;
	for (int i = 0; i < NP; i++) {
		CHECK_EQ(pipe2(p[i], O_CLOEXEC), 0);
		hoop_op_read(&op, p[i][0], &rbuf[i], 1, (uint64_t)-1);
		op.user_data = (uint64_t)i;
		CHECK_EQ(hoop_engine_submit(e, &op, 1, &rtok[i], 0), 1);
	}
	for (int i = 0; i < NP; i++) {
		hoop_op_write(&op, p[i][1], &wbuf[i], 1, (uint64_t)-1);
		op.user_data = 1000 + (uint64_t)i;
		CHECK_EQ(hoop_engine_submit(e, &op, 1, &wtok[i], 0), 1);
	}
	/* Bounded: a starved write fails the test instead of hanging it. */
	uint64_t deadline = t_now_ns() + 5000000000ull;
	for (int i = 0; i < NP; i++) {
		struct hoop_completion c;
		int64_t left = (int64_t)(deadline - t_now_ns());
		CHECK_EQ(hoop_engine_wait(e, wtok[i], &c, left > 0 ? left : 0), 0);
		CHECK_EQ(c.res, 1);
		CHECK_EQ(c.user_data, 1000 + i);
		left = (int64_t)(deadline - t_now_ns());
		CHECK_EQ(hoop_engine_wait(e, rtok[i], &c, left > 0 ? left : 0), 0);
		CHECK_EQ(c.res, 1);
		CHECK_EQ(c.user_data, i);
		CHECK_EQ(rbuf[i], 0);
	}
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.submitted, 2 * NP);
	CHECK_EQ(m.completed, 2 * NP);
	CHECK_EQ(m.inflight, 0);
	hoop_engine_destroy(e);
	for (int i = 0; i < NP; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
