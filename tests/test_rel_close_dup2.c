/*
 * Closing or replacing an fd while a read on it is in flight
 * (RELIABILITY.md row 19), on an engine:
 *   close(fd) does not cancel the read: it stays in flight (the kernel
 *   holds its own reference to the pipe) and completes when data arrives
 *   through the write end;
 *   dup2(other, fd) over the pending fd: the read still belongs to the
 *   original pipe and gets that pipe's data, not the new file's;
 *   hoop_engine_cancel_fd(fd) before close is the way to stop such reads:
 *   it cancels them (count 2) and their owners get -ECANCELED.
 * No fd leaks.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static hoop_engine *e;

static uint64_t read_on(int fd, char *buf, uint64_t tag)
{
	struct hoop_op op;
	uint64_t tok;
	hoop_op_read(&op, fd, buf, 8, 0);
	op.user_data = tag;
	CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
	return tok;
}

int main(void)
{
	int fds0 = t_fd_count();
	hoop_engine_params ep;
	memset(&ep, 0, sizeof(ep));
	ep.backend = HOOP_BACKEND_URING;
	int err = hoop_engine_create(&e, &ep);
	if (err == -EPERM || err == -ENOSYS)
		SKIP("io_uring unavailable: %s", hoop_strerror(err));
	CHECK_EQ(err, 0);
	struct hoop_completion c;
	char b1[8], b2[8], b3[8], b4[8];

	/* close() does not cancel. */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	uint64_t t1 = read_on(p[0], b1, 1);
	CHECK_EQ(hoop_engine_wait(e, t1, &c, 20000000), -ETIME);
	CHECK_EQ(close(p[0]), 0);
	CHECK_EQ(hoop_engine_wait(e, t1, &c, 50000000), -ETIME);
	CHECK_EQ(write(p[1], "closed", 6), 6);
	CHECK_EQ(hoop_engine_wait(e, t1, &c, 5000000000ll), 0);
	CHECK_EQ(c.res, 6);
	CHECK(memcmp(b1, "closed", 6) == 0);
	close(p[1]);

	/* dup2 over the pending fd: the read keeps the original pipe. */
	int a[2], b[2];
	CHECK_EQ(pipe(a), 0);
	CHECK_EQ(pipe(b), 0);
	uint64_t t2 = read_on(a[0], b2, 2);
	CHECK_EQ(hoop_engine_wait(e, t2, &c, 20000000), -ETIME);
	CHECK_EQ(dup2(b[0], a[0]), a[0]); /* a[0] now names pipe b */
	CHECK_EQ(write(b[1], "newpipe", 7), 7);
	CHECK_EQ(hoop_engine_wait(e, t2, &c, 50000000), -ETIME);
	CHECK_EQ(write(a[1], "oldpipe", 7), 7);
	CHECK_EQ(hoop_engine_wait(e, t2, &c, 5000000000ll), 0);
	CHECK_EQ(c.res, 7);
	CHECK(memcmp(b2, "oldpipe", 7) == 0);
	char rest[8];
	CHECK_EQ(read(a[0], rest, sizeof(rest)), 7); /* pipe b's bytes */
	CHECK(memcmp(rest, "newpipe", 7) == 0);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);

	/* cancel_fd first, then close: both reads end with -ECANCELED. */
	CHECK_EQ(pipe(p), 0);
	uint64_t t3 = read_on(p[0], b3, 3), t4 = read_on(p[0], b4, 4);
	CHECK_EQ(hoop_engine_cancel_fd(e, p[0], 0), 2);
	CHECK_EQ(close(p[0]), 0);
	CHECK_EQ(hoop_engine_wait(e, t3, &c, 5000000000ll), 0);
	CHECK_EQ(c.res, -ECANCELED);
	CHECK_EQ(hoop_engine_wait(e, t4, &c, 5000000000ll), 0);
	CHECK_EQ(c.res, -ECANCELED);
	close(p[1]);

	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.submitted, 4);
	CHECK_EQ(m.completed, 4);
	hoop_engine_destroy(e);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
