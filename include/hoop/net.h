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
 * before the ring.
 */
HOOP_API int hoop_bufgroup_create(hoop_bufgroup **out, hoop_ring *ring,
                                  uint16_t bgid, unsigned count,
                                  unsigned size, unsigned flags);

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
                                  struct iovec *iov, uint16_t *bids,
                                  unsigned max);

/*
 * hoop_bufgroup_return - give buffer `bid` back to the kernel. Returns 0,
 * -EINVAL (out of range, NULL), -EALREADY (the buffer is not out: it was
 * never taken or was already given back), or -errno (LEGACY: the provide
 * failed; the buffer stays out).
 *
 * How hoop knows a buffer is out: the loop tells the group about every
 * completion it delivers, hoop_bufgroup_bundle records the pieces it
 * lists, and a ring-mode group asks the kernel for its ring head (6.8+, one
 * io_uring_register call, only when neither of the first two saw the
 * buffer go). A buffer none of these has seen going out is refused with
 * -EALREADY: LEGACY groups, and ring groups before 6.8, used without a loop
 * must have their completions passed to hoop_bufgroup_bundle first.
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

#ifdef __cplusplus
}
#endif

#endif /* HOOP_NET_H */
