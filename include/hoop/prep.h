/*
 * hoop/prep.h - fill an SQE for each io_uring operation.
 *
 * Every hoop_prep_* function writes all 64 bytes of the SQE it is given
 * (flags, user_data and personality start at zero), so an SQE from
 * hoop_ring_get_sqe can be handed straight in. Set flags and user_data after
 * preparing. None of these functions can fail: the kernel validates the
 * arguments and reports problems in the completion's res as -errno.
 *
 * Pointers stored in the SQE (buffers, iovecs, paths, addresses, timespecs)
 * must stay valid until the operation completes; paths and timespecs only
 * until the SQE has been submitted.
 *
 * Types from the system headers (struct iovec, struct msghdr, struct
 * sockaddr, struct statx, struct open_how, struct epoll_event, siginfo_t,
 * struct futex_waitv) are passed as pointers of the named type; FFI callers
 * may pass any pointer to memory of the right layout.
 *
 * These fill a struct hoop_sqe, the kernel's record, for a hoop_ring (and
 * for hoop_engine_submit_sqes and hoop_loop_sqe). Engine callers fill a
 * struct hoop_op instead (hoop_op_* in hoop/engine.h, or hoop_prep_* on a
 * stack SQE and hoop_op_from_sqe): the comment above struct hoop_op says
 * why the two exist.
 */
#ifndef HOOP_PREP_H
#define HOOP_PREP_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <signal.h>

#include "common.h"
#include "uapi.h"

#ifdef __cplusplus
extern "C" {
#endif

struct statx;
struct open_how;
struct epoll_event;
struct futex_waitv;

/* --- SQE and CQE field helpers (plain field stores and loads; any thread
 * that owns the SQE or CQE; none accepts NULL) --- */

/* Set the value the completion will carry back in user_data. */
HOOP_API void hoop_sqe_set_data(struct hoop_sqe *sqe, uint64_t user_data);
/* Same, from a pointer; hoop never dereferences it. */
HOOP_API void hoop_sqe_set_data_ptr(struct hoop_sqe *sqe, void *ptr);
/* Replace the SQE's HOOP_SQE_* flags (prep functions may have set some). */
HOOP_API void hoop_sqe_set_flags(struct hoop_sqe *sqe, unsigned flags);
/* Provided-buffer group to select from (with HOOP_SQE_BUFFER_SELECT). */
HOOP_API void hoop_sqe_set_buf_group(struct hoop_sqe *sqe, uint16_t bgid);
/* Registered credentials to run the request with; 0 for the caller's own. */
HOOP_API void hoop_sqe_set_personality(struct hoop_sqe *sqe, uint16_t id);
/* Replace ioprio (an I/O priority, or send/recv/accept HOOP_* flags). */
HOOP_API void hoop_sqe_set_ioprio(struct hoop_sqe *sqe, uint16_t ioprio);
/* The completion's user_data, as a number or as a pointer. */
HOOP_API uint64_t hoop_cqe_get_data(const struct hoop_cqe *cqe);
HOOP_API void *hoop_cqe_get_data_ptr(const struct hoop_cqe *cqe);
/* Buffer id of a completion with HOOP_CQE_F_BUFFER; -ENOENT without it. */
HOOP_API int hoop_cqe_buffer_id(const struct hoop_cqe *cqe);
/* 1 if more completions will follow for this request (multishot), else 0. */
HOOP_API int hoop_cqe_has_more(const struct hoop_cqe *cqe);
/* 1 if this is a zero-copy send's buffer-release notification, else 0. */
HOOP_API int hoop_cqe_is_notif(const struct hoop_cqe *cqe);
/* 1 if the socket had more data queued after this receive, else 0. */
HOOP_API int hoop_cqe_sock_nonempty(const struct hoop_cqe *cqe);

/*
 * The prep functions below share one contract: `sqe` must not be NULL, all
 * 64 bytes are written, nothing is checked (the kernel does that, in the
 * completion's res). Call them only on an SQE the calling thread owns.
 * "res:" names what the completion reports on success.
 */

/* --- generic --- */
/* Fill every field: opcode, fd, addr, len, off; everything else zero. */
HOOP_API void hoop_prep_rw(struct hoop_sqe *sqe, uint8_t op, int fd,
                           const void *addr, uint32_t len, uint64_t off);
/* Do nothing. res: 0. */
HOOP_API void hoop_prep_nop(struct hoop_sqe *sqe);

/* --- read and write (offset (uint64_t)-1: the file position) --- */
/* read(2)/pread(2) of `nbytes` into `buf`. res: bytes read (0 at EOF). */
HOOP_API void hoop_prep_read(struct hoop_sqe *sqe, int fd, void *buf,
                             uint32_t nbytes, uint64_t offset);
/* pwrite(2) of `nbytes` from `buf`. res: bytes written. */
HOOP_API void hoop_prep_write(struct hoop_sqe *sqe, int fd, const void *buf,
                              uint32_t nbytes, uint64_t offset);
/* preadv(2) into `nr_vecs` iovecs (the array must outlive submission,
 * the buffers the completion). res: bytes read. */
HOOP_API void hoop_prep_readv(struct hoop_sqe *sqe, int fd, const struct iovec *iov,
                              unsigned nr_vecs, uint64_t offset);
/* preadv2(2): the same with RWF_* `rw_flags`. */
HOOP_API void hoop_prep_readv2(struct hoop_sqe *sqe, int fd,
                               const struct iovec *iov, unsigned nr_vecs,
                               uint64_t offset, int rw_flags);
/* pwritev(2). res: bytes written. */
HOOP_API void hoop_prep_writev(struct hoop_sqe *sqe, int fd,
                               const struct iovec *iov, unsigned nr_vecs,
                               uint64_t offset);
/* pwritev2(2) with RWF_* `rw_flags`. */
HOOP_API void hoop_prep_writev2(struct hoop_sqe *sqe, int fd,
                                const struct iovec *iov, unsigned nr_vecs,
                                uint64_t offset, int rw_flags);
/* Read into registered buffer `buf_index`; `buf` lies inside it. */
HOOP_API void hoop_prep_read_fixed(struct hoop_sqe *sqe, int fd, void *buf,
                                   uint32_t nbytes, uint64_t offset,
                                   int buf_index);
/* Write from registered buffer `buf_index`; `buf` lies inside it. */
HOOP_API void hoop_prep_write_fixed(struct hoop_sqe *sqe, int fd,
                                    const void *buf, uint32_t nbytes,
                                    uint64_t offset, int buf_index);
/* Vectored read whose iovecs all lie in registered buffer `buf_index`
 * (6.15+). */
HOOP_API void hoop_prep_readv_fixed(struct hoop_sqe *sqe, int fd,
                                    const struct iovec *iov, unsigned nr_vecs,
                                    uint64_t offset, int rw_flags, int buf_index);
/* Vectored write from registered buffer `buf_index` (6.15+). */
HOOP_API void hoop_prep_writev_fixed(struct hoop_sqe *sqe, int fd,
                                     const struct iovec *iov, unsigned nr_vecs,
                                     uint64_t offset, int rw_flags, int buf_index);
/*
 * Multishot read into buffers of group `buf_group` (pollable files: pipes,
 * eventfds, ttys; 6.7+). Sets HOOP_SQE_BUFFER_SELECT. Current kernels want
 * `nbytes` 0 (each read fills one provided buffer) and refuse other values
 * with -EINVAL. res: bytes per CQE, buffer id in the flags; the last CQE
 * lacks HOOP_CQE_F_MORE.
 */
HOOP_API void hoop_prep_read_multishot(struct hoop_sqe *sqe, int fd,
                                       uint32_t nbytes, uint64_t offset,
                                       int buf_group);

/* --- file sync and space --- */
/* fsync(2), or fdatasync(2) with HOOP_FSYNC_DATASYNC. res: 0. */
HOOP_API void hoop_prep_fsync(struct hoop_sqe *sqe, int fd, unsigned fsync_flags);
/* sync_file_range(2) of `len` bytes at `offset` (SYNC_FILE_RANGE_*). */
HOOP_API void hoop_prep_sync_file_range(struct hoop_sqe *sqe, int fd,
                                        uint32_t len, uint64_t offset, int flags);
/* fallocate(2) with FALLOC_FL_* `mode`. res: 0. */
HOOP_API void hoop_prep_fallocate(struct hoop_sqe *sqe, int fd, int mode,
                                  uint64_t offset, uint64_t len);
/* posix_fadvise(2) with POSIX_FADV_* `advice`. res: 0. */
HOOP_API void hoop_prep_fadvise(struct hoop_sqe *sqe, int fd, uint64_t offset,
                                uint32_t len, int advice);
/* The same with a 64-bit length (6.11+; older kernels: -EINVAL). */
HOOP_API void hoop_prep_fadvise64(struct hoop_sqe *sqe, int fd, uint64_t offset,
                                  uint64_t len, int advice);
/* madvise(2) of this process's memory with MADV_* `advice`. res: 0. */
HOOP_API void hoop_prep_madvise(struct hoop_sqe *sqe, void *addr,
                                uint32_t length, int advice);
/* The same with a 64-bit length (6.11+; older kernels: -EINVAL). */
HOOP_API void hoop_prep_madvise64(struct hoop_sqe *sqe, void *addr,
                                  uint64_t length, int advice);
/* ftruncate(2) to `len` bytes (6.9+). res: 0. */
HOOP_API void hoop_prep_ftruncate(struct hoop_sqe *sqe, int fd, int64_t len);

/* --- files and directories (paths: NUL-terminated, needed until submit) --- */
/* openat(2). res: the new fd. */
HOOP_API void hoop_prep_openat(struct hoop_sqe *sqe, int dfd, const char *path,
                               int flags, mode_t mode);
/* Open into direct-descriptor slot `file_index` (or HOOP_FILE_INDEX_ALLOC);
 * O_CLOEXEC is refused. res: 0, or the allocated slot. */
HOOP_API void hoop_prep_openat_direct(struct hoop_sqe *sqe, int dfd,
                                      const char *path, int flags, mode_t mode,
                                      unsigned file_index);
/* openat2(2) with `how` (needed until submit). res: the new fd. */
HOOP_API void hoop_prep_openat2(struct hoop_sqe *sqe, int dfd, const char *path,
                                const struct open_how *how);
/* openat2 into a direct-descriptor slot, as hoop_prep_openat_direct. */
HOOP_API void hoop_prep_openat2_direct(struct hoop_sqe *sqe, int dfd,
                                       const char *path, const struct open_how *how,
                                       unsigned file_index);
/* close(2). res: 0 or -EBADF. */
HOOP_API void hoop_prep_close(struct hoop_sqe *sqe, int fd);
/* Empty direct-descriptor slot `file_index`. res: 0. */
HOOP_API void hoop_prep_close_direct(struct hoop_sqe *sqe, unsigned file_index);
/* statx(2) into `statxbuf` (written on completion). res: 0. */
HOOP_API void hoop_prep_statx(struct hoop_sqe *sqe, int dfd, const char *path,
                              int flags, unsigned mask, struct statx *statxbuf);
/* renameat2(2) with RENAME_* `flags`. res: 0. */
HOOP_API void hoop_prep_renameat(struct hoop_sqe *sqe, int olddfd,
                                 const char *oldpath, int newdfd,
                                 const char *newpath, unsigned flags);
/* unlinkat(2); AT_REMOVEDIR removes a directory. res: 0. */
HOOP_API void hoop_prep_unlinkat(struct hoop_sqe *sqe, int dfd,
                                 const char *path, int flags);
/* mkdirat(2). res: 0. */
HOOP_API void hoop_prep_mkdirat(struct hoop_sqe *sqe, int dfd, const char *path,
                                mode_t mode);
/* symlinkat(2): `linkpath` will point at `target`. res: 0. */
HOOP_API void hoop_prep_symlinkat(struct hoop_sqe *sqe, const char *target,
                                  int newdirfd, const char *linkpath);
/* linkat(2) with AT_* `flags`. res: 0. */
HOOP_API void hoop_prep_linkat(struct hoop_sqe *sqe, int olddfd,
                               const char *oldpath, int newdfd,
                               const char *newpath, int flags);
/* fsetxattr(2): `len` bytes of `value` (XATTR_CREATE/REPLACE). res: 0. */
HOOP_API void hoop_prep_fsetxattr(struct hoop_sqe *sqe, int fd, const char *name,
                                  const char *value, int flags, unsigned len);
/* setxattr(2) on `path`. res: 0. */
HOOP_API void hoop_prep_setxattr(struct hoop_sqe *sqe, const char *name,
                                 const char *value, const char *path, int flags,
                                 unsigned len);
/* fgetxattr(2) into `value` of `len` bytes. res: the value's size. */
HOOP_API void hoop_prep_fgetxattr(struct hoop_sqe *sqe, int fd,
                                  const char *name, char *value, unsigned len);
/* getxattr(2) on `path`. res: the value's size. */
HOOP_API void hoop_prep_getxattr(struct hoop_sqe *sqe, const char *name,
                                 char *value, const char *path, unsigned len);
/* Replace `nr_fds` registered files from slot `offset` (HOOP_REGISTER_FILES_SKIP
 * keeps one). res: the number updated. */
HOOP_API void hoop_prep_files_update(struct hoop_sqe *sqe, int *fds,
                                     unsigned nr_fds, int offset);
/* Install direct descriptor `fixed_fd` as a normal fd (sets
 * HOOP_SQE_FIXED_FILE; HOOP_FIXED_FD_NO_CLOEXEC). res: the new fd. */
HOOP_API void hoop_prep_fixed_fd_install(struct hoop_sqe *sqe, int fixed_fd,
                                         unsigned flags);

/* --- pipes, splice --- */
/* splice(2); an offset of -1 means "none" (required for a pipe end).
 * res: bytes moved. */
HOOP_API void hoop_prep_splice(struct hoop_sqe *sqe, int fd_in, int64_t off_in,
                               int fd_out, int64_t off_out, unsigned nbytes,
                               unsigned splice_flags);
/* tee(2) between two pipes. res: bytes duplicated. */
HOOP_API void hoop_prep_tee(struct hoop_sqe *sqe, int fd_in, int fd_out,
                            unsigned nbytes, unsigned splice_flags);
/* Create a pipe; fds[0] and fds[1] are written on completion (6.16+).
 * `pipe_flags`: O_CLOEXEC, O_NONBLOCK, O_DIRECT. res: 0. */
HOOP_API void hoop_prep_pipe(struct hoop_sqe *sqe, int *fds, int pipe_flags);
/* The same into direct-descriptor slots `file_index` and `file_index` + 1
 * (or two free ones with HOOP_FILE_INDEX_ALLOC); fds[] receives the slot
 * numbers. O_CLOEXEC is refused. */
HOOP_API void hoop_prep_pipe_direct(struct hoop_sqe *sqe, int *fds,
                                    int pipe_flags, unsigned file_index);

/* --- polling and epoll --- */
/* One-shot poll for POLL* `poll_mask`. res: the ready events. */
HOOP_API void hoop_prep_poll_add(struct hoop_sqe *sqe, int fd, unsigned poll_mask);
/* Multishot poll: a CQE with HOOP_CQE_F_MORE each time the fd is ready. */
HOOP_API void hoop_prep_poll_multishot(struct hoop_sqe *sqe, int fd,
                                       unsigned poll_mask);
/* Remove the poll whose user_data is `user_data`. res: 0 or -ENOENT. */
HOOP_API void hoop_prep_poll_remove(struct hoop_sqe *sqe, uint64_t user_data);
/* Change a poll's events and/or user_data (HOOP_POLL_UPDATE_* flags). */
HOOP_API void hoop_prep_poll_update(struct hoop_sqe *sqe, uint64_t old_user_data,
                                    uint64_t new_user_data, unsigned poll_mask,
                                    unsigned flags);
/* epoll_ctl(2); `ev` is needed until submit. res: 0. */
HOOP_API void hoop_prep_epoll_ctl(struct hoop_sqe *sqe, int epfd, int fd,
                                  int op, struct epoll_event *ev);
/* epoll_wait(2) into `events` (6.15+); `flags` must be 0 there.
 * res: the number of events. */
HOOP_API void hoop_prep_epoll_wait(struct hoop_sqe *sqe, int fd,
                                   struct epoll_event *events, int maxevents,
                                   unsigned flags);

/* --- timeouts and cancellation (timespecs needed until submit) --- */
/* Completes with -ETIME after `ts`, or 0 once `count` other CQEs posted;
 * HOOP_TIMEOUT_* flags. */
HOOP_API void hoop_prep_timeout(struct hoop_sqe *sqe,
                                const struct hoop_timespec *ts, unsigned count,
                                unsigned flags);
/* Cancel the timeout whose user_data is `user_data`; `flags` must be 0.
 * res: 0, -ENOENT or -EALREADY. */
HOOP_API void hoop_prep_timeout_remove(struct hoop_sqe *sqe, uint64_t user_data,
                                       unsigned flags);
/* Re-arm a timeout with `ts` (HOOP_TIMEOUT_UPDATE is added; add
 * HOOP_LINK_TIMEOUT_UPDATE for a linked timeout). res: 0 or -ENOENT. */
HOOP_API void hoop_prep_timeout_update(struct hoop_sqe *sqe,
                                       const struct hoop_timespec *ts,
                                       uint64_t user_data, unsigned flags);
/* Linked after an SQE with HOOP_SQE_IO_LINK: cancels it after `ts`. */
HOOP_API void hoop_prep_link_timeout(struct hoop_sqe *sqe,
                                     const struct hoop_timespec *ts,
                                     unsigned flags);
/* Cancel by user_data (flags may add HOOP_ASYNC_CANCEL_ALL/ANY/...).
 * res: 0 (or the number with ALL), -ENOENT, -EALREADY. */
HOOP_API void hoop_prep_cancel(struct hoop_sqe *sqe, uint64_t user_data, int flags);
/* Cancel by fd (HOOP_ASYNC_CANCEL_FD is added). */
HOOP_API void hoop_prep_cancel_fd(struct hoop_sqe *sqe, int fd, unsigned flags);
/* Cancel by opcode (HOOP_ASYNC_CANCEL_OP is added; 6.6+). 6.1 does not
 * refuse it: it answers as a cancel by user_data 0 (with ALL: 0, nothing
 * cancelled): there, cancel by fd or by user_data. */
HOOP_API void hoop_prep_cancel_op(struct hoop_sqe *sqe, uint8_t opcode,
                                  unsigned flags);

/* --- sockets (addresses needed until completion) --- */
/* socket(2); `flags` must be 0. res: the new fd. */
HOOP_API void hoop_prep_socket(struct hoop_sqe *sqe, int domain, int type,
                               int protocol, unsigned flags);
/* socket(2) into a direct-descriptor slot (SOCK_CLOEXEC refused). */
HOOP_API void hoop_prep_socket_direct(struct hoop_sqe *sqe, int domain,
                                      int type, int protocol,
                                      unsigned file_index, unsigned flags);
/* bind(2) (6.11+). res: 0. */
HOOP_API void hoop_prep_bind(struct hoop_sqe *sqe, int fd,
                             const struct sockaddr *addr, socklen_t addrlen);
/* listen(2) (6.11+). res: 0. */
HOOP_API void hoop_prep_listen(struct hoop_sqe *sqe, int fd, int backlog);
/* accept4(2); `addr` and `addrlen` may be NULL. res: the new fd. */
HOOP_API void hoop_prep_accept(struct hoop_sqe *sqe, int fd, struct sockaddr *addr,
                               socklen_t *addrlen, int flags);
/* accept into a direct-descriptor slot. */
HOOP_API void hoop_prep_accept_direct(struct hoop_sqe *sqe, int fd,
                                      struct sockaddr *addr, socklen_t *addrlen,
                                      int flags, unsigned file_index);
/* One CQE per accepted connection, with HOOP_CQE_F_MORE while armed. */
HOOP_API void hoop_prep_multishot_accept(struct hoop_sqe *sqe, int fd,
                                         struct sockaddr *addr,
                                         socklen_t *addrlen, int flags);
/* Multishot accept into allocated direct-descriptor slots. */
HOOP_API void hoop_prep_multishot_accept_direct(struct hoop_sqe *sqe, int fd,
                                                struct sockaddr *addr,
                                                socklen_t *addrlen, int flags);
/* connect(2). res: 0. */
HOOP_API void hoop_prep_connect(struct hoop_sqe *sqe, int fd,
                                const struct sockaddr *addr, socklen_t addrlen);
/* send(2) with MSG_* `flags`. res: bytes sent. */
HOOP_API void hoop_prep_send(struct hoop_sqe *sqe, int sockfd, const void *buf,
                             size_t len, int flags);
/* sendto(2). */
HOOP_API void hoop_prep_sendto(struct hoop_sqe *sqe, int sockfd,
                               const void *buf, size_t len, int flags,
                               const struct sockaddr *addr, socklen_t addrlen);
/* Zero-copy send; `zc_flags` are HOOP_RECVSEND_* / HOOP_SEND_ZC_*. Two CQEs:
 * the result (with HOOP_CQE_F_MORE), then a notification when `buf` is free. */
HOOP_API void hoop_prep_send_zc(struct hoop_sqe *sqe, int sockfd, const void *buf,
                                size_t len, int flags, unsigned zc_flags);
/* Zero-copy send from registered buffer `buf_index`. */
HOOP_API void hoop_prep_send_zc_fixed(struct hoop_sqe *sqe, int sockfd,
                                      const void *buf, size_t len, int flags,
                                      unsigned zc_flags, unsigned buf_index);
/* Send as many buffers of the group set with hoop_sqe_set_buf_group as are
 * queued, up to `len` bytes (0 = no limit) in one go (6.10+). */
HOOP_API void hoop_prep_send_bundle(struct hoop_sqe *sqe, int sockfd,
                                    size_t len, int flags);
/* recv(2). res: bytes received, 0 at EOF. */
HOOP_API void hoop_prep_recv(struct hoop_sqe *sqe, int sockfd, void *buf,
                             size_t len, int flags);
/* Zero-copy receive (IORING_OP_RECV_ZC, 6.15+) on TCP socket `sockfd`
 * into the area of zcrx instance `zcrx_id` (hoop_ring_register_ifq's
 * reg->zcrx_id). `flags` are HOOP_RECV_MULTISHOT and
 * HOOP_RECVSEND_POLL_FIRST, carried in ioprio. `len` bounds the bytes
 * received in all (0: no bound); the first zcrx kernels take only
 * multishot with len 0 and answer -EINVAL to the rest. Each data completion is a 32-byte CQE: res bytes at
 * hoop_zcrx_cqe_off(cqe) in the area, given back with hoop_zcrx_rq_get;
 * HOOP_CQE_F_MORE while more follow. res -EINVAL for an unknown zcrx_id. */
HOOP_API void hoop_prep_recv_zc(struct hoop_sqe *sqe, int sockfd, unsigned len,
                                unsigned flags, uint32_t zcrx_id);
/* Multishot receive; buffers come from the group set with
 * hoop_sqe_set_buf_group (HOOP_SQE_BUFFER_SELECT is set). */
HOOP_API void hoop_prep_recv_multishot(struct hoop_sqe *sqe, int sockfd,
                                       void *buf, size_t len, int flags);
/* Receive into as many consecutive buffers of the group as the data fills
 * (6.10+); res is the total, the flags carry the first buffer id. */
HOOP_API void hoop_prep_recv_bundle(struct hoop_sqe *sqe, int sockfd,
                                    size_t len, int flags);
/* sendmsg(2); `msg` needed until completion. res: bytes sent. */
HOOP_API void hoop_prep_sendmsg(struct hoop_sqe *sqe, int fd,
                                const struct msghdr *msg, unsigned flags);
/* Zero-copy sendmsg; two CQEs as hoop_prep_send_zc. */
HOOP_API void hoop_prep_sendmsg_zc(struct hoop_sqe *sqe, int fd,
                                   const struct msghdr *msg, unsigned flags);
/* recvmsg(2). res: bytes received. */
HOOP_API void hoop_prep_recvmsg(struct hoop_sqe *sqe, int fd,
                                struct msghdr *msg, unsigned flags);
/* Multishot recvmsg into provided buffers (HOOP_SQE_BUFFER_SELECT set). */
HOOP_API void hoop_prep_recvmsg_multishot(struct hoop_sqe *sqe, int fd,
                                          struct msghdr *msg, unsigned flags);
/*
 * Reading what a multishot recvmsg put in a provided buffer (liburing's
 * io_uring_recvmsg_*): `buf` and `buf_len` are the buffer and the CQE's
 * res, `msgh` the msghdr given to hoop_prep_recvmsg_multishot (only its
 * msg_namelen and msg_controllen are used).
 *
 * hoop_recvmsg_validate - the buffer's header, or NULL when buf_len is too
 * short to hold the header, the name room and the control room.
 */
HOOP_API struct hoop_recvmsg_out *hoop_recvmsg_validate(void *buf, int buf_len,
                                                        const struct msghdr *msgh);
/* The source address (msgh->msg_namelen bytes of room; o->namelen says how
 * long it really is). */
HOOP_API void *hoop_recvmsg_name(struct hoop_recvmsg_out *o);
/* The first control message, or NULL if there is none. */
HOOP_API struct cmsghdr *hoop_recvmsg_cmsg_firsthdr(struct hoop_recvmsg_out *o,
                                                    const struct msghdr *msgh);
/* The control message after `cmsg`, or NULL at the end of the control
 * data (or if a length in it would run past it). */
HOOP_API struct cmsghdr *hoop_recvmsg_cmsg_nexthdr(struct hoop_recvmsg_out *o,
                                                   const struct msghdr *msgh,
                                                   struct cmsghdr *cmsg);
/* The payload, and how many of its bytes the buffer holds (MSG_TRUNC in
 * o->flags when the datagram was cut to fit). */
HOOP_API void *hoop_recvmsg_payload(struct hoop_recvmsg_out *o,
                                    const struct msghdr *msgh);
HOOP_API unsigned hoop_recvmsg_payload_length(struct hoop_recvmsg_out *o,
                                              int buf_len,
                                              const struct msghdr *msgh);
/* shutdown(2) with SHUT_*. res: 0. */
HOOP_API void hoop_prep_shutdown(struct hoop_sqe *sqe, int fd, int how);

/* Socket commands for hoop_prep_cmd_sock (SOCKET_URING_OP_*). */
#define HOOP_SOCKET_OP_SIOCINQ 0
#define HOOP_SOCKET_OP_SIOCOUTQ 1
#define HOOP_SOCKET_OP_GETSOCKOPT 2
#define HOOP_SOCKET_OP_SETSOCKOPT 3
/* A socket command through HOOP_OP_URING_CMD (6.7+). GETSOCKOPT/SETSOCKOPT
 * use `level`, `optname`, `optval` (needed until completion) and `optlen`;
 * res: the option length for GETSOCKOPT, 0 for SETSOCKOPT, bytes queued
 * for SIOCINQ/SIOCOUTQ. */
HOOP_API void hoop_prep_cmd_sock(struct hoop_sqe *sqe, int cmd_op, int fd,
                                 int level, int optname, void *optval, int optlen);
#define HOOP_SOCKET_OP_TX_TIMESTAMP 4
#define HOOP_SOCKET_OP_GETSOCKNAME 5
/* getsockname(2) (`peer` 0) or getpeername(2) (`peer` 1) of socket `fd`
 * as a socket command (liburing's io_uring_prep_cmd_getsockname; kernels
 * from 6.19): the address goes to `addr`, whose size the caller puts in
 * *addrlen and the kernel replaces with the address's length; both must
 * stay valid until completion. res: 0, -EOPNOTSUPP on kernels without it,
 * -EINVAL for `peer` > 1. */
HOOP_API void hoop_prep_cmd_getsockname(struct hoop_sqe *sqe, int fd,
                                        struct sockaddr *addr,
                                        socklen_t *addrlen, int peer);
/* Block-device commands (BLOCK_URING_CMD_*, the block layer's code 0x12). */
#define HOOP_BLOCK_CMD_DISCARD 0x1200u        /* _IO(0x12, 0), 6.12+ */
#define HOOP_BLOCK_CMD_ZONE_RESET_ALL 0x1201u /* _IO(0x12, 1) */
/* Discard `nbytes` from byte `offset` of block device `fd` (opened for
 * writing; both multiples of the logical block size), liburing's
 * io_uring_prep_cmd_discard. res: 0, -EOPNOTSUPP when the device cannot
 * discard, -EINVAL for a range it refuses, -ENOTTY or -EOPNOTSUPP for a
 * file that is not a block device. */
HOOP_API void hoop_prep_cmd_discard(struct hoop_sqe *sqe, int fd,
                                    uint64_t offset, uint64_t nbytes);
/* Reset every zone of zoned block device `fd` (liburing's
 * io_uring_prep_cmd_zone_reset_all; recent kernels only). res: 0, or
 * -EOPNOTSUPP / -EINVAL where the device or kernel has no such command. */
HOOP_API void hoop_prep_cmd_zone_reset_all(struct hoop_sqe *sqe, int fd);
/* A send's destination, for an SQE prepared with hoop_prep_send or
 * hoop_prep_send_zc on an unconnected socket (liburing's
 * io_uring_prep_send_set_addr): `dest` (valid until completion) and its
 * length go into the SQE's addr2 / addr_len. */
HOOP_API void hoop_prep_send_set_addr(struct hoop_sqe *sqe,
                                      const struct sockaddr *dest,
                                      uint16_t addr_len);
/* sendmsg(2) zero copy from registered buffer `buf_index` (liburing's
 * io_uring_prep_sendmsg_zc_fixed): msg's iovecs must lie inside that
 * buffer. Completions as hoop_prep_sendmsg_zc (a result, then a
 * notification). */
HOOP_API void hoop_prep_sendmsg_zc_fixed(struct hoop_sqe *sqe, int fd,
                                         const struct msghdr *msg,
                                         unsigned flags, unsigned buf_index);

/* --- buffers --- */
/* Give the kernel `nr` buffers of `len` bytes each, back to back at `addr`,
 * as group `bgid` with ids from `bid`. res: 0. */
HOOP_API void hoop_prep_provide_buffers(struct hoop_sqe *sqe, void *addr,
                                        int len, int nr, int bgid, int bid);
/* Take back up to `nr` unused buffers of group `bgid`. res: how many. */
HOOP_API void hoop_prep_remove_buffers(struct hoop_sqe *sqe, int nr, int bgid);

/* --- rings, processes, futexes, passthrough --- */
/* Post a CQE with res `len` and user_data `data` on the ring `fd`
 * (HOOP_MSG_RING_CQE_SKIP skips our own CQE). res: 0. */
HOOP_API void hoop_prep_msg_ring(struct hoop_sqe *sqe, int fd, unsigned len,
                                 uint64_t data, unsigned flags);
/* The same, with `cqe_flags` as the target CQE's flags. */
HOOP_API void hoop_prep_msg_ring_cqe_flags(struct hoop_sqe *sqe, int fd,
                                           unsigned len, uint64_t data,
                                           unsigned flags, unsigned cqe_flags);
/* Send our direct descriptor `source_fd` to slot `target_fd` (or
 * HOOP_FILE_INDEX_ALLOC) of the ring `fd`. */
HOOP_API void hoop_prep_msg_ring_fd(struct hoop_sqe *sqe, int fd, int source_fd,
                                    int target_fd, uint64_t data, unsigned flags);
/*
 * waitid(2); `infop` written on completion; `flags` must be 0 (6.7+).
 * idtype_t, id_t and siginfo_t are POSIX types that a strict ISO C build
 * (-std=c11 without a feature macro) does not define, so there the
 * declaration is left out; the symbol is always exported.
 */
#if defined(__cplusplus) ||                                                    \
        (defined(_POSIX_C_SOURCE) && _POSIX_C_SOURCE >= 200809L)
HOOP_API void hoop_prep_waitid(struct hoop_sqe *sqe, idtype_t idtype, id_t id,
                               siginfo_t *infop, int options, unsigned flags);
#endif
/* futex2 wait on `futex` while it equals `val` (FUTEX2_* `futex_flags`,
 * `flags` 0; 6.7+). res: 0 when woken. */
HOOP_API void hoop_prep_futex_wait(struct hoop_sqe *sqe, uint32_t *futex,
                                   uint64_t val, uint64_t mask,
                                   uint32_t futex_flags, unsigned flags);
/* futex2 wake of up to `val` waiters. res: how many were woken. */
HOOP_API void hoop_prep_futex_wake(struct hoop_sqe *sqe, uint32_t *futex,
                                   uint64_t val, uint64_t mask,
                                   uint32_t futex_flags, unsigned flags);
/* futex_waitv(2) on `nr_futex` entries. res: the index that woke. */
HOOP_API void hoop_prep_futex_waitv(struct hoop_sqe *sqe, struct futex_waitv *futex,
                                    uint32_t nr_futex, unsigned flags);
/* A driver command `cmd_op` on `fd`; the command payload is up to the
 * caller (pad2 onwards, a 128-byte SQE for most drivers). */
HOOP_API void hoop_prep_uring_cmd(struct hoop_sqe *sqe, int cmd_op, int fd);
/* A NOP in a 128-byte SQE (from hoop_ring_get_sqe128 on a
 * HOOP_SETUP_SQE_MIXED ring, 6.19+): clears all 128 bytes. res: 0. */
HOOP_API void hoop_prep_nop128(struct hoop_sqe *sqe);
/* hoop_prep_uring_cmd in a 128-byte SQE (from hoop_ring_get_sqe128 on a
 * HOOP_SETUP_SQE_MIXED ring, 6.19+): clears all 128 bytes; the command
 * payload (80 bytes from pad2) is up to the caller. */
HOOP_API void hoop_prep_uring_cmd128(struct hoop_sqe *sqe, int cmd_op, int fd);

#ifdef __cplusplus
}
#endif

#endif /* HOOP_PREP_H */
