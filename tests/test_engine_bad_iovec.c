/*
 * READV / WRITEV with a wild iovec: the array pointer unmapped (a page
 * mapped and unmapped just before) or PROT_NONE, or an array whose iov_base
 * is. The op completes with -EFAULT (the
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

static void *last_hole;

/* Whether the page last handed out by unmapped_page is mapped now. */
static bool last_hole_mapped(void)
{
	unsigned char v;
	return last_hole && mincore(last_hole, 4096, &v) == 0;
}

/* A page just unmapped. Taken right before each submit: nothing maps in
 * between, so the address is still a hole when the op runs. */
static void *unmapped_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	CHECK_EQ(munmap(p, 4096), 0);
	last_hole = p;
	return p;
}

static void *noaccess; /* a PROT_NONE page kept for good */
static char ok[64];
static struct iovec base_wild[2];

/* kind 0: the array unmapped, 1: the array PROT_NONE, 2: iov_base
 * unmapped, 3: iov_base PROT_NONE. */
static const struct iovec *wild_iov(int kind)
{
	last_hole = NULL;
	if (kind < 2)
		return kind == 0 ? unmapped_page() : noaccess;
	base_wild[0].iov_base = kind == 2 ? unmapped_page() : noaccess;
	base_wild[0].iov_len = 16;
	base_wild[1].iov_base = ok;
	base_wild[1].iov_len = 16;
	return base_wild;
}

static void prep(struct hoop_op *ops, int fd, bool write, int kind, unsigned nr)
{
	const struct iovec *iov = wild_iov(kind);
	if (write)
		hoop_op_writev(&ops[0], fd, iov, nr, 0);
	else
		hoop_op_readv(&ops[0], fd, iov, nr, 0);
	ops[0].user_data = 0x51;
	hoop_op_nop(&ops[1]);
	ops[1].user_data = 0x52;
}

static bool check_one(hoop_engine *e, hoop_queue *q, int fd, bool write,
                      int kind, unsigned nr, bool pair)
{
	struct hoop_op ops[2];
	uint64_t tok[2];
	unsigned n = pair ? 2 : 1;
	prep(ops, fd, write, kind, nr);
	CHECK_EQ(hoop_engine_submit(e, ops, n, tok, 0), (int)n);
	struct hoop_completion c;
	CHECK_EQ(hoop_engine_wait(e, tok[0], &c, 5000000000ll), 0);
	CHECK_EQ(c.user_data, 0x51);
	if (c.res != -EFAULT && last_hole_mapped()) {
		/* Another thread (a sanitizer's allocator) mapped the hole
		 * meanwhile: nothing wild was passed. Try again. */
		if (pair)
			CHECK_EQ(hoop_engine_wait(e, tok[1], &c, 5000000000ll), 0);
		return false;
	}
	CHECK_EQ(c.res, -EFAULT);
	if (pair) {
		CHECK_EQ(hoop_engine_wait(e, tok[1], &c, 5000000000ll), 0);
		CHECK_EQ(c.res, 0);
	}

	prep(ops, fd, write, kind, nr);
	CHECK_EQ(hoop_queue_add(q, ops, n, tok, 0), (int)n);
	unsigned got = 0;
	bool raced = false;
	while (got < n) {
		struct hoop_completion qc[2];
		int k = hoop_queue_wait(q, qc, 2, 1, 5000000000ll);
		CHECK(k > 0);
		for (int i = 0; i < k; i++, got++) {
			if (qc[i].user_data != 0x51)
				CHECK_EQ(qc[i].res, 0);
			else if (qc[i].res != -EFAULT && last_hole_mapped())
				raced = true;
			else
				CHECK_EQ(qc[i].res, -EFAULT);
		}
	}
	return !raced;
}

static void run(unsigned flags, int fd)
{
	hoop_engine_params p;
	memset(&p, 0, sizeof(p));
	p.flags = flags;
	hoop_engine *e = t_engine(&p);
	hoop_queue *q = NULL;
	CHECK_EQ(hoop_queue_create(&q, e, 4), 0);

	for (int pair = 0; pair < 2; pair++)
		for (int w = 0; w < 2; w++)
			for (int kind = 0; kind < 4; kind++) {
				for (unsigned nr = 1; nr <= 2; nr++) {
					int tries = 0;
					while (!check_one(e, q, fd, w, kind, nr,
					                  pair))
						CHECK(++tries < 100);
				}
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
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.completed, m.submitted);
	hoop_queue_destroy(q);
	hoop_engine_destroy(e);
}

int main(void)
{
	noaccess = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(noaccess != MAP_FAILED);
	int fd = t_tmpfile(8192, NULL);
	char warm[8192];
	CHECK_EQ(pread(fd, warm, sizeof(warm), 0), (ssize_t)sizeof(warm));
	run(0, fd);
	run(HOOP_ENGINE_NO_INLINE, fd);
	close(fd);
	return T_PASS;
}
