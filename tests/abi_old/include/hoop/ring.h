/*
 * hoop/ring.h - hoop_ring, one io_uring instance owned by one thread.
 *
 * A hoop_ring is the liburing-class fast path: get an SQE, prepare it
 * (hoop/prep.h), submit, then peek or wait for completions and mark them
 * seen. A ring is not thread-safe: one thread at a time may use it (the
 * thread that created it, when HOOP_SETUP_SINGLE_ISSUER is set). Share work
 * between threads with hoop_engine instead.
 *
 * Buffers: memory referenced by a submitted SQE belongs to the kernel until
 * that operation's final completion has been reaped. Do not free or reuse it
 * before then.
 */
#ifndef HOOP_RING_H
#define HOOP_RING_H

#include <stdint.h>

#include "common.h"
#include "uapi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hoop_ring hoop_ring;

/*
 * Setup parameters. Zero-initialise, then set what you need; all-zero gives
 * a plain ring. Fields the kernel reads are passed through unchanged.
 */
typedef struct hoop_ring_params {
	uint32_t flags;          /* HOOP_SETUP_* */
	uint32_t cq_entries;     /* CQ size, used with HOOP_SETUP_CQSIZE */
	uint32_t sq_thread_cpu;  /* with HOOP_SETUP_SQPOLL | HOOP_SETUP_SQ_AFF */
	uint32_t sq_thread_idle; /* SQPOLL idle time in milliseconds */
	int32_t wq_fd;           /* ring fd to share io-wq with (ATTACH_WQ) */
	/*
	 * Smallest SQ size acceptable when setup fails with ENOMEM (the locked
	 * memory limit). hoop halves the size down to this floor before giving
	 * up. 0 means "do not shrink".
	 */
	uint32_t min_entries;
	uint32_t hoop_flags;     /* HOOP_RING_* */
	uint32_t resv;
} hoop_ring_params;

/* hoop_flags: after setup, register the ring fd to skip fd lookups. */
#define HOOP_RING_REGISTER_RING_FD 0x01u
/*
 * hoop_flags: do not add HOOP_SETUP_NO_SQARRAY on our own. By default hoop
 * asks for it when the caller did not and quietly retries without it on
 * kernels that refuse it.
 */
#define HOOP_RING_KEEP_SQARRAY 0x02u

/*
 * hoop_ring_create - set up a ring with `entries` submission slots (rounded
 * up to a power of two by the kernel), map it, and store it in *out.
 *
 * `params` may be NULL for defaults. Returns 0, or -EINVAL (entries is 0 or
 * above 32768 without HOOP_SETUP_CLAMP, unknown flags, out NULL), -ENOMEM
 * (locked-memory limit, after shrinking to min_entries), -EPERM (io_uring
 * disabled by sysctl or seccomp), -ENOSYS (no io_uring), or another -errno
 * from the kernel. On failure nothing is allocated and *out is untouched.
 * Any thread; the ring belongs to the caller afterwards.
 */
HOOP_API int hoop_ring_create(hoop_ring **out, unsigned entries,
                              const hoop_ring_params *params);

/*
 * hoop_ring_destroy - unmap and close the ring. In-flight operations are
 * cancelled by the kernel; their buffers must stay valid until this returns.
 * NULL is accepted and ignored.
 */
HOOP_API void hoop_ring_destroy(hoop_ring *ring);

/* The ring's file descriptor, or -1 with HOOP_SETUP_REGISTERED_FD_ONLY. */
HOOP_API int hoop_ring_fd(const hoop_ring *ring);
/* The setup flags in force (after any hoop added or dropped). */
HOOP_API uint32_t hoop_ring_setup_flags(const hoop_ring *ring);
/* HOOP_FEAT_* bits the kernel reported. */
HOOP_API uint32_t hoop_ring_features(const hoop_ring *ring);
/* SQ and CQ sizes the kernel chose. */
HOOP_API unsigned hoop_ring_sq_entries(const hoop_ring *ring);
HOOP_API unsigned hoop_ring_cq_entries(const hoop_ring *ring);

/*
 * hoop_ring_get_sqe - the next free SQE, or NULL when the SQ is full (submit
 * first). The SQE is not visible to the kernel until the next submit. Fill it
 * with a hoop_prep_* function, which sets every field.
 */
HOOP_API struct hoop_sqe *hoop_ring_get_sqe(hoop_ring *ring);

/*
 * hoop_ring_submit - publish all prepared SQEs and tell the kernel. Returns
 * the number submitted (>= 0) or -errno: -EBUSY or -EAGAIN when the kernel
 * cannot take more right now (reap completions and retry). EINTR is retried.
 */
HOOP_API int hoop_ring_submit(hoop_ring *ring);

/*
 * hoop_ring_submit_and_wait - submit, then wait until at least `wait_nr`
 * completions are available. Returns the number submitted or -errno;
 * -EINTR if a signal arrived while waiting.
 */
HOOP_API int hoop_ring_submit_and_wait(hoop_ring *ring, unsigned wait_nr);

/*
 * hoop_ring_submit_and_wait_timeout - submit, then wait up to `ts` (relative,
 * NULL = forever) for `wait_nr` completions; `sigmask` (a const sigset_t *,
 * may be NULL) is applied while waiting. On return *cqe_out (may be NULL) is
 * the first available completion or NULL. Returns the number submitted, or
 * -ETIME if the time ran out with fewer than `wait_nr` completions, -EINTR,
 * or another -errno.
 */
HOOP_API int hoop_ring_submit_and_wait_timeout(hoop_ring *ring,
                                               struct hoop_cqe **cqe_out,
                                               unsigned wait_nr,
                                               const struct hoop_timespec *ts,
                                               const void *sigmask);

/*
 * hoop_ring_peek_cqe - the oldest unseen completion without waiting.
 * Returns 0 and sets *cqe_out, or -EAGAIN when none is ready.
 */
HOOP_API int hoop_ring_peek_cqe(hoop_ring *ring, struct hoop_cqe **cqe_out);

/*
 * hoop_ring_wait_cqe - wait for one completion. Returns 0 and sets *cqe_out,
 * or -EINTR / -errno.
 */
HOOP_API int hoop_ring_wait_cqe(hoop_ring *ring, struct hoop_cqe **cqe_out);

/*
 * hoop_ring_wait_cqe_nr - wait until `wait_nr` completions are ready; sets
 * *cqe_out to the oldest. Returns 0 or -errno.
 */
HOOP_API int hoop_ring_wait_cqe_nr(hoop_ring *ring, struct hoop_cqe **cqe_out,
                                   unsigned wait_nr);

/*
 * hoop_ring_wait_cqe_timeout - wait up to `ts` (relative; NULL = forever) for
 * one completion. Returns 0 and sets *cqe_out, -ETIME on timeout, -EINTR, or
 * -errno. Needs HOOP_FEAT_EXT_ARG (5.11+); -EOPNOTSUPP without it.
 */
HOOP_API int hoop_ring_wait_cqe_timeout(hoop_ring *ring,
                                        struct hoop_cqe **cqe_out,
                                        const struct hoop_timespec *ts);

/*
 * hoop_ring_wait_cqes - wait up to `ts` (NULL = forever) until `wait_nr`
 * completions are ready, with `sigmask` (const sigset_t *, may be NULL)
 * applied. Submits pending SQEs too. Returns 0 and sets *cqe_out to the
 * oldest, -ETIME, -EINTR or -errno; -EINVAL if wait_nr is above the CQ size
 * (the kernel could never satisfy it) or ts is not a valid timespec. The
 * same rules hold for every wait below and above.
 */
HOOP_API int hoop_ring_wait_cqes(hoop_ring *ring, struct hoop_cqe **cqe_out,
                                 unsigned wait_nr,
                                 const struct hoop_timespec *ts,
                                 const void *sigmask);

/*
 * hoop_ring_peek_batch_cqe - store up to `count` ready completions, oldest
 * first, in cqes[]; returns how many (0 when none). Flushes a CQ overflow
 * backlog if the CQ looks empty. Mark them seen with hoop_ring_cq_advance.
 */
HOOP_API unsigned hoop_ring_peek_batch_cqe(hoop_ring *ring,
                                           struct hoop_cqe **cqes,
                                           unsigned count);

/*
 * hoop_ring_cqe_seen - mark one completion consumed; its slot goes back to
 * the kernel and the pointer must not be used again.
 */
HOOP_API void hoop_ring_cqe_seen(hoop_ring *ring, struct hoop_cqe *cqe);

/* hoop_ring_cq_advance - mark the `nr` oldest completions consumed. */
HOOP_API void hoop_ring_cq_advance(hoop_ring *ring, unsigned nr);

/*
 * hoop_ring_copy_cqes - copy up to `count` ready completions into out[] and
 * mark them consumed in one step; returns how many. `wait_nr` > 0 waits
 * (forever) until at least that many are ready. Returns the count or -errno
 * (-EINVAL if wait_nr > count or above the CQ size). This is the batch form
 * that FFI callers use. With HOOP_SETUP_CQE32 only the first 16 bytes of
 * each CQE are copied.
 */
HOOP_API int hoop_ring_copy_cqes(hoop_ring *ring, struct hoop_cqe *out,
                                 unsigned count, unsigned wait_nr);

/* Free SQ slots, prepared-but-unsubmitted SQEs, ready completions. */
HOOP_API unsigned hoop_ring_sq_space_left(const hoop_ring *ring);
HOOP_API unsigned hoop_ring_sq_ready(const hoop_ring *ring);
HOOP_API unsigned hoop_ring_cq_ready(const hoop_ring *ring);

/* 1 if the kernel holds completions that did not fit in the CQ, else 0. */
HOOP_API int hoop_ring_cq_has_overflow(const hoop_ring *ring);

/*
 * hoop_ring_get_events - enter the kernel to flush overflowed completions
 * and run pending task work, without waiting. Returns 0 or -errno.
 */
HOOP_API int hoop_ring_get_events(hoop_ring *ring);

/*
 * hoop_ring_sqring_wait - with SQPOLL, wait until the SQ has a free slot.
 * Returns 0 (or the kernel's count) or -errno; -EINVAL without SQPOLL.
 */
HOOP_API int hoop_ring_sqring_wait(hoop_ring *ring);

/*
 * hoop_ring_register_ring_fd - register the ring's own fd so that each
 * enter skips the fd table lookup. Returns 1 on success, 0 if already
 * registered, or -errno. hoop_ring_unregister_ring_fd undoes it.
 */
HOOP_API int hoop_ring_register_ring_fd(hoop_ring *ring);
HOOP_API int hoop_ring_unregister_ring_fd(hoop_ring *ring);

/*
 * hoop_ring_enable - start a ring created with HOOP_SETUP_R_DISABLED.
 * Returns 0 or -errno.
 */
HOOP_API int hoop_ring_enable(hoop_ring *ring);

/*
 * hoop_ring_enter - the raw io_uring_enter(2) on this ring (registered index
 * used when the ring fd is registered). Returns the kernel's result or -errno.
 */
HOOP_API int hoop_ring_enter(hoop_ring *ring, unsigned to_submit,
                             unsigned min_complete, unsigned flags,
                             const void *arg, size_t argsz);

/*
 * hoop_ring_register - the raw io_uring_register(2) on this ring. Returns the
 * kernel's result or -errno.
 */
HOOP_API int hoop_ring_register(hoop_ring *ring, unsigned opcode,
                                const void *arg, unsigned nr_args);

#ifdef __cplusplus
}
#endif

#endif /* HOOP_RING_H */
