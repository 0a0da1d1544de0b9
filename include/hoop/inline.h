/*
 * hoop/inline.h - static inline twins of the hottest ring functions, for C
 * and C++ callers who want liburing's per-SQE cost.
 *
 * Each hoop_*_inline function here is the implementation behind the
 * exported function of the same name without the suffix (the library calls
 * these very functions), so the two behave identically; the inline one just
 * saves the call. FFI callers use the exported functions.
 *
 * This header reads the first fields of a hoop_ring directly. Their layout
 * (struct hoop_ring_view) is part of the ABI of this major version: the
 * library checks at build time that its ring starts with exactly these
 * fields, and a change would bump HOOP_VERSION_MAJOR and the SONAME. Fields
 * are only ever appended (cq_mixed was), which code built against the
 * shorter view does not see.
 * Not included by hoop.h: include it yourself.
 *
 * Same rules as the exported functions: one thread owns the ring.
 */
#ifndef HOOP_INLINE_H
#define HOOP_INLINE_H

#include <stdint.h>

#include "common.h"
#include "ring.h"
#include "uapi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The first fields of every hoop_ring, in this order. */
struct hoop_ring_view {
	unsigned *sq_khead; /* kernel: first SQE it has not consumed */
	unsigned *sq_ktail; /* ours: published SQEs end here */
	unsigned *sq_kflags;
	unsigned *sq_kdropped;
	unsigned *sq_array; /* NULL with HOOP_SETUP_NO_SQARRAY */
	struct hoop_sqe *sqes;
	unsigned sqe_head; /* first SQE not yet published */
	unsigned sqe_tail; /* next SQE to hand out */
	unsigned sq_mask;
	unsigned sq_entries;
	unsigned sqe_shift; /* 1 with SQE128 */
	unsigned *cq_khead; /* ours: first CQE not yet consumed */
	unsigned *cq_ktail; /* kernel: posted CQEs end here */
	unsigned *cq_kflags;
	unsigned *cq_koverflow;
	struct hoop_cqe *cqes;
	unsigned cq_mask;
	unsigned cq_entries;
	unsigned cqe_shift; /* 1 with CQE32 */
	unsigned cq_mixed;  /* 1 with CQE_MIXED, else 0 */
};

static inline struct hoop_ring_view *hoop_ring_view_of(hoop_ring *ring)
{
	return (struct hoop_ring_view *)(void *)ring;
}

/* As hoop_ring_get_sqe. */
static inline struct hoop_sqe *hoop_ring_get_sqe_inline(hoop_ring *ring)
{
	struct hoop_ring_view *v = hoop_ring_view_of(ring);
	/* Acquire: with SQPOLL the kernel thread frees slots by moving the
	 * head; without it this is the same plain load. */
	unsigned head = __atomic_load_n(v->sq_khead, __ATOMIC_ACQUIRE);
	unsigned tail = v->sqe_tail;
	if (tail - head >= v->sq_entries)
		return (struct hoop_sqe *)0;
	v->sqe_tail = tail + 1;
	return &v->sqes[(tail & v->sq_mask) << v->sqe_shift];
}

/*
 * Stepping through the CQ: every reaping path of the library (peek, wait,
 * batch peek, copy, advance, the event loop) goes through these two, so
 * that one place knows the layout. On a plain or CQE32 ring each CQE is one
 * index step. On a HOOP_SETUP_CQE_MIXED ring a CQE flagged HOOP_CQE_F_32
 * takes two steps (16-byte slots), and where a big CQE would cross the
 * ring's end the kernel first fills the last slot with padding
 * (HOOP_CQE_F_SKIP), which carries nothing and is never handed out.
 *
 * hoop_ring_cq_entry_inline - the CQE at index *head, or NULL when *head
 * reaches `tail` (a tail read with an acquire load). Padding at *head is
 * stepped over: *head moves past it.
 */
static inline struct hoop_cqe *
hoop_ring_cq_entry_inline(const struct hoop_ring_view *v, unsigned *head,
                          unsigned tail)
{
	for (; *head != tail; (*head)++) {
		struct hoop_cqe *c = &v->cqes[(*head & v->cq_mask) << v->cqe_shift];
		if (__builtin_expect(!v->cq_mixed, 1) ||
		    !(c->flags & HOOP_CQE_F_SKIP))
			return c;
	}
	return (struct hoop_cqe *)0;
}

/* hoop_ring_cq_steps_inline - index steps the CQE `c` takes: 2 for a
 * 32-byte CQE on a CQE_MIXED ring, else 1 (no branch). */
static inline unsigned hoop_ring_cq_steps_inline(const struct hoop_ring_view *v,
                                                 const struct hoop_cqe *c)
{
	return 1u + (v->cq_mixed & ((c->flags & HOOP_CQE_F_32) / HOOP_CQE_F_32));
}

/*
 * hoop_ring_cq_walk_inline - the index after the `nr` oldest CQEs from
 * `head` (fewer if `tail` comes first), stepping over padding before,
 * between and after them. For CQE_MIXED rings, where the CQE count and the
 * index distance differ.
 */
static inline unsigned hoop_ring_cq_walk_inline(const struct hoop_ring_view *v,
                                                unsigned head, unsigned tail,
                                                unsigned nr)
{
	struct hoop_cqe *c;
	while (nr && (c = hoop_ring_cq_entry_inline(v, &head, tail)) != 0) {
		head += hoop_ring_cq_steps_inline(v, c);
		nr--;
	}
	hoop_ring_cq_entry_inline(v, &head, tail); /* trailing padding */
	return head;
}

/*
 * hoop_ring_for_each_cqe(ring, head, cqe) - a for statement over the CQEs
 * ready now, oldest first (liburing's io_uring_for_each_cqe): `head` is an
 * unsigned variable of the caller's, `cqe` a struct hoop_cqe pointer. It
 * steps over 32-byte CQEs and padding on a HOOP_SETUP_CQE_MIXED ring
 * like every other reaping path. Nothing is consumed: afterwards call
 * hoop_ring_cq_advance(ring, n) with the number of CQEs the body saw.
 *
 *     unsigned head, n = 0;
 *     struct hoop_cqe *cqe;
 *     hoop_ring_for_each_cqe(ring, head, cqe) { use(cqe); n++; }
 *     hoop_ring_cq_advance(ring, n);
 */
#define hoop_ring_for_each_cqe(ring, head, cqe)                                \
	for ((head) = __atomic_load_n(hoop_ring_view_of(ring)->cq_khead,       \
	                              __ATOMIC_RELAXED);                       \
	     ((cqe) = hoop_ring_cq_entry_inline(                               \
	              hoop_ring_view_of(ring), &(head),                        \
	              __atomic_load_n(hoop_ring_view_of(ring)->cq_ktail,       \
	                              __ATOMIC_ACQUIRE))) != 0;                \
	     (head) += hoop_ring_cq_steps_inline(hoop_ring_view_of(ring), (cqe)))

/* As hoop_ring_cq_advance. */
static inline void hoop_ring_cq_advance_inline(hoop_ring *ring, unsigned nr)
{
	struct hoop_ring_view *v = hoop_ring_view_of(ring);
	if (nr) {
		unsigned head = __atomic_load_n(v->cq_khead, __ATOMIC_RELAXED);
		if (__builtin_expect(v->cq_mixed, 0))
			head = hoop_ring_cq_walk_inline(
			        v, head,
			        __atomic_load_n(v->cq_ktail, __ATOMIC_ACQUIRE),
			        nr);
		else
			head += nr;
		/* Release: our reads of the CQEs are done before the kernel may
		 * reuse their slots. */
		__atomic_store_n(v->cq_khead, head, __ATOMIC_RELEASE);
	}
}

/* As hoop_ring_cqe_seen. */
static inline void hoop_ring_cqe_seen_inline(hoop_ring *ring, struct hoop_cqe *cqe)
{
	if (cqe)
		hoop_ring_cq_advance_inline(ring, 1);
}

/* Write every field of an SQE: the building block of the prep functions. */
static inline void hoop_sqe_fill_inline(struct hoop_sqe *sqe, uint8_t op, int fd,
                                        uint64_t addr, uint32_t len, uint64_t off)
{
	sqe->opcode = op;
	sqe->flags = 0;
	sqe->ioprio = 0;
	sqe->fd = fd;
	sqe->off = off;
	sqe->addr = addr;
	sqe->len = len;
	sqe->op_flags = 0;
	sqe->user_data = 0;
	sqe->buf_index = 0;
	sqe->personality = 0;
	sqe->file_index = 0;
	sqe->addr3 = 0;
	sqe->pad2 = 0;
}

/* As hoop_sqe_set_data. */
static inline void hoop_sqe_set_data_inline(struct hoop_sqe *sqe, uint64_t user_data)
{
	sqe->user_data = user_data;
}

/* As hoop_prep_nop. */
static inline void hoop_prep_nop_inline(struct hoop_sqe *sqe)
{
	hoop_sqe_fill_inline(sqe, HOOP_OP_NOP, -1, 0, 0, 0);
}

/* As hoop_prep_read. */
static inline void hoop_prep_read_inline(struct hoop_sqe *sqe, int fd, void *buf,
                                         uint32_t nbytes, uint64_t offset)
{
	hoop_sqe_fill_inline(sqe, HOOP_OP_READ, fd, (uint64_t)(uintptr_t)buf,
	                     nbytes, offset);
}

/* As hoop_prep_write. */
static inline void hoop_prep_write_inline(struct hoop_sqe *sqe, int fd,
                                          const void *buf, uint32_t nbytes,
                                          uint64_t offset)
{
	hoop_sqe_fill_inline(sqe, HOOP_OP_WRITE, fd, (uint64_t)(uintptr_t)buf,
	                     nbytes, offset);
}

/* As hoop_prep_read_fixed. */
static inline void hoop_prep_read_fixed_inline(struct hoop_sqe *sqe, int fd,
                                               void *buf, uint32_t nbytes,
                                               uint64_t offset, int buf_index)
{
	hoop_sqe_fill_inline(sqe, HOOP_OP_READ_FIXED, fd,
	                     (uint64_t)(uintptr_t)buf, nbytes, offset);
	sqe->buf_index = (uint16_t)buf_index;
}

/* As hoop_prep_write_fixed. */
static inline void hoop_prep_write_fixed_inline(struct hoop_sqe *sqe, int fd,
                                                const void *buf, uint32_t nbytes,
                                                uint64_t offset, int buf_index)
{
	hoop_sqe_fill_inline(sqe, HOOP_OP_WRITE_FIXED, fd,
	                     (uint64_t)(uintptr_t)buf, nbytes, offset);
	sqe->buf_index = (uint16_t)buf_index;
}

#ifdef __cplusplus
}
#endif

#endif /* HOOP_INLINE_H */
