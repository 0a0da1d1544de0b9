/* The engine: NOPs and reads submitted and waited on by token. */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	hoop_engine *e = t_engine(NULL);
	/* Forced by the environment, the backend is that one; automatic, it is
	 * whichever this process allows (the seccomp variant blocks io_uring). */
	const char *env = getenv("HOOP_BACKEND");
	if (env && strcmp(env, "threads") == 0)
		CHECK_EQ(hoop_engine_backend(e), HOOP_BACKEND_THREADS);
	else if (env && strcmp(env, "uring") == 0)
		CHECK_EQ(hoop_engine_backend(e), HOOP_BACKEND_URING);
	struct hoop_probe probe = {.size = sizeof(struct hoop_probe)};
	CHECK_EQ(hoop_probe_run(&probe), 0);
	CHECK_EQ(hoop_engine_backend(e), probe.auto_backend);
	CHECK(hoop_engine_backend_reason(e) != NULL);

	/* 32 NOPs with distinct tags, collected in reverse order. */
	struct hoop_op ops[32];
	uint64_t tok[32];
	for (int i = 0; i < 32; i++) {
		hoop_op_nop(&ops[i]);
		ops[i].user_data = 1000 + i;
	}
	CHECK_EQ(hoop_engine_submit(e, ops, 32, tok, 0), 32);
	for (int i = 31; i >= 0; i--) {
		struct hoop_completion c;
		CHECK_EQ(hoop_engine_wait(e, tok[i], &c, -1), 0);
		CHECK_EQ(c.user_data, 1000 + i);
		CHECK_EQ(c.token, tok[i]);
		CHECK_EQ(c.res, 0);
	}
	/* A collected token is gone. */
	struct hoop_completion c;
	CHECK_EQ(hoop_engine_wait(e, tok[0], &c, 0), -ENOENT);
	CHECK_EQ(hoop_engine_wait(e, 0, &c, 0), -ENOENT);

	/* Reads: the bytes and the count are right. */
	int fd = t_tmpfile(65536, NULL);
	unsigned char buf[4][4096];
	for (int i = 0; i < 4; i++)
		hoop_op_read(&ops[i], fd, buf[i], 4096, (uint64_t)i * 8192);
	CHECK_EQ(hoop_engine_submit(e, ops, 4, tok, 0), 4);
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(hoop_engine_wait(e, tok[i], &c, -1), 0);
		CHECK_EQ(c.res, 4096);
		for (int k = 0; k < 4096; k++)
			CHECK_EQ(buf[i][k], t_pattern((uint64_t)i * 8192 + k));
	}
	/* A bad fd is the op's own error. */
	hoop_op_read(&ops[0], -1, buf[0], 16, 0);
	CHECK_EQ(hoop_engine_submit(e, ops, 1, tok, 0), 1);
	CHECK_EQ(hoop_engine_wait(e, tok[0], &c, -1), 0);
	CHECK_EQ(c.res, -EBADF);

	/* A pipe read with nothing written times out, then completes. */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	hoop_op_read(&ops[0], p[0], buf[0], 16, (uint64_t)-1);
	CHECK_EQ(hoop_engine_submit(e, ops, 1, tok, 0), 1);
	CHECK_EQ(hoop_engine_wait(e, tok[0], &c, 5000000), -ETIME);
	CHECK_EQ(write(p[1], "hello", 5), 5);
	CHECK_EQ(hoop_engine_wait(e, tok[0], &c, -1), 0);
	CHECK_EQ(c.res, 5);
	CHECK_EQ(memcmp(buf[0], "hello", 5), 0);

	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.submitted, 38);
	CHECK_EQ(m.completed, 38);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.unknown_cqes, 0);
	close(p[0]);
	close(p[1]);
	close(fd);
	hoop_engine_destroy(e);
	return T_PASS;
}
