/*
 * core/ring_internal.h - the layout of hoop_ring, shared by the files of the
 * core (ring, register, engine) and never installed.
 */
#ifndef HOOP_CORE_RING_INTERNAL_H
#define HOOP_CORE_RING_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "hoop/ring.h"

/*
 * The kernel and user space share head and tail indices. Ours are published
 * with release stores (so the SQE or the consumed CQE slot is complete before
 * the index moves) and theirs are read with acquire loads (so the entries
 * they cover are visible before we read them).
 */
#define hoop_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define hoop_load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define hoop_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

/*
 * A full (store-load) fence. ThreadSanitizer does not model standalone
 * fences (gcc warns), so its builds use a sequentially consistent
 * read-modify-write on a private word, which is a full barrier as well.
 */
#if defined(__SANITIZE_THREAD__)
extern int hoop__fence_word;
#define hoop_full_fence()                                                      \
	__atomic_fetch_add(&hoop__fence_word, 0, __ATOMIC_SEQ_CST)
#else
#define hoop_full_fence() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

/* int_flags */
#define HOOP_INT_REG_RING 0x01u /* enter through the registered index */
#define HOOP_INT_REG_RING_ONLY                                                 \
	0x02u                    /* no real fd (REGISTERED_FD_ONLY, or
                                        hoop_ring_close_ring_fd) */
#define HOOP_INT_APP_MEM 0x04u   /* NO_MMAP: we own the ring memory */
#define HOOP_INT_NO_IOWAIT 0x08u /* add ENTER_NO_IOWAIT to each enter */
#define HOOP_INT_CALLER_MEM                                                    \
	0x10u /* NO_MMAP in the caller's memory
                                        (hoop_ring_create_mem): not ours
                                        to unmap */

struct hoop_ring {
	/* submission side */
	unsigned *sq_khead;
	unsigned *sq_ktail;
	unsigned *sq_kflags;
	unsigned *sq_kdropped;
	unsigned *sq_array;
	struct hoop_sqe *sqes;
	unsigned sqe_head; /* first SQE not yet published to the kernel */
	unsigned sqe_tail; /* next SQE to hand out */
	unsigned sq_mask;
	unsigned sq_entries;
	unsigned sqe_shift; /* 1 with SQE128: an SQE spans two slots */

	/* completion side */
	unsigned *cq_khead;
	unsigned *cq_ktail;
	unsigned *cq_kflags;
	unsigned *cq_koverflow;
	struct hoop_cqe *cqes;
	unsigned cq_mask;
	unsigned cq_entries;
	unsigned cqe_shift; /* 1 with CQE32 */
	unsigned cq_mixed; /* 1 with CQE_MIXED: see hoop_ring_cq_entry_inline */

	uint32_t setup_flags;
	uint32_t features;
	unsigned int_flags;
	int ring_fd;  /* -1 with REGISTERED_FD_ONLY */
	int enter_fd; /* ring_fd, or the registered index */
	/* SQPOLL: SQEs up to here have been counted by a submit call. */
	unsigned sqe_reported;

	void *sq_ring_ptr;
	size_t sq_ring_sz;
	void *cq_ring_ptr;
	size_t cq_ring_sz;
	void *sqes_ptr;
	size_t sqes_sz;
};

/*
 * The ring's memory for the engine (backend_uring.c), which reaches it only
 * through these.
 *
 * The CQ: our head, the kernel's tail (acquire: the CQEs up to it are
 * visible), the CQE at index i (any index, masked here), and moving our
 * head (release: the kernel may reuse the slots before it).
 */
static inline unsigned hoop__ring_cq_head(const hoop_ring *r)
{
	return hoop_load_relaxed(r->cq_khead);
}

static inline unsigned hoop__ring_cq_tail(const hoop_ring *r)
{
	return hoop_load_acquire(r->cq_ktail);
}

static inline const struct hoop_cqe *hoop__ring_cqe_at(const hoop_ring *r,
                                                       unsigned i)
{
	return &r->cqes[(i & r->cq_mask) << r->cqe_shift];
}

static inline void hoop__ring_cq_release(hoop_ring *r, unsigned head)
{
	hoop_store_release(r->cq_khead, head);
}

/* CQEs the kernel dropped (the CQ ring's overflow field). */
static inline unsigned hoop__ring_cq_dropped(const hoop_ring *r)
{
	return hoop_load_acquire(r->cq_koverflow);
}

/*
 * The SQ: a mark of the SQEs handed out so far, and giving back every SQE
 * handed out after it (never published: the caller holds the SQ); the SQE
 * at index i (any index, masked here); the kernel's head (acquire) and the
 * tail we published.
 */
static inline unsigned hoop__ring_sqe_mark(const hoop_ring *r)
{
	return r->sqe_tail;
}

static inline void hoop__ring_sqe_rewind(hoop_ring *r, unsigned mark)
{
	r->sqe_tail = mark;
}

/* Hand out the next n SQEs (the caller has made room and holds the SQ):
 * the index of the first; hoop__ring_sqe_at reaches each. */
static inline unsigned hoop__ring_sqe_take(hoop_ring *r, unsigned n)
{
	unsigned first = r->sqe_tail;
	r->sqe_tail = first + n;
	return first;
}

static inline struct hoop_sqe *hoop__ring_sqe_at(hoop_ring *r, unsigned i)
{
	return &r->sqes[(i & r->sq_mask) << r->sqe_shift];
}

static inline unsigned hoop__ring_sq_khead(const hoop_ring *r)
{
	return hoop_load_acquire(r->sq_khead);
}

static inline unsigned hoop__ring_sq_ktail(const hoop_ring *r)
{
	return hoop_load_relaxed(r->sq_ktail);
}

/*
 * Flush prepared SQEs to the kernel's tail; returns how many are pending
 * (published and not yet consumed). With SQPOLL the kernel thread consumes
 * concurrently, so that count is only a hint there; submit calls count what
 * they hand over with sqe_reported instead.
 */
unsigned hoop__ring_flush_sq(hoop_ring *ring);

#endif
