/*
 * Per-opcode fallback: with HOOP_ENGINE_MASK_OPS=read,fsync the io_uring
 * engine treats READ and FSYNC as missing from the kernel and serves them on
 * its thread pool, mixed with ring ops in the same calls, queue and
 * callbacks: results, tokens, chains (a chain holding a masked op runs whole
 * on the pool), cancel by token and by fd, destroy with a masked op blocked.
 * On the thread-pool backend (the _threads and _seccomp variants) the mask
 * changes nothing and every op is a pool op.
 */
#include "helpers.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

static int cb_calls;
static int32_t cb_res;

static void on_done(void *arg, const struct hoop_completion *c)
{
	(void)arg;
	cb_res = c->res;
	__atomic_store_n(&cb_calls, 1, __ATOMIC_RELEASE);
}

int main(void)
{
	/* A bad entry refuses the engine. */
	hoop_engine *e = NULL;
	setenv("HOOP_ENGINE_MASK_OPS", "read,no_such_op", 1);
	int r = hoop_engine_create(&e, NULL);
	if (r == -ENOSYS || r == -EPERM)
		SKIP("io_uring unavailable: %s", hoop_strerror(r));
	bool uring_env = !getenv("HOOP_BACKEND") ||
	                 strcmp(getenv("HOOP_BACKEND"), "threads") != 0;
	if (r == 0) {
		/* Only the thread pool ignores the variable. */
		CHECK_EQ(hoop_engine_backend(e), HOOP_BACKEND_THREADS);
		hoop_engine_destroy(e);
	} else {
		CHECK_EQ(r, -EINVAL);
		CHECK(uring_env);
	}
	setenv("HOOP_ENGINE_MASK_OPS", "read,3", 1); /* 3 = fsync */
	int fds_before = t_fd_count();
	/* Reads of a cached file would complete inline, on neither backend:
	 * switch that off to see where they are served. */
	hoop_engine_params prm;
	memset(&prm, 0, sizeof(prm));
	prm.flags = HOOP_ENGINE_NO_INLINE;
	CHECK_EQ(hoop_engine_create(&e, &prm), 0);
	bool uring = hoop_engine_backend(e) == HOOP_BACKEND_URING;
	unsigned pool_expected = 0, total = 0;

	/* One call: NOPs and READV on the ring, READs on the pool. */
	int fd = t_tmpfile(65536, NULL);
	unsigned char buf[8][4096];
	struct iovec iov[8];
	struct hoop_op ops[16];
	uint64_t tok[16];
	for (int i = 0; i < 8; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = 4096;
		if (i % 2)
			hoop_op_read(&ops[i], fd, buf[i], 4096, (uint64_t)i * 4096);
		else
			hoop_op_readv(&ops[i], fd, &iov[i], 1, (uint64_t)i * 4096);
		ops[i].user_data = 100 + i;
		hoop_op_nop(&ops[8 + i]);
		ops[8 + i].user_data = 200 + i;
	}
	CHECK_EQ(hoop_engine_submit(e, ops, 16, tok, 0), 16);
	pool_expected += uring ? 4 : 16;
	total += 16;
	for (int i = 15; i >= 0; i--) {
		struct hoop_completion c;
		CHECK_EQ(hoop_engine_wait(e, tok[i], &c, -1), 0);
		CHECK_EQ(c.token, tok[i]);
		CHECK_EQ(c.user_data, i < 8 ? 100 + i : 200 + i - 8);
		CHECK_EQ(c.res, i < 8 ? 4096 : 0);
	}
	for (int i = 0; i < 8; i++)
		for (int k = 0; k < 4096; k += 511)
			CHECK_EQ(buf[i][k], t_pattern((uint64_t)i * 4096 + k));
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.pool_ops, pool_expected);

	/* A chain WRITE -> READ(masked) -> NOP runs whole on the pool, in
	 * order: the read sees the write. A NOP chain beside it stays on the
	 * ring. */
	char wbuf[512], rbuf[512];
	memset(wbuf, 'x', sizeof(wbuf));
	memset(rbuf, 0, sizeof(rbuf));
	hoop_op_write(&ops[0], fd, wbuf, 512, 1024);
	ops[0].sqe_flags |= HOOP_SQE_IO_LINK;
	hoop_op_read(&ops[1], fd, rbuf, 512, 1024);
	ops[1].sqe_flags |= HOOP_SQE_IO_LINK;
	hoop_op_nop(&ops[2]);
	hoop_op_nop(&ops[3]);
	ops[3].sqe_flags |= HOOP_SQE_IO_LINK;
	hoop_op_nop(&ops[4]);
	CHECK_EQ(hoop_engine_submit(e, ops, 5, tok, 0), 5);
	pool_expected += uring ? 3 : 5;
	total += 5;
	int32_t want[5] = {512, 512, 0, 0, 0};
	for (int i = 0; i < 5; i++) {
		struct hoop_completion c;
		CHECK_EQ(hoop_engine_wait(e, tok[i], &c, -1), 0);
		CHECK_EQ(c.res, want[i]);
	}
	CHECK_EQ(memcmp(rbuf, wbuf, 512), 0);

	/* A failed masked head cancels the rest of its chain. */
	hoop_op_read(&ops[0], -1, rbuf, 16, 0);
	ops[0].sqe_flags |= HOOP_SQE_IO_LINK;
	hoop_op_nop(&ops[1]);
	CHECK_EQ(hoop_engine_submit(e, ops, 2, tok, 0), 2);
	pool_expected += 2;
	total += 2;
	struct hoop_completion c;
	CHECK_EQ(hoop_engine_wait(e, tok[0], &c, -1), 0);
	CHECK_EQ(c.res, -EBADF);
	CHECK_EQ(hoop_engine_wait(e, tok[1], &c, -1), 0);
	CHECK_EQ(c.res, -ECANCELED);

	/* Callback delivery of a masked op (fsync) from the pool. */
	hoop_op_fsync(&ops[0], fd, 0);
	cb_calls = 0;
	CHECK_EQ(hoop_engine_submit_cb(e, ops, 1, NULL, 0, on_done, NULL), 1);
	pool_expected++;
	total++;
	for (int i = 0;
	     i < 5000 && __atomic_load_n(&cb_calls, __ATOMIC_ACQUIRE) == 0; i++)
		usleep(1000);
	CHECK_EQ(__atomic_load_n(&cb_calls, __ATOMIC_ACQUIRE), 1);
	CHECK_EQ(cb_res, 0);

	/* A queue gets ring and pool completions alike. */
	hoop_queue *q;
	CHECK_EQ(hoop_queue_create(&q, e, 16), 0);
	for (int i = 0; i < 8; i++) {
		if (i % 2)
			hoop_op_read(&ops[i], fd, buf[i], 100, 0);
		else
			hoop_op_nop(&ops[i]);
		ops[i].user_data = 300 + i;
	}
	CHECK_EQ(hoop_queue_add(q, ops, 8, tok, 0), 8);
	pool_expected += uring ? 4 : 8;
	total += 8;
	struct hoop_completion out[8];
	unsigned got = 0;
	while (got < 8) {
		r = hoop_queue_wait(q, out + got, 8 - got, 1, -1);
		CHECK(r > 0);
		got += (unsigned)r;
	}
	unsigned seen = 0;
	for (int i = 0; i < 8; i++) {
		int k = (int)out[i].user_data - 300;
		CHECK(k >= 0 && k < 8);
		CHECK_EQ(out[i].token, tok[k]);
		CHECK_EQ(out[i].res, k % 2 ? 100 : 0);
		seen |= 1u << k;
	}
	CHECK_EQ(seen, 0xff);

	/* Cancel a masked read blocked on an empty pipe, by token and by
	 * fd; a ring NOP beside them is unaffected. */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	hoop_op_read(&ops[0], p[0], rbuf, 16, (uint64_t)-1);
	hoop_op_read(&ops[1], p[0], rbuf, 16, (uint64_t)-1);
	hoop_op_nop(&ops[2]);
	CHECK_EQ(hoop_engine_submit(e, ops, 3, tok, 0), 3);
	pool_expected += uring ? 2 : 3;
	total += 3;
	CHECK_EQ(hoop_engine_wait(e, tok[2], &c, -1), 0);
	CHECK_EQ(c.res, 0);
	CHECK_EQ(hoop_engine_wait(e, tok[0], &c, 1000000), -ETIME);
	CHECK_EQ(hoop_engine_cancel(e, tok[0]), 0);
	CHECK_EQ(hoop_engine_wait(e, tok[0], &c, -1), 0);
	CHECK_EQ(c.res, -ECANCELED);
	CHECK_EQ(hoop_engine_cancel_fd(e, p[0], 0), 1);
	CHECK_EQ(hoop_engine_wait(e, tok[1], &c, -1), 0);
	CHECK_EQ(c.res, -ECANCELED);
	/* Too late: the token is collected. */
	CHECK_EQ(hoop_engine_cancel(e, tok[1]), -ENOENT);

	/* The queue is destroyed with a masked read still blocked: it is
	 * cancelled and completes before destroy returns. */
	hoop_op_read(&ops[0], p[0], rbuf, 16, (uint64_t)-1);
	CHECK_EQ(hoop_queue_add(q, ops, 1, tok, 0), 1);
	pool_expected++;
	total++;
	hoop_queue_destroy(q);

	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.submitted, total);
	CHECK_EQ(m.completed, total);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.pool_ops, pool_expected);
	CHECK_EQ(m.unknown_cqes, 0);

	/* Destroy with a masked read blocked: it gets its result first. */
	hoop_op_read(&ops[0], p[0], rbuf, 16, (uint64_t)-1);
	CHECK_EQ(hoop_engine_submit(e, ops, 1, tok, 0), 1);
	hoop_engine_destroy(e);
	close(p[0]);
	close(p[1]);
	close(fd);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
