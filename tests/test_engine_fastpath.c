/*
 * The inline fast path (reads and writes tried with RWF_NOWAIT in the
 * submitting thread): results and counts equal to the slow path
 * (HOOP_ENGINE_NO_INLINE) for cached reads, short files, EOF, holes; never
 * taken for O_DIRECT or O_APPEND files, pipes, sockets, offset -1, linked
 * ops or callbacks; an inline-completed op cannot be cancelled (-ENOENT);
 * queue delivery; metrics stay consistent. Runs on both backends.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static hoop_engine *make(unsigned flags)
{
	hoop_engine_params p;
	memset(&p, 0, sizeof(p));
	p.flags = flags;
	hoop_engine *e;
	e = t_engine(&p);
	return e;
}

/*
 * 1 if the file system of the test files (/tmp) takes RWF_NOWAIT reads, as
 * the inline path needs; tmpfs refuses them (EOPNOTSUPP) on 6.1 and 6.12
 * (the initramfs's /tmp under QEMU): the inline path is then never taken,
 * and each op must go to the ring (or the pool) with the same result.
 */
static int nowait_ok = 1;

/*
 * Run `op` on the fast engine and on the slow one; the results must match
 * `want`, and the fast engine's inline count must grow by `inl` (0 or 1).
 * `buf`/`len` (may be NULL): compare what both runs read.
 */
static void both(hoop_engine *fast, hoop_engine *slow, struct hoop_op *op,
                 int32_t want, int inl, unsigned char *buf, size_t len)
{
	unsigned char copy[8192];
	CHECK(len <= sizeof(copy));
	uint64_t before = t_inline_ops(fast);
	if (buf)
		memset(buf, 0xee, len);
	op->user_data = 7;
	CHECK_EQ(t_engine_one(fast, op), want);
	CHECK_EQ(t_inline_ops(fast), before + (uint64_t)inl);
	if (buf) {
		memcpy(copy, buf, len);
		memset(buf, 0xee, len);
	}
	CHECK_EQ(t_engine_one(slow, op), want);
	CHECK_EQ(t_inline_ops(slow), 0);
	if (buf)
		CHECK_EQ(memcmp(copy, buf, len), 0);
}

int main(void)
{
	int fds_before = t_fd_count();
	hoop_engine *fast = make(0), *slow = NULL;
	CHECK_EQ(hoop_engine_create(&slow, &(hoop_engine_params){.flags = 0x80}),
	         -EINVAL);
	slow = make(HOOP_ENGINE_NO_INLINE);
	static unsigned char buf[8192] __attribute__((aligned(4096)));
	struct hoop_op op;

	/* A cached file (just written): inline, same bytes. */
	char path[64];
	int fd = t_tmpfile(10000, path);
	unlink(path);
	{
		struct iovec v = {buf, 1};
		if (preadv2(fd, &v, 1, 0, RWF_NOWAIT) < 0) {
			CHECK_EQ(errno, EOPNOTSUPP);
			nowait_ok = 0;
			printf("SKIP part: /tmp refuses RWF_NOWAIT reads "
			       "(tmpfs on "
			       "this kernel): no op can go inline; checking "
			       "they all take the ring or the pool\n");
		}
	}
	hoop_op_read(&op, fd, buf, 4096, 4096);
	both(fast, slow, &op, 4096, nowait_ok, buf, 4096);
	for (int k = 0; k < 4096; k++)
		CHECK_EQ(buf[k], t_pattern(4096 + (uint64_t)k));
	/* readv over two buffers */
	struct iovec iov[2] = {{buf, 100}, {buf + 100, 200}};
	hoop_op_readv(&op, fd, iov, 2, 50);
	both(fast, slow, &op, 300, nowait_ok, buf, 300);
	CHECK_EQ(buf[0], t_pattern(50));
	CHECK_EQ(buf[299], t_pattern(349));
	/* Short file: 10000 bytes, a read at 8192 gets 1808 (slow path). */
	hoop_op_read(&op, fd, buf, 4096, 8192);
	both(fast, slow, &op, 1808, 0, buf, 4096);
	/* At and past EOF: 0. */
	hoop_op_read(&op, fd, buf, 4096, 10000);
	both(fast, slow, &op, 0, 0, NULL, 0);
	hoop_op_read(&op, fd, buf, 4096, 1 << 20);
	both(fast, slow, &op, 0, 0, NULL, 0);
	/* Offset -1 (file position) is left to the ring / pool. */
	hoop_op_read(&op, fd, buf, 16, (uint64_t)-1);
	uint64_t before = t_inline_ops(fast);
	CHECK_EQ(t_engine_one(fast, &op), 16);
	CHECK_EQ(t_inline_ops(fast), before);
	/* A bad fd: the same error either way, not inline. */
	hoop_op_read(&op, -1, buf, 16, 0);
	both(fast, slow, &op, -EBADF, 0, NULL, 0);

	/* A hole: zeros either way (inline or not, depending on the cache). */
	int hfd = t_tmpfile(0, path);
	unlink(path);
	CHECK_EQ(ftruncate(hfd, 1 << 20), 0);
	CHECK_EQ(pwrite(hfd, "x", 1, 512 * 1024), 1);
	hoop_op_read(&op, hfd, buf, 4096, 64 * 1024);
	CHECK_EQ(t_engine_one(slow, &op), 4096);
	for (int k = 0; k < 4096; k++)
		CHECK_EQ(buf[k], 0);
	memset(buf, 0xee, 4096);
	CHECK_EQ(t_engine_one(fast, &op), 4096);
	for (int k = 0; k < 4096; k++)
		CHECK_EQ(buf[k], 0);

	/* A single write: the same result and file contents either way. */
	unsigned char w[512];
	memset(w, 'w', sizeof(w));
	hoop_op_write(&op, hfd, w, 512, 4096);
	before = t_inline_ops(fast);
	CHECK_EQ(t_engine_one(fast, &op), 512);
	CHECK(t_inline_ops(fast) <= before + 1);
	CHECK_EQ(pread(hfd, buf, 512, 4096), 512);
	CHECK_EQ(memcmp(buf, w, 512), 0);
	/* Writes in a longer call never go inline. */
	struct hoop_op two[2];
	uint64_t tk[2];
	struct hoop_completion c;
	hoop_op_write(&two[0], hfd, w, 512, 8192);
	hoop_op_write(&two[1], hfd, w, 512, 16384);
	before = t_inline_ops(fast);
	CHECK_EQ(hoop_engine_submit(fast, two, 2, tk, 0), 2);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(hoop_engine_wait(fast, tk[i], &c, -1), 0);
		CHECK_EQ(c.res, 512);
	}
	CHECK_EQ(t_inline_ops(fast), before);

	/* O_APPEND: never inline (a retried short write would append twice). */
	int afd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	CHECK(afd >= 0);
	unlink(path);
	hoop_op_write(&op, afd, w, 100, 0);
	before = t_inline_ops(fast);
	CHECK_EQ(t_engine_one(fast, &op), 100);
	CHECK_EQ(t_inline_ops(fast), before);
	CHECK_EQ(lseek(afd, 0, SEEK_END), 100);

	/* O_DIRECT: never inline (it would wait for the device here). */
	int dfd = open("/tmp", O_TMPFILE | O_RDWR | O_DIRECT | O_CLOEXEC, 0600);
	if (dfd < 0)
		dfd = open("/var/tmp",
		           O_TMPFILE | O_RDWR | O_DIRECT | O_CLOEXEC, 0600);
	if (dfd >= 0) {
		memset(buf, 'd', 4096);
		CHECK_EQ(pwrite(dfd, buf, 4096, 0), 4096);
		hoop_op_read(&op, dfd, buf, 4096, 0);
		both(fast, slow, &op, 4096, 0, buf, 4096);
		CHECK_EQ(buf[4095], 'd');
		close(dfd);
	} else {
		fprintf(stderr,
		        "note: no O_DIRECT file in /tmp or /var/tmp (%s); "
		        "that case is not checked\n",
		        strerror(errno));
	}

	/* A pipe with data, read at offset 0: not inline (a stream). */
	int p[2];
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(write(p[1], "hello", 5), 5);
	hoop_op_read(&op, p[0], buf, 16, 0);
	before = t_inline_ops(fast);
	CHECK_EQ(t_engine_one(fast, &op), 5);
	CHECK_EQ(t_inline_ops(fast), before);
	hoop_op_write(&op, p[1], "abc", 3, 0);
	CHECK_EQ(t_engine_one(fast, &op), 3);
	CHECK_EQ(t_inline_ops(fast), before);
	CHECK_EQ(read(p[0], buf, 16), 3);
	/* A socket: same. */
	int cs, ss;
	CHECK_EQ(t_tcp_pair(&cs, &ss), 0);
	hoop_op_write(&op, cs, "ping", 4, 0);
	CHECK_EQ(t_engine_one(fast, &op), 4);
	hoop_op_read(&op, ss, buf, 16, 0);
	CHECK_EQ(t_engine_one(fast, &op), 4);
	CHECK_EQ(memcmp(buf, "ping", 4), 0);
	CHECK_EQ(t_inline_ops(fast), before);

	/* Linked reads: not inline; a callback: not inline. */
	hoop_op_read(&two[0], fd, buf, 100, 0);
	two[0].sqe_flags |= HOOP_SQE_IO_LINK;
	hoop_op_read(&two[1], fd, buf + 100, 100, 100);
	CHECK_EQ(hoop_engine_submit(fast, two, 2, tk, 0), 2);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(hoop_engine_wait(fast, tk[i], &c, -1), 0);
		CHECK_EQ(c.res, 100);
	}
	CHECK_EQ(t_inline_ops(fast), before);

	/* Cancel of an op that completed inline: too late, -ENOENT; the
	 * result is still there to collect. */
	hoop_op_read(&op, fd, buf, 64, 0);
	CHECK_EQ(hoop_engine_submit(fast, &op, 1, tk, 0), 1);
	CHECK_EQ(t_inline_ops(fast), before + nowait_ok);
	if (nowait_ok) {
		CHECK_EQ(hoop_engine_cancel(fast, tk[0]), -ENOENT);
		CHECK_EQ(hoop_engine_wait(fast, tk[0], &c, 0), 0);
		CHECK_EQ(c.res, 64);
	} else {
		/* On the ring (io-wq for a file without NOWAIT reads): the
		 * cancel may find it; its answer agrees with the result. */
		int cr = hoop_engine_cancel(fast, tk[0]);
		CHECK(cr == 0 || cr == -ENOENT);
		CHECK_EQ(hoop_engine_wait(fast, tk[0], &c, 5000000000ll), 0);
		CHECK(c.res == 64 || (c.res == -ECANCELED && cr == 0));
	}
	CHECK_EQ(hoop_engine_cancel(fast, tk[0]), -ENOENT);

	/* Queue delivery: 8 cached reads plus one that is short, in one add,
	 * all 9 delivered with their tokens. The thread pool does the 8
	 * inline; io_uring takes a call this long to the ring (one enter is
	 * cheaper than 9 system calls) and goes inline only for calls of up
	 * to 2 ops, checked below with a cached read beside a short one. */
	hoop_queue *q;
	CHECK_EQ(hoop_queue_create(&q, fast, 16), 0);
	struct hoop_op qops[9];
	uint64_t qt[9];
	for (int i = 0; i < 9; i++) {
		hoop_op_read(&qops[i], fd, buf + 512 * (i % 8), 512,
		             i < 8 ? (uint64_t)i * 512 : 9900);
		qops[i].user_data = 500 + i;
	}
	bool uring = hoop_engine_backend(fast) == HOOP_BACKEND_URING;
	before = t_inline_ops(fast);
	CHECK_EQ(hoop_queue_add(q, qops, 9, qt, 0), 9);
	CHECK_EQ(t_inline_ops(fast), before + (uring ? 0 : 8 * nowait_ok));
	if (!uring && nowait_ok)
		CHECK_EQ(hoop_engine_cancel(fast, qt[0]), -ENOENT);
	struct hoop_completion out[9];
	unsigned got = 0;
	while (got < 9) {
		int r = hoop_queue_wait(q, out + got, 9 - got, 1, -1);
		CHECK(r > 0);
		got += (unsigned)r;
	}
	unsigned seen = 0;
	for (int i = 0; i < 9; i++) {
		int k = (int)out[i].user_data - 500;
		CHECK(k >= 0 && k < 9);
		CHECK_EQ(out[i].token, qt[k]);
		CHECK_EQ(out[i].res, k < 8 ? 512 : 100);
		seen |= 1u << k;
	}
	CHECK_EQ(seen, 0x1ff);
	CHECK_EQ(hoop_queue_outstanding(q), 0);

	/* Two ops: the cached one inline, the short one through the ring
	 * (or the pool), both delivered. */
	before = t_inline_ops(fast);
	CHECK_EQ(hoop_queue_add(q, qops + 7, 2, qt, 0), 2);
	CHECK_EQ(t_inline_ops(fast), before + nowait_ok);
	if (nowait_ok)
		CHECK_EQ(hoop_engine_cancel(fast, qt[0]), -ENOENT);
	for (got = 0; got < 2;) {
		int r = hoop_queue_wait(q, out + got, 2 - got, 1, -1);
		CHECK(r > 0);
		got += (unsigned)r;
	}
	for (int i = 0; i < 2; i++) {
		int k = (int)out[i].user_data - 507;
		CHECK(k == 0 || k == 1);
		CHECK_EQ(out[i].token, qt[k]);
		CHECK_EQ(out[i].res, k == 0 ? 512 : 100);
	}
	CHECK_EQ(hoop_queue_outstanding(q), 0);
	hoop_queue_destroy(q);

	struct hoop_engine_metrics m;
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(hoop_engine_get_metrics(i ? slow : fast, &m, sizeof(m)),
		         0);
		CHECK_EQ(m.submitted, m.completed);
		CHECK_EQ(m.inflight, 0);
		CHECK_EQ(m.unknown_cqes, 0);
		if (i)
			CHECK_EQ(m.inline_ops, 0);
	}
	hoop_engine_destroy(fast);
	hoop_engine_destroy(slow);
	close(fd);
	close(hfd);
	close(afd);
	close(p[0]);
	close(p[1]);
	close(cs);
	close(ss);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
