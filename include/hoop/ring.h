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
	uint32_t flags;         /* HOOP_SETUP_* */
	uint32_t cq_entries;    /* CQ size, used with HOOP_SETUP_CQSIZE */
	uint32_t sq_thread_cpu; /* with HOOP_SETUP_SQPOLL | HOOP_SETUP_SQ_AFF */
	uint32_t sq_thread_idle; /* SQPOLL idle time in milliseconds */
	int32_t wq_fd;           /* ring fd to share io-wq with (ATTACH_WQ) */
	/*
	 * Smallest SQ size acceptable when setup fails with ENOMEM (the locked
	 * memory limit). hoop halves the size down to this floor before giving
	 * up. 0 means "do not shrink".
	 */
	uint32_t min_entries;
	uint32_t hoop_flags; /* HOOP_RING_* */
	uint32_t resv;       /* must be 0 (see common.h) */
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
 * above 32768 without HOOP_SETUP_CLAMP, unknown flags, resv not 0, out
 * NULL), -ENOMEM
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
 * hoop_ring_get_sqe128 - the next free 128-byte SQE (two struct hoop_sqe
 * in a row), or NULL when the SQ lacks room (submit first) or the ring has
 * neither HOOP_SETUP_SQE128 nor HOOP_SETUP_SQE_MIXED. On an SQE128 ring it
 * is hoop_ring_get_sqe. On an SQE_MIXED ring the entry takes two SQ slots,
 * and as the kernel refuses one that would start in the ring's last slot
 * and wrap, that slot is first filled with a NOP flagged
 * HOOP_SQE_CQE_SKIP_SUCCESS (no CQE), so up to three slots are used. Fill
 * the entry with a 128-byte opcode (hoop_prep_nop128,
 * hoop_prep_uring_cmd128); a 64-byte one from hoop_ring_get_sqe goes
 * beside it as usual. Owner thread.
 */
HOOP_API struct hoop_sqe *hoop_ring_get_sqe128(hoop_ring *ring);

/*
 * hoop_ring_submit - publish all prepared SQEs and tell the kernel. Returns
 * the number submitted (>= 0) or -errno: -EBUSY or -EAGAIN when the kernel
 * cannot take more right now (reap completions and retry). EINTR is retried.
 * Without SQPOLL the number is what the kernel consumed in this call (SQEs
 * an earlier call left behind included). With SQPOLL it is the number of
 * SQEs prepared since the previous submit call, all handed to the kernel
 * thread, however many it has taken by the time this returns.
 */
HOOP_API int hoop_ring_submit(hoop_ring *ring);

/*
 * hoop_ring_submit_and_wait - submit, then wait until at least `wait_nr`
 * completions are available. Returns the number submitted (counted as in
 * hoop_ring_submit) or -errno; -EINTR if a signal arrived while waiting.
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
 * Returns 0 and sets *cqe_out, or -EAGAIN when none is ready. Enters the
 * kernel at most once (overflow, task work, IOPOLL reaping), never waits.
 */
HOOP_API int hoop_ring_peek_cqe(hoop_ring *ring, struct hoop_cqe **cqe_out);

/*
 * hoop_ring_wait_cqe - wait for one completion. Returns 0 and sets *cqe_out,
 * or -EINTR / -errno.
 */
HOOP_API int hoop_ring_wait_cqe(hoop_ring *ring, struct hoop_cqe **cqe_out);

/*
 * hoop_ring_wait_cqe_nr - wait until `wait_nr` completions are ready; sets
 * *cqe_out to the oldest. Returns 0 or -errno. With wait_nr 0 it does not
 * wait (as peek, *cqe_out may be NULL).
 */
HOOP_API int hoop_ring_wait_cqe_nr(hoop_ring *ring, struct hoop_cqe **cqe_out,
                                   unsigned wait_nr);

/*
 * hoop_ring_wait_cqe_timeout - wait up to `ts` (relative; NULL = forever) for
 * one completion. Returns 0 and sets *cqe_out, -ETIME on timeout, -EINTR, or
 * -errno. Needs HOOP_FEAT_EXT_ARG (5.11+); -EOPNOTSUPP without it.
 */
HOOP_API int hoop_ring_wait_cqe_timeout(hoop_ring *ring, struct hoop_cqe **cqe_out,
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
                                 unsigned wait_nr, const struct hoop_timespec *ts,
                                 const void *sigmask);

/*
 * hoop_ring_wait_cqes_min_timeout - submit pending SQEs, then wait up to
 * `min_wait_usec` microseconds for `wait_nr` completions; once that minimum
 * has passed, return as soon as at least one completion is ready, and
 * otherwise keep waiting for one until `ts` (relative; NULL = no overall
 * limit) has passed. This is the kernel's MIN_TIMEOUT wait: a batch gets
 * the chance to fill up, yet a lone completion waits no longer than the
 * minimum. `sigmask` (const sigset_t *, may be NULL) is applied while
 * waiting. Returns 0 and sets *cqe_out (may be NULL) to the oldest
 * completion, which may be one of fewer than wait_nr; -ETIME when `ts`
 * ran out with none ready (*cqe_out NULL); -EINTR; -EOPNOTSUPP when the
 * kernel lacks HOOP_FEAT_MIN_TIMEOUT (6.12); -EINVAL for wait_nr 0 or
 * above the CQ size or a bad `ts`. -EOPNOTSUPP and -EINVAL come before
 * anything is submitted. A `ts` shorter than the minimum ends the minimum
 * there. Owner thread only, as every call on a ring.
 */
HOOP_API int
hoop_ring_wait_cqes_min_timeout(hoop_ring *ring, struct hoop_cqe **cqe_out,
                                unsigned wait_nr, const struct hoop_timespec *ts,
                                unsigned min_wait_usec, const void *sigmask);

/*
 * hoop_ring_submit_and_wait_min_timeout - as
 * hoop_ring_wait_cqes_min_timeout, returning the number of SQEs submitted
 * (counted as in hoop_ring_submit) instead of 0.
 */
HOOP_API int hoop_ring_submit_and_wait_min_timeout(hoop_ring *ring,
                                                   struct hoop_cqe **cqe_out,
                                                   unsigned wait_nr,
                                                   const struct hoop_timespec *ts,
                                                   unsigned min_wait_usec,
                                                   const void *sigmask);

/*
 * hoop_ring_peek_batch_cqe - store up to `count` ready completions, oldest
 * first, in cqes[]; returns how many (0 when none). Flushes a CQ overflow
 * backlog if the CQ looks empty. Mark them seen with hoop_ring_cq_advance.
 */
HOOP_API unsigned hoop_ring_peek_batch_cqe(hoop_ring *ring, struct hoop_cqe **cqes,
                                           unsigned count);

/*
 * hoop_ring_cqe_seen - mark one completion consumed; its slot goes back to
 * the kernel and the pointer must not be used again. Completions are
 * consumed oldest first: `cqe` must be the oldest unseen one.
 */
HOOP_API void hoop_ring_cqe_seen(hoop_ring *ring, struct hoop_cqe *cqe);

/*
 * HOOP_SETUP_CQE_MIXED rings: every count in this file is of completions,
 * never of CQ slots, though a 32-byte one (HOOP_CQE_F_32; its extra 16
 * bytes follow the struct hoop_cqe) takes two slots, and hoop steps over
 * the kernel's padding entries (HOOP_CQE_F_SKIP), which are never handed
 * out. As the CQ may then fill up with fewer than `wait_nr` completions,
 * a wait on such a ring also ends when the CQ is full: reap, then wait
 * again.
 */

/* hoop_ring_cq_advance - mark the `nr` oldest completions consumed. */
HOOP_API void hoop_ring_cq_advance(hoop_ring *ring, unsigned nr);

/*
 * hoop_ring_copy_cqes - copy up to `count` ready completions into out[] and
 * mark them consumed in one step; returns how many. `wait_nr` > 0 waits
 * (forever) until at least that many are ready. Returns the count or -errno
 * (-EINVAL if wait_nr > count or above the CQ size). This is the batch form
 * that FFI callers use. With HOOP_SETUP_CQE32 (and for 32-byte CQEs with
 * HOOP_SETUP_CQE_MIXED) only the first 16 bytes of each CQE are copied.
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
 * Eventfd notification (liburing's io_uring_cq_eventfd_enabled and
 * io_uring_cq_eventfd_toggle): with an eventfd registered
 * (hoop_ring_register_eventfd), the kernel signals it for each completion
 * unless notifications are switched off in the CQ ring's flags
 * (HOOP_CQ_EVENTFD_DISABLED), which these read and write; the eventfd
 * stays registered. hoop_ring_cq_eventfd_enabled returns 1 (on, the
 * default) or 0. hoop_ring_cq_eventfd_toggle returns 0, or -EOPNOTSUPP
 * when the kernel's CQ ring has no flags word (before 5.8), in which case
 * they are always on.
 */
HOOP_API int hoop_ring_cq_eventfd_enabled(const hoop_ring *ring);
HOOP_API int hoop_ring_cq_eventfd_toggle(hoop_ring *ring, int enabled);

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
 * enter skips the fd table lookup. Returns 1 on success, -EEXIST if it is
 * already registered (also by HOOP_RING_REGISTER_RING_FD; until hoop 0.2
 * this returned 0), or -errno. hoop_ring_unregister_ring_fd undoes it.
 */
HOOP_API int hoop_ring_register_ring_fd(hoop_ring *ring);
HOOP_API int hoop_ring_unregister_ring_fd(hoop_ring *ring);

/*
 * hoop_ring_close_ring_fd - close the ring's file descriptor and keep
 * using the ring through its registered fd (hoop_ring_register_ring_fd,
 * or HOOP_RING_REGISTER_RING_FD at creation), which must exist: every
 * later call, hoop_ring_register and hoop_ring_enter included, goes
 * through the registered index, and hoop_ring_fd returns -1. The fd number
 * may be reused by the process at once. The ring stays usable only from
 * the thread that registered it (the index is per thread), and
 * hoop_ring_unregister_ring_fd is refused from now on, the index being the
 * last handle; hoop_ring_destroy releases it. Returns 0, -EINVAL if the
 * ring fd is not registered (the fd stays open), -EBADF if there is no fd
 * any more (closed already, or a HOOP_SETUP_REGISTERED_FD_ONLY ring),
 * -EOPNOTSUPP without HOOP_FEAT_REG_REG_RING (6.3). Owner thread only.
 */
HOOP_API int hoop_ring_close_ring_fd(hoop_ring *ring);

/*
 * hoop_ring_set_iowait - whether the thread counts as waiting for I/O
 * (iowait time, and the CPU frequency boost that goes with it) while it
 * waits on this ring for completions with requests in flight. The kernel
 * marks such waits as iowait by default (`enabled` non-zero); 0 clears
 * that for every later wait on this ring (HOOP_ENTER_NO_IOWAIT). Returns
 * 0, or -EOPNOTSUPP without HOOP_FEAT_NO_IOWAIT (6.15), leaving the
 * setting as it was. Owner thread only.
 */
HOOP_API int hoop_ring_set_iowait(hoop_ring *ring, int enabled);

/*
 * hoop_ring_resize - give a live ring an SQ of `sq_entries` and a CQ of
 * `cq_entries` slots (rounded up to powers of two; cq_entries 0: twice the
 * SQ), keeping what is in it: requests in flight complete into the new CQ,
 * completions not yet seen are moved over in order, and SQEs prepared but
 * not submitted are carried over (they are published first, not
 * submitted; the next submit sends them). Both rings are remapped, so
 * every struct hoop_sqe * and struct hoop_cqe * obtained before the call
 * is invalid after it: finish preparing SQEs, and copy or consume CQEs,
 * before calling. Only for rings created with HOOP_SETUP_DEFER_TASKRUN
 * (which implies HOOP_SETUP_SINGLE_ISSUER: the owner thread calls it).
 * Returns 0 (also when the sizes do not change), -EINVAL (sq_entries 0 or
 * above 32768, cq_entries above 65536 or below the SQ size, a ring without
 * DEFER_TASKRUN, or a kernel before 6.13), -EOVERFLOW when the unseen
 * completions or unsubmitted SQEs do not fit the new sizes (reap or submit,
 * then retry), -EBADF after hoop_ring_close_ring_fd (the new rings cannot
 * be mapped without the fd; HOOP_SETUP_NO_MMAP rings do not need it), or
 * another -errno; on these failures the ring is unchanged. If mapping the
 * new rings fails after the kernel switched to them (-ENOMEM, unlikely),
 * the ring cannot be used any more and must be destroyed.
 */
HOOP_API int hoop_ring_resize(hoop_ring *ring, unsigned sq_entries,
                              unsigned cq_entries);

/*
 * hoop_ring_register_region - register a memory region with the ring
 * (IORING_REGISTER_MEM_REGION, 6.13; liburing's io_uring_register_region):
 * `reg->region_uptr` points at a struct hoop_region_desc, either of caller
 * memory (HOOP_MEM_REGION_TYPE_USER), which stays pinned until the ring is
 * destroyed, or of memory the kernel allocates (flags 0, user_addr 0): the
 * kernel then writes the desc's mmap_offset, and hoop_ring_map_region maps
 * the pages. With HOOP_MEM_REGION_REG_WAIT_ARG in reg->flags the region
 * holds the struct hoop_reg_wait entries of hoop_ring_submit_and_wait_reg
 * (the kernel's CQWAIT_REG wait regions); the ring must then have been
 * created with HOOP_SETUP_R_DISABLED and not yet enabled. One region per
 * ring. Returns 0, -EBUSY (a region is there), -EINVAL (WAIT_ARG on an
 * enabled ring, bad flags, resv, size or alignment, or a kernel without
 * regions), -EFAULT, or -errno.
 */
HOOP_API int hoop_ring_register_region(hoop_ring *ring,
                                       struct hoop_mem_region_reg *reg);

/*
 * hoop_ring_map_region - map into this process a region whose memory the
 * kernel allocated: one registered with hoop_ring_register_region (flags 0,
 * user_addr 0), or a zcrx refill queue registered that way by
 * hoop_ring_register_ifq. `rd` is the struct hoop_region_desc after the
 * registration, holding the mmap_offset the kernel wrote. The whole
 * rd->size is mapped shared, read and write, from the ring fd at that
 * offset (liburing programs call mmap(2) themselves: MAP_SHARED at
 * rd.mmap_offset); what the program writes there is what the kernel reads
 * (wait arguments, refill entries). *out gets the address. Unmap it with
 * hoop_region_unmap(*out, rd->size); the mapping keeps the pages, so it
 * may outlive the ring. Returns 0, -EINVAL (NULL argument, size 0, a
 * caller-memory desc, no mmap_offset: not registered), -EBADF (the ring
 * fd was closed with hoop_ring_close_ring_fd, or the ring has none), or
 * the -errno of mmap(2) (-ENOMEM when the ring has no region at that
 * offset).
 */
HOOP_API int hoop_ring_map_region(hoop_ring *ring,
                                  const struct hoop_region_desc *rd, void **out);

/*
 * hoop_region_unmap - undo hoop_ring_map_region: unmap `size` bytes (the
 * desc's size) at `addr`. Returns 0, or -EINVAL (NULL addr, size 0, or
 * what munmap(2) refuses).
 */
HOOP_API int hoop_region_unmap(void *addr, uint64_t size);

/*
 * hoop_ring_submit_and_wait_reg - submit, then wait for `wait_nr`
 * completions with the arguments in entry `reg_index` of the registered
 * wait region (liburing's io_uring_submit_and_wait_reg): its timeout
 * (with HOOP_REG_WAIT_TS), min_wait_usec and signal mask, read by the
 * kernel at each wait, so a program sets them once and waits with an
 * index. One entry into the kernel: it returns early on a signal
 * (-EINTR). *cqe_out (may be NULL) gets the oldest CQE or NULL. Returns
 * the number submitted, -ETIME when the timeout ran out first, -EFAULT
 * for an index outside the region (or no region), -EINVAL for a negative
 * index or a kernel without wait regions, or -errno.
 */
HOOP_API int hoop_ring_submit_and_wait_reg(hoop_ring *ring,
                                           struct hoop_cqe **cqe_out,
                                           unsigned wait_nr, int reg_index);

/*
 * Rings in the caller's memory (liburing's io_uring_memory_size_params
 * and io_uring_queue_init_mem): hoop_ring_memory_size says how many bytes
 * a ring of `entries` with params `p` (NULL: defaults; HOOP_SETUP_NO_MMAP
 * is implied) needs, or -EINVAL. hoop_ring_create_mem sets it up in `buf`
 * (page aligned, `buf_size` at least that many bytes, e.g. one huge page,
 * which then holds the SQ, the CQ and the SQEs) instead of memory hoop
 * maps: as hoop_ring_create with HOOP_SETUP_NO_MMAP otherwise, but the
 * ring is never shrunk below `entries` (min_entries is ignored). `buf`
 * must stay mapped until hoop_ring_destroy, which leaves it to the
 * caller; hoop_ring_resize of such a ring is -EOPNOTSUPP. Returns 0,
 * -EINVAL (NULL, unaligned buf, bad params), -ENOMEM (buf_size too small),
 * or hoop_ring_create's errors (-EINVAL before 6.5, which lacks NO_MMAP).
 */
HOOP_API int64_t hoop_ring_memory_size(unsigned entries, const hoop_ring_params *p);
HOOP_API int hoop_ring_create_mem(hoop_ring **out, unsigned entries,
                                  const hoop_ring_params *p, void *buf,
                                  size_t buf_size);

/*
 * hoop_ring_register_ifq - attach receive queue reg->if_rxq of network
 * interface reg->if_idx to the ring for zero-copy receive
 * (IORING_REGISTER_ZCRX_IFQ, 6.15; liburing's io_uring_register_ifq):
 * packets land in the area reg->area_ptr describes and the refill queue
 * lives in the region reg->region_ptr describes; the kernel fills
 * reg->offsets, reg->zcrx_id and the area's rq_area_token. Needs a ring
 * with HOOP_SETUP_DEFER_TASKRUN and 32-byte CQEs (CQE32 or CQE_MIXED),
 * CAP_NET_ADMIN, and a NIC whose driver does header split and queue
 * management; elsewhere the kernel answers -EINVAL (ring flags, a kernel
 * without zcrx), -EPERM, or -EOPNOTSUPP (a device that cannot, such as
 * loopback). Returns 0 or -errno. The queue stays attached until the ring
 * is destroyed.
 */
HOOP_API int hoop_ring_register_ifq(hoop_ring *ring, struct hoop_zcrx_ifq_reg *reg);

/*
 * A zcrx refill queue as the program sees it (what liburing programs keep
 * in their struct io_uring_zcrx_rq): the kernel's head and tail in the
 * refill region, the entries, and the program's private tail.
 */
struct hoop_zcrx_rq {
	uint32_t *khead; /* the kernel's head: it has taken entries before it */
	uint32_t *ktail; /* the tail the kernel reads */
	uint32_t rq_tail;      /* entries handed out by hoop_zcrx_rq_get */
	uint32_t ring_entries; /* a power of two */
	struct hoop_zcrx_rqe *rqes;
	void *ring_ptr; /* the start of the refill region */
};

/*
 * Giving zero-copy receive buffers back to the kernel through the zcrx
 * refill queue. liburing has no calls for this; its programs do these
 * steps by hand.
 *
 * hoop_zcrx_rq_size - the bytes of refill region to register for
 *   `rq_entries` entries (rounded up to a power of two as the kernel does):
 *   a page for the head and tail, then 16 bytes an entry, rounded up to
 *   whole pages; 0 for 0 or more than 32768 entries.
 * hoop_zcrx_rq_init - point *rq at the refill region `ring_ptr` (the
 *   caller's memory, or the hoop_ring_map_region mapping of a kernel one)
 *   using the offsets and rq_entries hoop_ring_register_ifq wrote into
 *   *reg; rq_tail starts at the kernel's tail. Returns 0, or -EINVAL (NULL
 *   argument, rq_entries not a power of two).
 * hoop_zcrx_rq_get - the next free entry, counted into rq_tail but not yet
 *   visible to the kernel, or NULL when all ring_entries entries are
 *   handed out and the kernel has not taken them (read its head, acquire).
 * hoop_zcrx_rqe_fill - write buffer `off` (an area offset, such as
 *   hoop_zcrx_cqe_off gives; its area-id bits are replaced by
 *   `area_token`, the rq_area_token hoop_ring_register_ifq wrote into the
 *   area) of `len` bytes into *rqe.
 * hoop_zcrx_rq_advance - publish every entry handed out so far: a release
 *   store of rq_tail into the kernel's tail (the entries are written
 *   before the kernel sees them).
 * hoop_zcrx_cqe_off - the offset in the area of the data of a RECV_ZC
 *   completion `cqe` (a 32-byte CQE: its second half is a struct
 *   hoop_zcrx_cqe), area-id bits cleared; the data is cqe->res bytes
 *   there.
 * Single owner: one thread refills a queue. None enters the kernel.
 */
HOOP_API size_t hoop_zcrx_rq_size(unsigned rq_entries);
HOOP_API int hoop_zcrx_rq_init(struct hoop_zcrx_rq *rq, void *ring_ptr,
                               const struct hoop_zcrx_ifq_reg *reg);
HOOP_API struct hoop_zcrx_rqe *hoop_zcrx_rq_get(struct hoop_zcrx_rq *rq);
HOOP_API void hoop_zcrx_rqe_fill(struct hoop_zcrx_rqe *rqe, uint64_t area_token,
                                 uint64_t off, uint32_t len);
HOOP_API void hoop_zcrx_rq_advance(struct hoop_zcrx_rq *rq);
HOOP_API uint64_t hoop_zcrx_cqe_off(const struct hoop_cqe *cqe);

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
