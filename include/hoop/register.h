/*
 * hoop/register.h - io_uring_register(2) operations on a hoop_ring: fixed
 * buffers and files, a fd-to-slot file registry, eventfd notification, the
 * opcode probe, personalities, restrictions, io-wq limits, synchronous
 * cancel, provided-buffer rings, the wait clock and NAPI busy polling.
 *
 * Every function returns >= 0 on success or a negative errno value. Unless a
 * comment says otherwise: `ring` must not be NULL; the call belongs to the
 * ring's owner thread (a registered ring fd is only valid in the thread that
 * registered it); memory passed in is only read during the call.
 *
 * Fixed resources and in-flight work: the kernel holds its own reference to
 * every registered file and buffer page, so an operation already submitted
 * keeps using the old resource even after it is replaced or unregistered.
 * Memory of registered buffers must stay mapped until they are unregistered
 * (or the ring destroyed) and every operation using them has completed.
 */
#ifndef HOOP_REGISTER_H
#define HOOP_REGISTER_H

#include <stdint.h>
#include <sys/uio.h>

#include "common.h"
#include "uapi.h"
#include "ring.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Fixed buffers (read_fixed, write_fixed, send with a fixed buffer)  */
/* ------------------------------------------------------------------ */

/*
 * hoop_ring_register_buffers - pin `nr` buffers described by iovecs[] and
 * make them fixed buffers 0..nr-1 (the buf_index of the *_fixed preps).
 * Returns 0, -EBUSY if the ring already has a buffer table, -EFAULT for a
 * NULL base with a non-zero length, a zero length or a buffer above 1 GiB,
 * -EINVAL for nr 0 or above 16384, -ENOMEM when pages cannot be pinned.
 * The iovec array is only read during the call; the buffers themselves
 * must stay mapped while registered.
 */
HOOP_API int hoop_ring_register_buffers(hoop_ring *ring,
                                        const struct iovec *iovecs, unsigned nr);

/*
 * hoop_ring_register_buffers_sparse - a buffer table of `nr` empty slots to
 * be filled later with hoop_ring_register_buffers_update_tag. An operation
 * on an empty slot fails with -EFAULT. Returns 0 or -errno as above.
 */
HOOP_API int hoop_ring_register_buffers_sparse(hoop_ring *ring, unsigned nr);

/*
 * hoop_ring_register_buffers_tags - as hoop_ring_register_buffers, and give
 * buffer i the tag tags[i]. When a buffer with a non-zero tag is later
 * replaced or unregistered and no operation uses it any more, the kernel
 * posts a completion with user_data = tag and res = 0. `tags` may be NULL
 * (no tags). Needs HOOP_FEAT_RSRC_TAGS (5.13).
 */
HOOP_API int hoop_ring_register_buffers_tags(hoop_ring *ring,
                                             const struct iovec *iovecs,
                                             const uint64_t *tags, unsigned nr);

/*
 * hoop_ring_register_buffers_update_tag - replace buffer slots off..off+nr-1
 * with iovecs[] and tags[] (tags may be NULL). An iovec with a NULL base and
 * zero length empties its slot. Returns the number of slots updated, or
 * -EINVAL (range beyond the table), -ENXIO (no buffer table), -EFAULT.
 */
HOOP_API int hoop_ring_register_buffers_update_tag(hoop_ring *ring, unsigned off,
                                                   const struct iovec *iovecs,
                                                   const uint64_t *tags,
                                                   unsigned nr);

/*
 * hoop_ring_unregister_buffers - drop the whole buffer table. Returns 0 or
 * -ENXIO when none is registered. Later fixed operations fail (-EFAULT).
 */
HOOP_API int hoop_ring_unregister_buffers(hoop_ring *ring);

/* ------------------------------------------------------------------ */
/* Fixed files (HOOP_SQE_FIXED_FILE, direct descriptors)              */
/* ------------------------------------------------------------------ */

/*
 * hoop_ring_register_files - make fds[i] fixed file i. The ring takes its
 * own reference to each file, so the caller may close its fds afterwards
 * and keep using the slots. fds[i] == -1 leaves slot i empty. Returns 0,
 * -EBUSY if a file table exists, -EBADF for a bad fd, -EINVAL for nr 0,
 * -EMFILE when nr exceeds RLIMIT_NOFILE.
 */
HOOP_API int hoop_ring_register_files(hoop_ring *ring, const int *fds, unsigned nr);

/*
 * hoop_ring_register_files_sparse - a file table of `nr` empty slots, for
 * direct descriptors (openat/accept/socket into a slot) and later updates.
 * Returns 0 or -errno as above.
 */
HOOP_API int hoop_ring_register_files_sparse(hoop_ring *ring, unsigned nr);

/*
 * hoop_ring_register_files_tags - as hoop_ring_register_files, with a tag
 * per slot (tags may be NULL); removing a tagged file posts a completion
 * with user_data = tag, res = 0. Needs HOOP_FEAT_RSRC_TAGS (5.13).
 */
HOOP_API int hoop_ring_register_files_tags(hoop_ring *ring, const int *fds,
                                           const uint64_t *tags, unsigned nr);

/*
 * hoop_ring_register_files_update - replace slots off..off+nr-1 with fds[]
 * (-1 empties a slot, HOOP_REGISTER_FILES_SKIP leaves it unchanged).
 * Returns the number of slots updated (nr on full success), or -ENXIO (no
 * file table), -EINVAL (range beyond the table), -EBADF.
 */
HOOP_API int hoop_ring_register_files_update(hoop_ring *ring, unsigned off,
                                             const int *fds, unsigned nr);

/*
 * hoop_ring_register_files_update_tag - as hoop_ring_register_files_update,
 * also setting the new slots' tags (tags may be NULL). Returns the number
 * of slots updated or -errno.
 */
HOOP_API int hoop_ring_register_files_update_tag(hoop_ring *ring, unsigned off,
                                                 const int *fds,
                                                 const uint64_t *tags,
                                                 unsigned nr);

/*
 * hoop_ring_unregister_files - drop the whole file table (the kernel's
 * references; the caller's own fds are unaffected). Returns 0 or -ENXIO.
 */
HOOP_API int hoop_ring_unregister_files(hoop_ring *ring);

/*
 * hoop_ring_register_file_alloc_range - limit the slots the kernel picks
 * from for HOOP_FILE_INDEX_ALLOC to off..off+len-1. Returns 0, -ENXIO (no
 * file table) or -EINVAL (range outside the table). Needs 6.0.
 */
HOOP_API int hoop_ring_register_file_alloc_range(hoop_ring *ring, unsigned off,
                                                 unsigned len);

/* ------------------------------------------------------------------ */
/* File registry: fd -> fixed slot bookkeeping                        */
/* ------------------------------------------------------------------ */

/*
 * A hoop_file_registry owns a ring's fixed-file table: it registers a sparse
 * table of `nr_slots` slots and then hands out slots for fds, remembering
 * which fd number sits in which slot. It is keyed by fd number: if you close
 * an fd, unregister it before the number can be reused by open(). Like the
 * ring, a registry is used by one thread at a time.
 */
typedef struct hoop_file_registry hoop_file_registry;

/*
 * hoop_file_registry_create - register a sparse file table of `nr_slots`
 * slots on `ring` and store a new registry for it in *out. Returns 0,
 * -EINVAL (NULL out or ring, nr_slots 0), -ENOMEM, -EBUSY (the ring already
 * has a file table), or the kernel's -errno. *out is untouched on failure.
 * The registry keeps a pointer to the ring: destroy it before the ring.
 */
HOOP_API int hoop_file_registry_create(hoop_file_registry **out,
                                       hoop_ring *ring, unsigned nr_slots);

/*
 * hoop_file_registry_destroy - unregister the ring's file table and free the
 * registry. NULL is accepted and ignored. Operations already submitted keep
 * their files until they complete.
 */
HOOP_API void hoop_file_registry_destroy(hoop_file_registry *reg);

/*
 * hoop_file_registry_register_fd - put `fd` into the lowest free slot and
 * return that slot index (use it as the SQE's fd with HOOP_SQE_FIXED_FILE).
 * Returns -EEXIST if `fd` is already registered, -ENFILE when every slot is
 * taken, -EBADF for a negative or closed fd, or another -errno. After
 * success the caller may close `fd`: the slot keeps the file open.
 */
HOOP_API int hoop_file_registry_register_fd(hoop_file_registry *reg, int fd);

/*
 * hoop_file_registry_unregister_fd - empty the slot holding `fd` and make it
 * free for reuse. Returns the slot it was in, or -ENOENT.
 */
HOOP_API int hoop_file_registry_unregister_fd(hoop_file_registry *reg, int fd);

/* hoop_file_registry_lookup - the slot of `fd`, or -ENOENT. */
HOOP_API int hoop_file_registry_lookup(const hoop_file_registry *reg, int fd);

/* hoop_file_registry_count - how many slots are in use (>= 0). */
HOOP_API int hoop_file_registry_count(const hoop_file_registry *reg);

/* hoop_file_registry_capacity - the table size given at creation. */
HOOP_API int hoop_file_registry_capacity(const hoop_file_registry *reg);

/* ------------------------------------------------------------------ */
/* eventfd notification                                               */
/* ------------------------------------------------------------------ */

/*
 * hoop_ring_register_eventfd - signal eventfd `fd` (add 1) whenever a
 * completion is posted. The ring takes its own reference to the eventfd.
 * Returns 0, -EBUSY if one is registered already, -EBADF, or -errno.
 */
HOOP_API int hoop_ring_register_eventfd(hoop_ring *ring, int fd);

/*
 * hoop_ring_register_eventfd_async - as hoop_ring_register_eventfd, but only
 * completions of work that went asynchronous (punted to io-wq or completed
 * from poll) signal it; inline completions such as NOP do not.
 */
HOOP_API int hoop_ring_register_eventfd_async(hoop_ring *ring, int fd);

/* hoop_ring_unregister_eventfd - stop signalling. Returns 0 or -ENXIO. */
HOOP_API int hoop_ring_unregister_eventfd(hoop_ring *ring);

/* ------------------------------------------------------------------ */
/* Opcode probe                                                       */
/* ------------------------------------------------------------------ */

/*
 * hoop_ring_probe_ops - ask the kernel which opcodes it supports. For each
 * op < len, supported[op] becomes 1 or 0 (ops the kernel does not know are
 * 0). `supported` may be NULL when len is 0. Returns the number of opcodes
 * the kernel knows (its last opcode + 1), or -errno (-EINVAL before 5.6).
 */
HOOP_API int hoop_ring_probe_ops(hoop_ring *ring, uint8_t *supported, unsigned len);

/*
 * hoop_opcode_supported - 1 if this kernel supports opcode `op`, 0 if not
 * (including op >= 256), or -errno if no ring could be set up to ask (e.g.
 * -ENOSYS, -EPERM). The first successful call sets up a small ring of its
 * own and caches the answer for the process. Any thread.
 */
HOOP_API int hoop_opcode_supported(unsigned op);

/*
 * hoop_opcode_name - the lower-case name of opcode `op` ("nop", "readv",
 * ..., "pipe", "nop128", "uring_cmd128"), the IORING_OP_ name without
 * prefix. Returns NULL for op >= HOOP_OP_LAST. The string is static. Any
 * thread.
 */
HOOP_API const char *hoop_opcode_name(unsigned op);

/*
 * hoop_opcode_from_name - the opcode named `name` (as hoop_opcode_name
 * spells it, case-insensitive), or -ENOENT; -EINVAL for NULL. Any thread.
 */
HOOP_API int hoop_opcode_from_name(const char *name);

/*
 * hoop_op_name, hoop_op_from_name - deprecated: the names of
 * hoop_opcode_name and hoop_opcode_from_name before hoop 0.2, which share
 * the hoop_op_ prefix of the struct hoop_op fillers (docs/VOCABULARY.md).
 * They behave exactly as the new names and stay exported for the programs
 * that call them; new code calls hoop_opcode_name and
 * hoop_opcode_from_name. Any thread.
 */
HOOP_API const char *hoop_op_name(unsigned op);
HOOP_API int hoop_op_from_name(const char *name);

/*
 * hoop_feature_name / hoop_setup_flag_name - the lower-case name of one
 * HOOP_FEAT_* or HOOP_SETUP_* bit, given as its value (HOOP_FEAT_NODROP
 * gives "nodrop"; the kernel's IORING_FEAT_ / IORING_SETUP_ name without
 * prefix). NULL unless `bit` is exactly one bit that hoop knows. The
 * strings are static. Any thread.
 */
HOOP_API const char *hoop_feature_name(uint32_t bit);
HOOP_API const char *hoop_setup_flag_name(uint32_t bit);

/* ------------------------------------------------------------------ */
/* Personalities, restrictions                                        */
/* ------------------------------------------------------------------ */

/*
 * hoop_ring_register_personality - record the calling thread's credentials
 * and return their id (> 0), for hoop_sqe_set_personality. Returns the id
 * or -errno.
 */
HOOP_API int hoop_ring_register_personality(hoop_ring *ring);

/* hoop_ring_unregister_personality - forget id `id`. 0 or -EINVAL. */
HOOP_API int hoop_ring_unregister_personality(hoop_ring *ring, int id);

/*
 * hoop_ring_register_restrictions - allow only what res[0..nr-1] lists. The
 * ring must have been created with HOOP_SETUP_R_DISABLED and not yet
 * enabled; call hoop_ring_enable afterwards. Restrictions can be set once.
 * Returns 0, -EBADFD (ring already enabled), -EBUSY (already restricted),
 * -EINVAL (bad entry).
 */
HOOP_API int hoop_ring_register_restrictions(hoop_ring *ring,
                                             const struct hoop_restriction *res,
                                             unsigned nr);

/* ------------------------------------------------------------------ */
/* io-wq worker threads                                               */
/* ------------------------------------------------------------------ */

/*
 * hoop_ring_register_iowq_max_workers - set the per-NUMA-node limits of
 * io-wq workers: values[0] for bounded work (regular files, block
 * devices), values[1] for unbounded work (sockets, pipes). A 0 leaves that
 * limit unchanged. On success values[] holds the previous limits, so
 * {0, 0} just reads them. Returns 0 or -errno.
 */
HOOP_API int hoop_ring_register_iowq_max_workers(hoop_ring *ring,
                                                 unsigned values[2]);

/*
 * hoop_ring_register_iowq_aff - pin this ring's io-wq workers to the CPUs
 * in `mask`, a cpu_set_t of `cpusz` bytes (void * so that this header does
 * not need _GNU_SOURCE). Returns 0, -EINVAL (mask NULL, cpusz 0), or
 * -errno.
 */
HOOP_API int hoop_ring_register_iowq_aff(hoop_ring *ring, size_t cpusz,
                                         const void *mask);

/* hoop_ring_unregister_iowq_aff - undo the pinning. Returns 0 or -errno. */
HOOP_API int hoop_ring_unregister_iowq_aff(hoop_ring *ring);

/* ------------------------------------------------------------------ */
/* Synchronous cancel                                                 */
/* ------------------------------------------------------------------ */

/*
 * What to cancel with hoop_ring_register_sync_cancel. Zero-initialise, then
 * set the fields you need. Matching follows `flags` (HOOP_ASYNC_CANCEL_*):
 * by default by user_data; with HOOP_ASYNC_CANCEL_FD by `fd` (a fixed slot
 * with HOOP_ASYNC_CANCEL_FD_FIXED); with HOOP_ASYNC_CANCEL_OP by `opcode`;
 * HOOP_ASYNC_CANCEL_ALL cancels every match, HOOP_ASYNC_CANCEL_ANY
 * everything.
 *
 * How long to wait for a matching request that is already running (in an
 * io-wq worker) to stop: `timeout_ns` > 0 waits up to that long; 0 or less
 * waits as long as it takes; HOOP_SYNC_CANCEL_NO_WAIT in `hoop_flags`
 * does not wait at all (the kernel's zero timeout), with timeout_ns 0.
 */
struct hoop_sync_cancel {
	uint64_t user_data;
	int32_t fd;
	uint32_t flags;     /* HOOP_ASYNC_CANCEL_* */
	int64_t timeout_ns; /* > 0: give up with -ETIME after this long;
	                        <= 0: wait as long as it takes */
	uint8_t opcode;     /* with HOOP_ASYNC_CANCEL_OP */
	uint8_t hoop_flags; /* HOOP_SYNC_CANCEL_* (was resv[0]; 0 = as before) */
	uint8_t resv[6];    /* must be zero */
};

/*
 * hoop_flags: try once and do not wait for running requests: one that is
 * running gives -ETIME at once (it keeps running, and its completion comes
 * later as usual). Requests not yet started are cancelled as always.
 * Needs timeout_ns == 0 (-EINVAL otherwise).
 */
#define HOOP_SYNC_CANCEL_NO_WAIT 0x01u

/*
 * hoop_ring_register_sync_cancel - cancel the matching requests, waiting
 * (up to the timeout) for any that are already running to stop. Their
 * completions, usually -ECANCELED, are then reaped with the usual waits.
 * Returns 0 when one request was cancelled; with HOOP_ASYNC_CANCEL_ALL or
 * _ANY the number cancelled, 0 if none matched; -ENOENT when nothing
 * matched otherwise, -ETIME when the timeout ran out (at once with
 * HOOP_SYNC_CANCEL_NO_WAIT when a match is running), -EINVAL for NULL,
 * unknown flags or hoop_flags bits, NO_WAIT with a non-zero timeout_ns, or
 * resv not 0 (nothing is cancelled then). Needs 6.0.
 */
HOOP_API int hoop_ring_register_sync_cancel(hoop_ring *ring,
                                            const struct hoop_sync_cancel *c);

/* ------------------------------------------------------------------ */
/* Provided-buffer rings (low level)                                  */
/* ------------------------------------------------------------------ */

/* Flags for hoop_ring_register_buf_ring (IOU_PBUF_RING_*). */
/* The kernel allocates the ring; map it with mmap at the pbuf offset. */
#define HOOP_PBUF_RING_MMAP 0x01u
/* Buffers may be consumed partially (incremental consumption, 6.12). */
#define HOOP_PBUF_RING_INC 0x02u

/*
 * hoop_ring_register_buf_ring - register a ring of `entries` struct hoop_buf
 * (a power of two up to 32768) at `ring_addr` (page aligned, zeroed by the
 * caller; NULL with HOOP_PBUF_RING_MMAP) as buffer group `bgid`. Returns 0,
 * -EEXIST (bgid in use), -EINVAL (bad size, alignment or flags), or -errno.
 * The memory must stay mapped until hoop_ring_unregister_buf_ring. Needs
 * 5.19.
 */
HOOP_API int hoop_ring_register_buf_ring(hoop_ring *ring, void *ring_addr,
                                         unsigned entries, uint16_t bgid,
                                         unsigned flags);

/*
 * hoop_ring_register_buf_ring_reg - as hoop_ring_register_buf_ring, with
 * every field of the kernel's registration: `reg` holds the ring address,
 * entries, group id, flags (HOOP_PBUF_RING_MMAP, HOOP_PBUF_RING_INC) and
 * `min_left`. With HOOP_PBUF_RING_INC (6.12) a buffer is consumed
 * piecewise: a completion that leaves part of it gets HOOP_CQE_F_BUF_MORE
 * and the kernel uses the rest next time. `min_left` (> 0, INC only) makes
 * the kernel retire a buffer once less than min_left bytes would be left
 * in it, instead of handing out the small tail later; kernels without it
 * refuse a non-zero min_left with -EINVAL. Returns 0, -EINVAL (NULL reg,
 * min_left without INC, resv not 0, or the kernel's reasons), -EEXIST
 * (bgid in use), or -errno; nothing is registered on failure. `reg` is
 * only read during the call; the ring memory must stay mapped until
 * hoop_ring_unregister_buf_ring.
 */
HOOP_API int hoop_ring_register_buf_ring_reg(hoop_ring *ring,
                                             const struct hoop_buf_reg *reg);

/*
 * hoop_ring_unregister_buf_ring - remove buffer group `bgid`. Returns 0 or
 * -ENOENT / -EINVAL when it is not a registered buffer ring.
 */
HOOP_API int hoop_ring_unregister_buf_ring(hoop_ring *ring, uint16_t bgid);

/*
 * hoop_ring_buf_ring_head - store in *head_out the kernel's head of buffer
 * ring `bgid` (the next entry it will consume). Returns 0, -ENOENT (no such
 * ring), -EINVAL (head_out NULL), or -errno. Needs 6.8.
 */
HOOP_API int hoop_ring_buf_ring_head(hoop_ring *ring, uint16_t *head_out,
                                     uint16_t bgid);

/*
 * hoop_ring_clone_buffers_offset - give ring `dst` registered buffers
 * `src_off` .. `src_off`+`nr`-1 of ring `src`, as dst's buffers `dst_off`
 * onwards (liburing's io_uring_clone_buffers_offset): the same memory,
 * pinned once, usable from both rings; unregistering either ring's table
 * leaves the other's. `nr` 0 with both offsets 0 clones the whole table
 * (hoop_ring_clone_buffers). dst must have no buffer table unless `flags`
 * has HOOP_CLONE_BUFFERS_REPLACE, which replaces that range of dst's.
 * A src whose fd was closed (hoop_ring_close_ring_fd) is found by its
 * registered index. Returns 0, -EBUSY (dst has buffers, no REPLACE),
 * -ENXIO (src has none), -EOVERFLOW (a range past src's table), -EINVAL
 * (offsets without nr, unknown flags, NULL ring; kernels before 6.12 do
 * not know the call and before 6.13 refuse offsets the same way), or
 * -errno.
 */
#define HOOP_CLONE_BUFFERS_REPLACE 0x02u /* IORING_REGISTER_DST_REPLACE */
HOOP_API int hoop_ring_clone_buffers_offset(hoop_ring *dst, hoop_ring *src,
                                            unsigned dst_off, unsigned src_off,
                                            unsigned nr, unsigned flags);
HOOP_API int hoop_ring_clone_buffers(hoop_ring *dst, hoop_ring *src);

/*
 * hoop_register_sync_msg - post a message CQE in another ring without a
 * ring of our own (liburing's io_uring_register_sync_msg; 6.13): `sqe` is
 * prepared with hoop_prep_msg_ring (HOOP_MSG_DATA only) where `fd` is the
 * target ring's fd; the target gets a CQE with user_data `data` and res
 * `len` before this returns. Returns 0, -EBADFD / -EBADF (fd not a ring),
 * -EINVAL (not a MSG_RING data message, or a kernel without the call), or
 * -errno; -EOVERFLOW when the target's CQ is full.
 */
HOOP_API int hoop_register_sync_msg(const struct hoop_sqe *sqe);

/*
 * Filling a provided-buffer ring by hand (liburing's io_uring_buf_ring_*):
 * `br` is the ring memory given to hoop_ring_register_buf_ring (entries a
 * power of two). The kernel takes entries from its head up to the tail
 * that hoop_buf_ring_advance publishes; the tail lives in entry 0's resv.
 *
 * hoop_buf_ring_mask - the index mask for a ring of `entries` (entries-1).
 * hoop_buf_ring_init - set the tail to 0 (before registering).
 * hoop_buf_ring_add - write buffer `bid` (`addr`, `len`) into the entry
 *   `buf_offset` places after the tail, not yet visible to the kernel.
 * hoop_buf_ring_advance - publish `count` added entries (a release store
 *   of the tail: the entries are written before the kernel sees them).
 * hoop_buf_ring_cq_advance - hoop_buf_ring_advance(br, count) and
 *   hoop_ring_cq_advance(ring, count) together, for giving back the
 *   buffers of `count` completions just consumed.
 * hoop_buf_ring_available - how many entries group `bgid` still has for
 *   the kernel (tail minus the kernel's head), or -errno as
 *   hoop_ring_buf_ring_head (needs 6.8).
 */
HOOP_API unsigned hoop_buf_ring_mask(unsigned entries);
HOOP_API void hoop_buf_ring_init(struct hoop_buf *br);
HOOP_API void hoop_buf_ring_add(struct hoop_buf *br, void *addr, unsigned len,
                                uint16_t bid, unsigned mask, unsigned buf_offset);
HOOP_API void hoop_buf_ring_advance(struct hoop_buf *br, unsigned count);
HOOP_API void hoop_buf_ring_cq_advance(hoop_ring *ring, struct hoop_buf *br,
                                       unsigned count);
HOOP_API int hoop_buf_ring_available(hoop_ring *ring, struct hoop_buf *br,
                                     uint16_t bgid);

/* ------------------------------------------------------------------ */
/* Wait clock                                                         */
/* ------------------------------------------------------------------ */

/*
 * hoop_ring_register_clock - the clock used for wait timeouts on this ring:
 * CLOCK_MONOTONIC (the default) or CLOCK_BOOTTIME. Returns 0, -EINVAL for
 * another clock, or -errno. Needs 6.12.
 */
HOOP_API int hoop_ring_register_clock(hoop_ring *ring, int clockid);

/* ------------------------------------------------------------------ */
/* NAPI busy polling                                                  */
/* ------------------------------------------------------------------ */

/*
 * hoop_ring_register_napi - busy-poll the network devices (NAPI contexts)
 * of this ring's sockets for up to napi->busy_poll_to microseconds before
 * a wait sleeps (newer kernels cap it at 10 ms). With opcode
 * HOOP_NAPI_REGISTER_OP (0) this sets the settings: op_param
 * HOOP_NAPI_TRACKING_DYNAMIC (0; the kernel tracks the NAPI ids of the
 * sockets used) or HOOP_NAPI_TRACKING_STATIC (the caller lists them with
 * HOOP_NAPI_STATIC_ADD_ID / _DEL_ID and the id in op_param). On success
 * *napi is overwritten with the settings in force before the call
 * (op_param: the previous tracking mode, HOOP_NAPI_TRACKING_INACTIVE
 * when none). Returns 0, -EINVAL (NULL napi, pad or resv not zero, an
 * unknown opcode or mode, a static id op without static tracking, an
 * IOPOLL ring), -EOPNOTSUPP (kernel built without busy polling), or
 * -errno; on failure *napi and the ring's settings are unchanged. Sockets
 * on loopback have no NAPI context: busy polling then finds nothing to poll
 * and waits behave as without it. Needs 6.9.
 */
HOOP_API int hoop_ring_register_napi(hoop_ring *ring, struct hoop_napi *napi);

/*
 * hoop_ring_unregister_napi - stop busy polling. If `prev` is not NULL it
 * receives the settings that were in force (busy_poll_to and
 * prefer_busy_poll; the rest zero). Returns 0 or -errno (-EOPNOTSUPP as
 * above).
 */
HOOP_API int hoop_ring_unregister_napi(hoop_ring *ring, struct hoop_napi *prev);

#ifdef __cplusplus
}
#endif

#endif /* HOOP_REGISTER_H */
