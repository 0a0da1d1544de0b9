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

/* --- SQE and CQE field helpers --- */
HOOP_API void hoop_sqe_set_data(struct hoop_sqe *sqe, uint64_t user_data);
HOOP_API void hoop_sqe_set_data_ptr(struct hoop_sqe *sqe, void *ptr);
HOOP_API void hoop_sqe_set_flags(struct hoop_sqe *sqe, unsigned flags);
HOOP_API void hoop_sqe_set_buf_group(struct hoop_sqe *sqe, uint16_t bgid);
HOOP_API void hoop_sqe_set_personality(struct hoop_sqe *sqe, uint16_t id);
HOOP_API void hoop_sqe_set_ioprio(struct hoop_sqe *sqe, uint16_t ioprio);
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

/* --- generic --- */
/* Fill every field: the building block of the prep functions. */
HOOP_API void hoop_prep_rw(struct hoop_sqe *sqe, uint8_t op, int fd,
                           const void *addr, uint32_t len, uint64_t off);
HOOP_API void hoop_prep_nop(struct hoop_sqe *sqe);

/* --- read and write --- */
HOOP_API void hoop_prep_read(struct hoop_sqe *sqe, int fd, void *buf,
                             uint32_t nbytes, uint64_t offset);
HOOP_API void hoop_prep_write(struct hoop_sqe *sqe, int fd, const void *buf,
                              uint32_t nbytes, uint64_t offset);
HOOP_API void hoop_prep_readv(struct hoop_sqe *sqe, int fd,
                              const struct iovec *iov, unsigned nr_vecs,
                              uint64_t offset);
HOOP_API void hoop_prep_readv2(struct hoop_sqe *sqe, int fd,
                               const struct iovec *iov, unsigned nr_vecs,
                               uint64_t offset, int rw_flags);
HOOP_API void hoop_prep_writev(struct hoop_sqe *sqe, int fd,
                               const struct iovec *iov, unsigned nr_vecs,
                               uint64_t offset);
HOOP_API void hoop_prep_writev2(struct hoop_sqe *sqe, int fd,
                                const struct iovec *iov, unsigned nr_vecs,
                                uint64_t offset, int rw_flags);
HOOP_API void hoop_prep_read_fixed(struct hoop_sqe *sqe, int fd, void *buf,
                                   uint32_t nbytes, uint64_t offset,
                                   int buf_index);
HOOP_API void hoop_prep_write_fixed(struct hoop_sqe *sqe, int fd,
                                    const void *buf, uint32_t nbytes,
                                    uint64_t offset, int buf_index);
HOOP_API void hoop_prep_readv_fixed(struct hoop_sqe *sqe, int fd,
                                    const struct iovec *iov, unsigned nr_vecs,
                                    uint64_t offset, int rw_flags,
                                    int buf_index);
HOOP_API void hoop_prep_writev_fixed(struct hoop_sqe *sqe, int fd,
                                     const struct iovec *iov, unsigned nr_vecs,
                                     uint64_t offset, int rw_flags,
                                     int buf_index);
/* Multishot read into buffers of group `buf_group` (pollable files). */
HOOP_API void hoop_prep_read_multishot(struct hoop_sqe *sqe, int fd,
                                       uint32_t nbytes, uint64_t offset,
                                       int buf_group);

/* --- file sync and space --- */
HOOP_API void hoop_prep_fsync(struct hoop_sqe *sqe, int fd,
                              unsigned fsync_flags);
HOOP_API void hoop_prep_sync_file_range(struct hoop_sqe *sqe, int fd,
                                        uint32_t len, uint64_t offset,
                                        int flags);
HOOP_API void hoop_prep_fallocate(struct hoop_sqe *sqe, int fd, int mode,
                                  uint64_t offset, uint64_t len);
HOOP_API void hoop_prep_fadvise(struct hoop_sqe *sqe, int fd, uint64_t offset,
                                uint32_t len, int advice);
HOOP_API void hoop_prep_madvise(struct hoop_sqe *sqe, void *addr,
                                uint32_t length, int advice);
HOOP_API void hoop_prep_ftruncate(struct hoop_sqe *sqe, int fd, int64_t len);

/* --- files and directories --- */
HOOP_API void hoop_prep_openat(struct hoop_sqe *sqe, int dfd, const char *path,
                               int flags, mode_t mode);
/* Open into direct-descriptor slot `file_index` (or HOOP_FILE_INDEX_ALLOC). */
HOOP_API void hoop_prep_openat_direct(struct hoop_sqe *sqe, int dfd,
                                      const char *path, int flags, mode_t mode,
                                      unsigned file_index);
HOOP_API void hoop_prep_openat2(struct hoop_sqe *sqe, int dfd, const char *path,
                                const struct open_how *how);
HOOP_API void hoop_prep_openat2_direct(struct hoop_sqe *sqe, int dfd,
                                       const char *path,
                                       const struct open_how *how,
                                       unsigned file_index);
HOOP_API void hoop_prep_close(struct hoop_sqe *sqe, int fd);
HOOP_API void hoop_prep_close_direct(struct hoop_sqe *sqe, unsigned file_index);
HOOP_API void hoop_prep_statx(struct hoop_sqe *sqe, int dfd, const char *path,
                              int flags, unsigned mask, struct statx *statxbuf);
HOOP_API void hoop_prep_renameat(struct hoop_sqe *sqe, int olddfd,
                                 const char *oldpath, int newdfd,
                                 const char *newpath, unsigned flags);
HOOP_API void hoop_prep_unlinkat(struct hoop_sqe *sqe, int dfd,
                                 const char *path, int flags);
HOOP_API void hoop_prep_mkdirat(struct hoop_sqe *sqe, int dfd, const char *path,
                                mode_t mode);
HOOP_API void hoop_prep_symlinkat(struct hoop_sqe *sqe, const char *target,
                                  int newdirfd, const char *linkpath);
HOOP_API void hoop_prep_linkat(struct hoop_sqe *sqe, int olddfd,
                               const char *oldpath, int newdfd,
                               const char *newpath, int flags);
HOOP_API void hoop_prep_fsetxattr(struct hoop_sqe *sqe, int fd,
                                  const char *name, const char *value,
                                  int flags, unsigned len);
HOOP_API void hoop_prep_setxattr(struct hoop_sqe *sqe, const char *name,
                                 const char *value, const char *path,
                                 int flags, unsigned len);
HOOP_API void hoop_prep_fgetxattr(struct hoop_sqe *sqe, int fd,
                                  const char *name, char *value, unsigned len);
HOOP_API void hoop_prep_getxattr(struct hoop_sqe *sqe, const char *name,
                                 char *value, const char *path, unsigned len);
HOOP_API void hoop_prep_files_update(struct hoop_sqe *sqe, int *fds,
                                     unsigned nr_fds, int offset);
HOOP_API void hoop_prep_fixed_fd_install(struct hoop_sqe *sqe, int fixed_fd,
                                         unsigned flags);

/* --- pipes, splice --- */
HOOP_API void hoop_prep_splice(struct hoop_sqe *sqe, int fd_in, int64_t off_in,
                               int fd_out, int64_t off_out, unsigned nbytes,
                               unsigned splice_flags);
HOOP_API void hoop_prep_tee(struct hoop_sqe *sqe, int fd_in, int fd_out,
                            unsigned nbytes, unsigned splice_flags);
/* Create a pipe; fds[0] and fds[1] are written on completion (6.16+). */
HOOP_API void hoop_prep_pipe(struct hoop_sqe *sqe, int *fds, int pipe_flags);

/* --- polling and epoll --- */
HOOP_API void hoop_prep_poll_add(struct hoop_sqe *sqe, int fd,
                                 unsigned poll_mask);
HOOP_API void hoop_prep_poll_multishot(struct hoop_sqe *sqe, int fd,
                                       unsigned poll_mask);
HOOP_API void hoop_prep_poll_remove(struct hoop_sqe *sqe, uint64_t user_data);
HOOP_API void hoop_prep_poll_update(struct hoop_sqe *sqe, uint64_t old_user_data,
                                    uint64_t new_user_data, unsigned poll_mask,
                                    unsigned flags);
HOOP_API void hoop_prep_epoll_ctl(struct hoop_sqe *sqe, int epfd, int fd,
                                  int op, struct epoll_event *ev);
HOOP_API void hoop_prep_epoll_wait(struct hoop_sqe *sqe, int fd,
                                   struct epoll_event *events, int maxevents,
                                   unsigned flags);

/* --- timeouts and cancellation --- */
/* Completes with -ETIME after `ts`, or 0 once `count` other CQEs posted. */
HOOP_API void hoop_prep_timeout(struct hoop_sqe *sqe,
                                const struct hoop_timespec *ts, unsigned count,
                                unsigned flags);
HOOP_API void hoop_prep_timeout_remove(struct hoop_sqe *sqe, uint64_t user_data,
                                       unsigned flags);
HOOP_API void hoop_prep_timeout_update(struct hoop_sqe *sqe,
                                       const struct hoop_timespec *ts,
                                       uint64_t user_data, unsigned flags);
/* Linked after an SQE with HOOP_SQE_IO_LINK: cancels it after `ts`. */
HOOP_API void hoop_prep_link_timeout(struct hoop_sqe *sqe,
                                     const struct hoop_timespec *ts,
                                     unsigned flags);
/* Cancel by user_data (flags may add HOOP_ASYNC_CANCEL_ALL/ANY/...). */
HOOP_API void hoop_prep_cancel(struct hoop_sqe *sqe, uint64_t user_data,
                               int flags);
/* Cancel by fd (HOOP_ASYNC_CANCEL_FD is added). */
HOOP_API void hoop_prep_cancel_fd(struct hoop_sqe *sqe, int fd, unsigned flags);
/* Cancel by opcode (HOOP_ASYNC_CANCEL_OP is added). */
HOOP_API void hoop_prep_cancel_op(struct hoop_sqe *sqe, uint8_t opcode,
                                  unsigned flags);

/* --- sockets --- */
HOOP_API void hoop_prep_socket(struct hoop_sqe *sqe, int domain, int type,
                               int protocol, unsigned flags);
HOOP_API void hoop_prep_socket_direct(struct hoop_sqe *sqe, int domain,
                                      int type, int protocol,
                                      unsigned file_index, unsigned flags);
HOOP_API void hoop_prep_bind(struct hoop_sqe *sqe, int fd,
                             const struct sockaddr *addr, socklen_t addrlen);
HOOP_API void hoop_prep_listen(struct hoop_sqe *sqe, int fd, int backlog);
HOOP_API void hoop_prep_accept(struct hoop_sqe *sqe, int fd,
                               struct sockaddr *addr, socklen_t *addrlen,
                               int flags);
HOOP_API void hoop_prep_accept_direct(struct hoop_sqe *sqe, int fd,
                                      struct sockaddr *addr,
                                      socklen_t *addrlen, int flags,
                                      unsigned file_index);
HOOP_API void hoop_prep_multishot_accept(struct hoop_sqe *sqe, int fd,
                                         struct sockaddr *addr,
                                         socklen_t *addrlen, int flags);
HOOP_API void hoop_prep_multishot_accept_direct(struct hoop_sqe *sqe, int fd,
                                                struct sockaddr *addr,
                                                socklen_t *addrlen, int flags);
HOOP_API void hoop_prep_connect(struct hoop_sqe *sqe, int fd,
                                const struct sockaddr *addr,
                                socklen_t addrlen);
HOOP_API void hoop_prep_send(struct hoop_sqe *sqe, int sockfd, const void *buf,
                             size_t len, int flags);
HOOP_API void hoop_prep_sendto(struct hoop_sqe *sqe, int sockfd,
                               const void *buf, size_t len, int flags,
                               const struct sockaddr *addr, socklen_t addrlen);
HOOP_API void hoop_prep_send_zc(struct hoop_sqe *sqe, int sockfd,
                                const void *buf, size_t len, int flags,
                                unsigned zc_flags);
HOOP_API void hoop_prep_send_zc_fixed(struct hoop_sqe *sqe, int sockfd,
                                      const void *buf, size_t len, int flags,
                                      unsigned zc_flags, unsigned buf_index);
HOOP_API void hoop_prep_recv(struct hoop_sqe *sqe, int sockfd, void *buf,
                             size_t len, int flags);
/* Multishot receive; buffers come from the group set with
 * hoop_sqe_set_buf_group (HOOP_SQE_BUFFER_SELECT is set). */
HOOP_API void hoop_prep_recv_multishot(struct hoop_sqe *sqe, int sockfd,
                                       void *buf, size_t len, int flags);
HOOP_API void hoop_prep_sendmsg(struct hoop_sqe *sqe, int fd,
                                const struct msghdr *msg, unsigned flags);
HOOP_API void hoop_prep_sendmsg_zc(struct hoop_sqe *sqe, int fd,
                                   const struct msghdr *msg, unsigned flags);
HOOP_API void hoop_prep_recvmsg(struct hoop_sqe *sqe, int fd,
                                struct msghdr *msg, unsigned flags);
HOOP_API void hoop_prep_recvmsg_multishot(struct hoop_sqe *sqe, int fd,
                                          struct msghdr *msg, unsigned flags);
HOOP_API void hoop_prep_shutdown(struct hoop_sqe *sqe, int fd, int how);

/* --- buffers --- */
HOOP_API void hoop_prep_provide_buffers(struct hoop_sqe *sqe, void *addr,
                                        int len, int nr, int bgid, int bid);
HOOP_API void hoop_prep_remove_buffers(struct hoop_sqe *sqe, int nr, int bgid);

/* --- rings, processes, futexes, passthrough --- */
HOOP_API void hoop_prep_msg_ring(struct hoop_sqe *sqe, int fd, unsigned len,
                                 uint64_t data, unsigned flags);
HOOP_API void hoop_prep_msg_ring_cqe_flags(struct hoop_sqe *sqe, int fd,
                                           unsigned len, uint64_t data,
                                           unsigned flags, unsigned cqe_flags);
HOOP_API void hoop_prep_msg_ring_fd(struct hoop_sqe *sqe, int fd,
                                    int source_fd, int target_fd,
                                    uint64_t data, unsigned flags);
HOOP_API void hoop_prep_waitid(struct hoop_sqe *sqe, idtype_t idtype, id_t id,
                               siginfo_t *infop, int options, unsigned flags);
HOOP_API void hoop_prep_futex_wait(struct hoop_sqe *sqe, uint32_t *futex,
                                   uint64_t val, uint64_t mask,
                                   uint32_t futex_flags, unsigned flags);
HOOP_API void hoop_prep_futex_wake(struct hoop_sqe *sqe, uint32_t *futex,
                                   uint64_t val, uint64_t mask,
                                   uint32_t futex_flags, unsigned flags);
HOOP_API void hoop_prep_futex_waitv(struct hoop_sqe *sqe,
                                    struct futex_waitv *futex,
                                    uint32_t nr_futex, unsigned flags);
HOOP_API void hoop_prep_uring_cmd(struct hoop_sqe *sqe, int cmd_op, int fd);

#ifdef __cplusplus
}
#endif

#endif /* HOOP_PREP_H */
