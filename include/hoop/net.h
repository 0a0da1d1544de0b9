/*
 * hoop/net.h - networking: provided-buffer groups and hoop_loop, an event
 * loop with callbacks on a single-owner ring.
 *
 * A buffer group is `count` buffers of `size` bytes that the kernel picks
 * from when a receive has HOOP_SQE_BUFFER_SELECT set and names the group.
 * The completion says which buffer it filled (HOOP_CQE_F_BUFFER and the
 * buffer id in the upper 16 bits of its flags); the application reads the
 * data there and gives the buffer back, which provides it to the kernel
 * again. When every buffer is out, receives fail with -ENOBUFS (a multishot
 * receive then ends: its last completion has no HOOP_CQE_F_MORE).
 *
 * hoop_loop owns one ring and runs callbacks on the thread that runs it:
 * one loop per thread, SO_REUSEPORT listeners to spread a server over cores.
 */
#ifndef HOOP_NET_H
#define HOOP_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "common.h"
#include "engine.h"
#include "ring.h"
#include "uapi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Buffer groups                                                      */
/* ------------------------------------------------------------------ */

typedef struct hoop_bufgroup hoop_bufgroup;

/* Creation flags. */
/* Use the provide-buffers operation even where buffer rings exist. */
#define HOOP_BUFGROUP_LEGACY 0x01u

/* How the group's buffers reach the kernel (hoop_bufgroup_mode). */
#define HOOP_BUFGROUP_MODE_RING 1    /* a registered buffer ring (5.19+) */
#define HOOP_BUFGROUP_MODE_PROVIDE 2 /* IORING_OP_PROVIDE_BUFFERS */

/*
 * hoop_bufgroup_create - allocate `count` buffers of `size` bytes (count a
 * power of two, 1..32768; size 1..2^31, below 2^31 with LEGACY) as group
 * `bgid` of `ring`, and provide all of them. A buffer ring is used where the
 * kernel registers one (5.19+; older kernels refuse the registration and the
 * group falls back by itself), else (or with HOOP_BUFGROUP_LEGACY) the
 * provide-buffers operation, which is submitted and waited for on `ring`:
 * the caller must own the ring. The result of that operation is taken out
 * of the CQ without disturbing the caller's other completions (do not hold
 * CQE pointers across calls that provide); should the CQ be full, its late
 * CQE carries user_data HOOP_BUFGROUP_UD: skip it. Returns 0 and sets *out,
 * -EINVAL (bad count, size or flags, NULL), -EEXIST (bgid in use on this
 * ring), -ENOMEM, or -errno. The ring owner's thread; destroy the group
 * before the ring (a loop's ring: before or after hoop_loop_destroy).
 */
HOOP_API int hoop_bufgroup_create(hoop_bufgroup **out, hoop_ring *ring,
                                  uint16_t bgid, unsigned count, unsigned size,
                                  unsigned flags);

/*
 * hoop_bufgroup_create_engine - the same for an engine's ring (LEGACY
 * provides go through the engine: not from an engine callback); any thread
 * of the engine's users may then take and return buffers. Returns as
 * hoop_bufgroup_create, -EOPNOTSUPP when the engine runs on the thread pool
 * (which cannot select buffers), -ESHUTDOWN / -ECHILD as the engine's calls.
 * Any thread.
 */
HOOP_API int hoop_bufgroup_create_engine(hoop_bufgroup **out, hoop_engine *e,
                                         uint16_t bgid, unsigned count,
                                         unsigned size, unsigned flags);

/*
 * hoop_bufgroup_destroy - unregister the group (LEGACY: take back the
 * buffers the kernel holds) and free its buffers. No operation selecting
 * from it may be in flight, and no other thread may be using the group.
 * NULL is accepted.
 */
HOOP_API void hoop_bufgroup_destroy(hoop_bufgroup *g);

/* The user_data of the provide-buffers operations of a LEGACY group. */
#define HOOP_BUFGROUP_UD 0xffffffffffffff02ull

/* hoop_bufgroup_id / _count / _size / _mode - as created (the mode the
 * group got: HOOP_BUFGROUP_MODE_*); 0 (mode: -EINVAL) for NULL. Any thread. */
HOOP_API uint16_t hoop_bufgroup_id(const hoop_bufgroup *g);
HOOP_API unsigned hoop_bufgroup_count(const hoop_bufgroup *g);
HOOP_API unsigned hoop_bufgroup_size(const hoop_bufgroup *g);
HOOP_API int hoop_bufgroup_mode(const hoop_bufgroup *g);

/*
 * hoop_bufgroup_cqe_bid - the buffer id a completion's flags name, or
 * -ENOBUFS if the completion carries no buffer (HOOP_CQE_F_BUFFER clear).
 * Any thread.
 */
HOOP_API int hoop_bufgroup_cqe_bid(uint32_t cqe_flags);

/*
 * hoop_bufgroup_buf - the address of buffer `bid`, or NULL if bid is out of
 * range or g is NULL. The data a completion delivered starts there; the
 * memory belongs to the group (valid until hoop_bufgroup_destroy). Any
 * thread.
 */
HOOP_API void *hoop_bufgroup_buf(hoop_bufgroup *g, unsigned bid);

/*
 * hoop_bufgroup_bundle - for a bundle receive that completed with `res` > 0
 * bytes starting in buffer `bid`, fill iov[] with the pieces in order (each
 * a whole buffer but the last) and, if bids is not NULL, bids[] with their
 * ids. Returns the number of pieces, -ENOSPC if more than `max` are needed,
 * -EINVAL (bad bid or res, iov NULL; LEGACY: res above one buffer). Call it
 * before any buffer of the group is given back after that completion was
 * reaped (the loop does so before the callback). A plain receive is a
 * bundle of one. It also records the pieces as out of the kernel (see
 * hoop_bufgroup_return). Any thread.
 */
HOOP_API int hoop_bufgroup_bundle(hoop_bufgroup *g, unsigned bid, int32_t res,
                                  struct iovec *iov, uint16_t *bids, unsigned max);

/*
 * hoop_bufgroup_return - give buffer `bid` back to the kernel. Returns 0,
 * -EINVAL (out of range, NULL), -EALREADY (the buffer is not out: it was
 * never taken or was already given back), -ESHUTDOWN (the group's loop was
 * destroyed), or -errno (LEGACY: the provide failed; the buffer stays
 * out).
 *
 * How hoop knows a buffer is out: the loop tells the group about every
 * completion it delivers, hoop_bufgroup_bundle records the pieces it
 * lists, and a ring-mode group asks the kernel for its ring head (6.8+, one
 * io_uring_register call, only when neither of the first two saw the
 * buffer go). A buffer none of these has seen going out is refused with
 * -EALREADY: LEGACY groups, and ring groups before 6.8, used without a loop
 * must have their completions passed to hoop_bufgroup_bundle first. A
 * second give-back after the kernel has already taken the buffer again
 * cannot be told from the give-back of its next completion: it is
 * accepted.
 *
 * Threads: ring mode, any thread (calls are serialized by a mutex inside
 * the group, uncontended it costs one atomic operation each way; the kernel
 * head query needs the ring owner's thread on a SINGLE_ISSUER ring such as
 * a loop's). LEGACY: the ring owner only (an engine group: any thread but
 * not from an engine callback, as it waits for the provide).
 */
HOOP_API int hoop_bufgroup_return(hoop_bufgroup *g, unsigned bid);

/*
 * hoop_bufgroup_available - buffers the kernel can pick from right now.
 * Ring mode: published entries minus the kernel's head, which is asked for
 * (6.8+; before, the head as far as hoop has seen completions, so the count
 * may be high). LEGACY: buffers minus those hoop has seen go out. 0 for
 * NULL. Threads as hoop_bufgroup_return.
 */
HOOP_API unsigned hoop_bufgroup_available(hoop_bufgroup *g);

/* ------------------------------------------------------------------ */
/* Event loop                                                         */
/* ------------------------------------------------------------------ */

typedef struct hoop_loop hoop_loop;

/*
 * A callback: `res` is the operation's result (bytes, a new fd, 0, or
 * -errno) and `flags` its completion flags (HOOP_CQE_F_MORE: more will
 * follow for this operation; HOOP_CQE_F_BUFFER: a buffer was selected).
 * Runs on the loop's thread, inside hoop_loop_run / _run_once; it may
 * start new operations and may cancel any, including its own.
 */
typedef void (*hoop_loop_fn)(hoop_loop *loop, void *arg, int32_t res,
                             uint32_t flags);

typedef struct hoop_loop_params {
	uint32_t entries;     /* SQ size; 0 = 256 (CQ is 4x; the loop holds
	                         at most CQ-size operations) */
	uint32_t setup_flags; /* HOOP_SETUP_* to use as they are (CQSIZE is
	                         added); 0 = the best single-owner tier:
	                         COOP_TASKRUN | TASKRUN_FLAG | SINGLE_ISSUER |
	                         DEFER_TASKRUN, dropping flags from the end
	                         while the kernel refuses them */
	uint32_t resv[6];     /* must be 0 */
} hoop_loop_params;

/*
 * hoop_loop_create - a loop on a new ring owned by the calling thread (the
 * only thread that may call the loop afterwards, except hoop_loop_stop).
 * `params` may be NULL. Returns 0 and sets *out, -EINVAL (out NULL,
 * entries above 32768, resv not 0), -ENOMEM, or the ring's setup error.
 */
HOOP_API int hoop_loop_create(hoop_loop **out, const hoop_loop_params *params);

/*
 * hoop_loop_destroy - cancel every operation, wait until the kernel has
 * finished with them (their callbacks run with their final result, usually
 * -ECANCELED; sends not yet started get -ECANCELED; closes already asked
 * for still close their fd), close the ring and free the loop. Callbacks
 * run meanwhile cannot start operations (-ESHUTDOWN). Buffer groups of
 * the loop's ring may be destroyed before (once no receive selects from
 * them) or after: then they only free their memory (give-backs in between
 * get -ESHUTDOWN). The owner thread, not from a callback. NULL is accepted.
 */
HOOP_API void hoop_loop_destroy(hoop_loop *loop);

/* hoop_loop_ring - the loop's ring (for registration, bufgroups; do not
 * submit or reap on it yourself); NULL for NULL. */
HOOP_API hoop_ring *hoop_loop_ring(hoop_loop *loop);

/*
 * hoop_loop_sqe - an SQE whose completions call fn(arg, ...), with its
 * user_data already set (prepared as a NOP); fill it with a hoop_prep_*
 * function and set its sqe flags before any other call on the loop.
 * hoop_prep_* clear user_data: the loop writes it again when it submits,
 * so read the id with hoop_loop_sqe_id before preparing. Do not use
 * HOOP_SQE_CQE_SKIP_SUCCESS (the operation would never end). Submitted on
 * the next run; fn runs for every completion, the last one without
 * HOOP_CQE_F_MORE. NULL when the loop is full (every operation slot is in
 * use), is being destroyed, or loop or fn is NULL.
 */
HOOP_API struct hoop_sqe *hoop_loop_sqe(hoop_loop *loop, hoop_loop_fn fn,
                                        void *arg);
/* hoop_loop_sqe_id - the id of an SQE from hoop_loop_sqe, read before it is
 * prepared (0 for NULL). */
HOOP_API uint64_t hoop_loop_sqe_id(const struct hoop_sqe *sqe);

/*
 * hoop_loop_run_once - submit what is pending, wait up to `timeout_ns`
 * (< 0 forever, 0 not at all) for at least one completion, and run the
 * callbacks of every completion available. A signal ends the wait early.
 * Returns the number of callbacks run, 0 on timeout or when stopped (a
 * hoop_loop_stop is used up by the run_once that sees it), -EINVAL (NULL,
 * or during destroy), or -errno from the ring.
 */
HOOP_API int hoop_loop_run_once(hoop_loop *loop, int64_t timeout_ns);

/*
 * hoop_loop_run - run until hoop_loop_stop. Returns 0 when stopped, or
 * -errno if the ring fails.
 */
HOOP_API int hoop_loop_run(hoop_loop *loop);

/*
 * hoop_loop_stop - make hoop_loop_run return (and the current or next
 * hoop_loop_run_once return promptly). Any thread, and from signal
 * handlers (an atomic store and a write(2) to an eventfd the ring polls).
 * Returns 0, -EINVAL (NULL) or -errno from write.
 */
HOOP_API int hoop_loop_stop(hoop_loop *loop);

/* hoop_loop_pending - operations started and not yet finished (their last
 * callback has not run); 0 for NULL. */
HOOP_API unsigned hoop_loop_pending(const hoop_loop *loop);

/*
 * hoop_loop_cancel - cancel operation `id` (from hoop_loop_sqe_id or an
 * id_out below). Its callback runs later with -ECANCELED (or its real
 * result if it won the race; completions already on their way are still
 * delivered). Returns 0 (also when already being cancelled), -ENOENT
 * (unknown or finished), -EALREADY for a close, -EINVAL for NULL.
 */
HOOP_API int hoop_loop_cancel(hoop_loop *loop, uint64_t id);

/* Timer flags. */
#define HOOP_LOOP_TIMER_REPEAT 0x01u /* fire every `ns` until cancelled */

/*
 * hoop_loop_timer - call fn(arg, -ETIME, flags) after `ns` nanoseconds
 * (REPEAT: every `ns`, with HOOP_CQE_F_MORE while it stays armed; one
 * multishot timeout where the kernel has them, 6.4+, else, and for periods
 * under 100 us, re-armed after each expiry, since a multishot timeout that
 * fast is nearly never where a cancel looks for it); cancelled timers call
 * fn with -ECANCELED (no MORE), once, and nothing after that.
 * *id_out (may be NULL) gets its id. Returns 0, -EINVAL (ns 0, unknown
 * flags, NULL loop or fn), -EBUSY (loop full), -ESHUTDOWN (destroying).
 */
HOOP_API int hoop_loop_timer(hoop_loop *loop, uint64_t ns, unsigned flags,
                             hoop_loop_fn fn, void *arg, uint64_t *id_out);

/* Flags for the network helpers. */
#define HOOP_LOOP_DIRECT 0x01u /* accept: into fixed file slots */
#define HOOP_LOOP_BUNDLE 0x02u /* recv: bundles where the kernel has them */
#define HOOP_LOOP_ZC 0x04u     /* send: zero copy */
#define HOOP_LOOP_ABORT 0x08u  /* close: reset (SO_LINGER 0), not FIN */

/*
 * hoop_loop_accept - multishot accept on listening socket `fd`: fn runs
 * with each new connection's fd (SOCK_CLOEXEC; with DIRECT: its fixed file
 * slot, and a file table must be registered) and HOOP_CQE_F_MORE while
 * armed. The new fd belongs to fn. If the kernel ends the multishot for a
 * reason that is not fatal (-ENFILE, -EMFILE, -ENOMEM, -ENOBUFS, -EAGAIN,
 * -ECONNABORTED, or no error), fn is told (res, with HOOP_CQE_F_MORE,
 * because the loop then re-arms it: at once, or 1 ms later after an error
 * so a full fd table does not spin). Fatal errors (-EINVAL, -EBADF, ...)
 * and cancel end it: the last call has no MORE. Returns 0, -EBUSY (loop
 * full), -EINVAL, -EBADF (a close of fd is pending), -ESHUTDOWN.
 */
HOOP_API int hoop_loop_accept(hoop_loop *loop, int fd, unsigned flags,
                              hoop_loop_fn fn, void *arg, uint64_t *id_out);

/*
 * hoop_loop_recv - multishot receive on `fd` into buffers of group `g`
 * (created on this loop's ring, else -EINVAL). fn runs per receive with
 * the byte count and flags naming the buffer (hoop_bufgroup_cqe_bid; with
 * BUNDLE, see hoop_bufgroup_bundle; without kernel support, 6.10, BUNDLE
 * is ignored); the callback owns the buffer(s) and gives them back with
 * hoop_bufgroup_return (any time later, on the loop's thread). res 0 is
 * end of stream; -ENOBUFS means the group ran dry and the receive has
 * ended (re-arm with another call after returning buffers); other negative
 * values are socket errors (-ECONNRESET, ...). If the kernel stops with
 * data and no error, the loop re-arms by itself. The last call for the
 * operation has no HOOP_CQE_F_MORE. Returns 0, -EBUSY, -EINVAL, -EBADF (a
 * close of fd is pending), -ESHUTDOWN.
 */
HOOP_API int hoop_loop_recv(hoop_loop *loop, int fd, hoop_bufgroup *g,
                            unsigned flags, hoop_loop_fn fn, void *arg,
                            uint64_t *id_out);

/*
 * hoop_loop_send - send all `len` bytes (up to INT32_MAX) of `buf` on
 * `fd`: short sends are continued from where they stopped, and fn (may be
 * NULL) runs once with `len` or the first error (-EPIPE, -ECONNRESET,
 * -ECANCELED, ...; never SIGPIPE). The buffer must stay valid and
 * unchanged until fn runs (it may be freed in fn). With ZC the data is sent
 * without a copy and fn runs only after the kernel has released the buffer
 * (its notification). Sends started on the same fd are sent in the order
 * they were started, one at a time. Returns 0, -EBUSY, -EINVAL, -EBADF (a
 * close of fd is pending), -ESHUTDOWN.
 */
HOOP_API int hoop_loop_send(hoop_loop *loop, int fd, const void *buf, size_t len,
                            unsigned flags, hoop_loop_fn fn, void *arg);

/*
 * hoop_loop_close - close `fd`. Graceful (flags 0): receives and accepts on
 * fd are cancelled (their callbacks get -ECANCELED or their real result),
 * sends already started finish first, then the socket is closed and the
 * peer sees end of stream. ABORT: every operation on fd is cancelled first
 * (sends not yet in the kernel get -ECANCELED) and the peer gets a reset
 * (SO_LINGER 0). fn (may be NULL) runs with close's result after every
 * other callback for fd. Operations raw from hoop_loop_sqe are not
 * tracked by fd. The fd belongs to the loop from this call on. Returns 0,
 * -EBUSY, -EINVAL, -EALREADY (a close of fd is pending), -ESHUTDOWN.
 */
HOOP_API int hoop_loop_close(hoop_loop *loop, int fd, unsigned flags,
                             hoop_loop_fn fn, void *arg);

#ifdef __cplusplus
}
#endif

#endif /* HOOP_NET_H */
