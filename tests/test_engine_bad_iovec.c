/*
 * READV / WRITEV with a wild iovec: the array pointer unmapped, or an
 * array whose iov_base is unmapped. The op completes with -EFAULT (the
 * kernel's answer, as docs/RELIABILITY.md promises for wild pointers), by
 * waiting and through a queue, alone and in a call of two, with the inline
 * fast path on and off (HOOP_ENGINE_NO_INLINE); the process never faults.
 * On 1a3fa69 the inline path summed the array's lengths in user space
 * before the kernel saw it: SIGSEGV in try_inline.
 */
#include "helpers.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

static void *unmapped_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	CHECK_EQ(munmap(p, 4096), 0);
	return p;
}

static void check_one(hoop_engine *e, hoop_queue *q, int fd, bool write,
                      const struct iovec *iov, unsigned nr, bool pair)
{
	struct hoop_op ops[2];
	uint64_t tok[2];
	unsigned n = pair ? 2 : 1;
	if (write)
		hoop_op_writev(&ops[0], fd, iov, nr, 0);
	else
		hoop_op_readv(&ops[0], fd, iov, nr, 0);
	ops[0].user_data = 0x51;
	hoop_op_nop(&ops[1]);
	ops[1].user_data = 0x52;

	CHECK_EQ(hoop_engine_submit(e, ops, n, tok, 0), (int)n);
	struct hoop_completion c;
	CHECK_EQ(hoop_engine_wait(e, tok[0], &c, 5000000000ll), 0);
	CHECK_EQ(c.user_data, 0x51);
	CHECK_EQ(c.res, -EFAULT);
	if (pair) {
		CHECK_EQ(hoop_engine_wait(e, tok[1], &c, 5000000000ll), 0);
		CHECK_EQ(c.res, 0);
	}

	CHECK_EQ(hoop_queue_add(q, ops, n, tok, 0), (int)n);
	unsigned got = 0;
	while (got < n) {
		struct hoop_completion qc[2];
		int k = hoop_queue_wait(q, qc, 2, 1, 5000000000ll);
		CHECK(k > 0);
		for (int i = 0; i < k; i++, got++) {
			if (qc[i].user_data == 0x51)
				CHECK_EQ(qc[i].res, -EFAULT);
			else
				CHECK_EQ(qc[i].res, 0);
		}
	}
}

static void run(unsigned flags, int fd)
{
	hoop_engine_params p;
	memset(&p, 0, sizeof(p));
	p.flags = flags;
	hoop_engine *e = NULL;
	int r = hoop_engine_create(&e, &p);
	if (r == -ENOSYS || r == -EPERM)
		SKIP("io_uring unavailable: %s", hoop_strerror(r));
	CHECK_EQ(r, 0);
	hoop_queue *q = NULL;
	CHECK_EQ(hoop_queue_create(&q, e, 4), 0);

	struct iovec *wild = unmapped_page();
	static char ok[64];
	struct iovec base_wild[2] = {{unmapped_page(), 16}, {ok, 16}};
	for (int pair = 0; pair < 2; pair++)
		for (int w = 0; w < 2; w++) {
			check_one(e, q, fd, w, wild, 1, pair);
			check_one(e, q, fd, w, wild, 2, pair);
			check_one(e, q, fd, w, base_wild, 1, pair);
			check_one(e, q, fd, w, base_wild, 2, pair);
		}
	/* A good iovec still works (and goes inline when allowed). */
	char a[10], b[20];
	struct iovec good[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
	struct hoop_op op;
	uint64_t tok;
	hoop_op_readv(&op, fd, good, 2, 100);
	CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
	struct hoop_completion c;
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);
	CHECK_EQ(c.res, 30);
	for (int i = 0; i < 30; i++)
		CHECK_EQ((unsigned char)(i < 10 ? a[i] : b[i - 10]),
		         t_pattern(100 + (uint64_t)i));

	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m), 0);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.completed, m.submitted);
	hoop_queue_destroy(q);
	hoop_engine_destroy(e);
}

int main(void)
{
	int fd = t_tmpfile(8192, NULL);
	char warm[8192];
	CHECK_EQ(pread(fd, warm, sizeof(warm), 0), (ssize_t)sizeof(warm));
	run(0, fd);
	run(HOOP_ENGINE_NO_INLINE, fd);
	close(fd);
	return T_PASS;
}
