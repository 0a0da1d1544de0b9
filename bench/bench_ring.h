/*
 * bench/bench_ring.h - the two instances of bench_loops.h (hoop and
 * liburing) plus ring setup and registration for each.
 *
 * The adapters call each library the way its documentation tells a C user
 * to: hoop through its exported functions (hoop/ring.h, hoop/prep.h),
 * liburing through liburing.h, where get_sqe, prep and set_data are static
 * inline. Both rings are created with default flags.
 */
#ifndef HOOP_BENCH_RING_H
#define HOOP_BENCH_RING_H

#include <liburing.h>
#include <sys/uio.h>

#include "hoop.h"
#include "hoop/inline.h"
#include "bench_common.h"

#define BR_MAX_BATCH 256

/* ---- hoop instance ----
 * Like liburing's static inline get_sqe/prep/set_data/cq_advance, a C
 * program uses hoop's inline twins from hoop/inline.h (the same code the
 * exported functions run). */
#define BR_NAME(x) x##_hoop
#define BR_RING hoop_ring
#define BR_CQE struct hoop_cqe
#define BR_GET_SQE(r) hoop_ring_get_sqe_inline(r)
#define BR_PREP_NOP(s) hoop_prep_nop_inline(s)
#define BR_PREP_READ(s, fd, b, n, o) hoop_prep_read_inline(s, fd, b, n, o)
#define BR_PREP_READ_FIXED(s, fd, b, n, o, i)                                  \
	hoop_prep_read_fixed_inline(s, fd, b, n, o, i)
#define BR_SET_DATA(s, v) hoop_sqe_set_data_inline(s, v)
#define BR_SET_FLAGS(s, f) hoop_sqe_set_flags(s, f)
#define BR_FIXED_FILE HOOP_SQE_FIXED_FILE
#define BR_SUBMIT(r) hoop_ring_submit(r)
#define BR_PEEK_BATCH(r, c, n) hoop_ring_peek_batch_cqe(r, c, n)
#define BR_CQ_ADVANCE(r, n) hoop_ring_cq_advance_inline(r, n)
#define BR_WAIT_CQE(r, c) hoop_ring_wait_cqe(r, c)
#include "bench_loops.h"
#undef BR_NAME
#undef BR_RING
#undef BR_CQE
#undef BR_GET_SQE
#undef BR_PREP_NOP
#undef BR_PREP_READ
#undef BR_PREP_READ_FIXED
#undef BR_SET_DATA
#undef BR_SET_FLAGS
#undef BR_FIXED_FILE
#undef BR_SUBMIT
#undef BR_PEEK_BATCH
#undef BR_CQ_ADVANCE
#undef BR_WAIT_CQE

/* ---- liburing instance ---- */
#define BR_NAME(x) x##_liburing
#define BR_RING struct io_uring
#define BR_CQE struct io_uring_cqe
#define BR_GET_SQE(r) io_uring_get_sqe(r)
#define BR_PREP_NOP(s) io_uring_prep_nop(s)
#define BR_PREP_READ(s, fd, b, n, o) io_uring_prep_read(s, fd, b, n, o)
#define BR_PREP_READ_FIXED(s, fd, b, n, o, i)                                  \
	io_uring_prep_read_fixed(s, fd, b, n, o, i)
#define BR_SET_DATA(s, v) io_uring_sqe_set_data64(s, v)
#define BR_SET_FLAGS(s, f) io_uring_sqe_set_flags(s, f)
#define BR_FIXED_FILE IOSQE_FIXED_FILE
#define BR_SUBMIT(r) io_uring_submit(r)
#define BR_PEEK_BATCH(r, c, n) io_uring_peek_batch_cqe(r, c, n)
#define BR_CQ_ADVANCE(r, n) io_uring_cq_advance(r, n)
#define BR_WAIT_CQE(r, c) io_uring_wait_cqe(r, c)
#include "bench_loops.h"

/* ---- setup ---- */

BENCH_UNUSED
static hoop_ring *bench_hoop_ring(unsigned entries)
{
	hoop_ring *r;
	int e = hoop_ring_create(&r, entries, NULL);
	if (e < 0)
		BENCH_DIE("hoop_ring_create: %s", hoop_strerror(e));
	return r;
}

BENCH_UNUSED
static struct io_uring *bench_liburing_ring(unsigned entries)
{
	struct io_uring *r = calloc(1, sizeof(*r));
	if (!r)
		BENCH_DIE("out of memory");
	int e = io_uring_queue_init(entries, r, 0);
	if (e < 0)
		BENCH_DIE("io_uring_queue_init: %s", strerror(-e));
	return r;
}

BENCH_UNUSED
static void bench_liburing_free(struct io_uring *r)
{
	io_uring_queue_exit(r);
	free(r);
}

/* `n` 4 KiB buffers in one page-aligned block, and their iovecs. */
BENCH_UNUSED
static char *bench_buffers(unsigned n, struct iovec *iov)
{
	void *p;
	if (posix_memalign(&p, 4096, (size_t)n * BR_READ_SIZE) != 0)
		BENCH_DIE("out of memory");
	memset(p, 0, (size_t)n * BR_READ_SIZE);
	for (unsigned i = 0; i < n; i++) {
		iov[i].iov_base = (char *)p + (size_t)i * BR_READ_SIZE;
		iov[i].iov_len = BR_READ_SIZE;
	}
	return p;
}

BENCH_UNUSED
static void bench_hoop_register(hoop_ring *r, int fd, const struct iovec *iov,
                                unsigned n)
{
	int e = hoop_ring_register_files(r, &fd, 1);
	if (e < 0)
		BENCH_DIE("hoop register files: %s", hoop_strerror(e));
	e = hoop_ring_register_buffers(r, iov, n);
	if (e < 0)
		BENCH_DIE("hoop register buffers: %s", hoop_strerror(e));
}

BENCH_UNUSED
static void bench_liburing_register(struct io_uring *r, int fd,
                                    const struct iovec *iov, unsigned n)
{
	int e = io_uring_register_files(r, &fd, 1);
	if (e < 0)
		BENCH_DIE("io_uring_register_files: %s", strerror(-e));
	e = io_uring_register_buffers(r, iov, n);
	if (e < 0)
		BENCH_DIE("io_uring_register_buffers: %s", strerror(-e));
}

#endif
