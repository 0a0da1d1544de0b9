/*
 * core/prep.c - fill SQEs, one opcode at a time.
 *
 * Every function goes through sqe_fill(), which stores a whole struct (no
 * padding: all 64 bytes), so whatever the ring slot held before never leaks
 * into a field the kernel validates as "must be zero". The wrappers then set
 * the fields their opcode reads; which SQE field carries which argument is
 * the kernel's choice, recorded in the comments where it is not obvious.
 */
#include <errno.h>
#include <linux/openat2.h>
#include <string.h>

#include "hoop/prep.h"
#include "hoop/inline.h"

static inline uint64_t ptr64(const void *p) { return (uint64_t)(uintptr_t)p; }

static inline void sqe_fill(struct hoop_sqe *sqe, uint8_t op, int fd,
                            uint64_t addr, uint32_t len, uint64_t off)
{
	hoop_sqe_fill_inline(sqe, op, fd, addr, len, off);
}

/*
 * Direct-descriptor slots travel as index + 1 (0 means "a normal fd"), except
 * HOOP_FILE_INDEX_ALLOC, which the kernel recognises as it is.
 */
static inline int32_t slot_encode(unsigned file_index)
{
	if (file_index == HOOP_FILE_INDEX_ALLOC)
		return (int32_t)HOOP_FILE_INDEX_ALLOC;
	return (int32_t)(file_index + 1);
}

/*
 * The kernel's 32-bit poll mask shares its word with the old 16-bit one; on
 * big-endian machines it swaps the halves back when reading, so we swap them
 * when writing.
 */
static inline uint32_t poll_mask32(unsigned mask)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return (mask << 16) | (mask >> 16);
#else
	return mask;
#endif
}

/*
 * Two 32-bit (or 16-bit) kernel fields that share one of our wider fields:
 * `lo` is the one at the lower address.
 */
static inline uint64_t pair32(uint32_t lo, uint32_t hi)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return ((uint64_t)lo << 32) | hi;
#else
	return ((uint64_t)hi << 32) | lo;
#endif
}

static inline int32_t low16(uint16_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return (int32_t)((uint32_t)v << 16);
#else
	return (int32_t)v;
#endif
}

/* --- SQE and CQE field helpers --- */

void hoop_sqe_set_data(struct hoop_sqe *sqe, uint64_t user_data)
{
	hoop_sqe_set_data_inline(sqe, user_data);
}

void hoop_sqe_set_data_ptr(struct hoop_sqe *sqe, void *ptr)
{
	sqe->user_data = ptr64(ptr);
}

void hoop_sqe_set_flags(struct hoop_sqe *sqe, unsigned flags)
{
	sqe->flags = (uint8_t)flags;
}

void hoop_sqe_set_buf_group(struct hoop_sqe *sqe, uint16_t bgid)
{
	sqe->buf_index = bgid;
}

void hoop_sqe_set_personality(struct hoop_sqe *sqe, uint16_t id)
{
	sqe->personality = id;
}

void hoop_sqe_set_ioprio(struct hoop_sqe *sqe, uint16_t ioprio)
{
	sqe->ioprio = ioprio;
}

uint64_t hoop_cqe_get_data(const struct hoop_cqe *cqe)
{
	return cqe->user_data;
}

void *hoop_cqe_get_data_ptr(const struct hoop_cqe *cqe)
{
	return (void *)(uintptr_t)cqe->user_data;
}

int hoop_cqe_buffer_id(const struct hoop_cqe *cqe)
{
	if (!(cqe->flags & HOOP_CQE_F_BUFFER))
		return -ENOENT;
	return (int)(cqe->flags >> HOOP_CQE_BUFFER_SHIFT);
}

int hoop_cqe_has_more(const struct hoop_cqe *cqe)
{
	return (cqe->flags & HOOP_CQE_F_MORE) != 0;
}

int hoop_cqe_is_notif(const struct hoop_cqe *cqe)
{
	return (cqe->flags & HOOP_CQE_F_NOTIF) != 0;
}

int hoop_cqe_sock_nonempty(const struct hoop_cqe *cqe)
{
	return (cqe->flags & HOOP_CQE_F_SOCK_NONEMPTY) != 0;
}

/* --- generic --- */

void hoop_prep_rw(struct hoop_sqe *sqe, uint8_t op, int fd, const void *addr,
                  uint32_t len, uint64_t off)
{
	sqe_fill(sqe, op, fd, ptr64(addr), len, off);
}

void hoop_prep_nop(struct hoop_sqe *sqe) { hoop_prep_nop_inline(sqe); }

/* --- read and write --- */

void hoop_prep_read(struct hoop_sqe *sqe, int fd, void *buf, uint32_t nbytes,
                    uint64_t offset)
{
	hoop_prep_read_inline(sqe, fd, buf, nbytes, offset);
}

void hoop_prep_write(struct hoop_sqe *sqe, int fd, const void *buf,
                     uint32_t nbytes, uint64_t offset)
{
	hoop_prep_write_inline(sqe, fd, buf, nbytes, offset);
}

static inline void prep_vec(struct hoop_sqe *sqe, uint8_t op, int fd,
                            const struct iovec *iov, unsigned nr_vecs,
                            uint64_t offset, int rw_flags, int buf_index)
{
	sqe_fill(sqe, op, fd, ptr64(iov), nr_vecs, offset);
	sqe->op_flags = (uint32_t)rw_flags;
	sqe->buf_index = (uint16_t)buf_index;
}

void hoop_prep_readv(struct hoop_sqe *sqe, int fd, const struct iovec *iov,
                     unsigned nr_vecs, uint64_t offset)
{
	prep_vec(sqe, HOOP_OP_READV, fd, iov, nr_vecs, offset, 0, 0);
}

void hoop_prep_readv2(struct hoop_sqe *sqe, int fd, const struct iovec *iov,
                      unsigned nr_vecs, uint64_t offset, int rw_flags)
{
	prep_vec(sqe, HOOP_OP_READV, fd, iov, nr_vecs, offset, rw_flags, 0);
}

void hoop_prep_writev(struct hoop_sqe *sqe, int fd, const struct iovec *iov,
                      unsigned nr_vecs, uint64_t offset)
{
	prep_vec(sqe, HOOP_OP_WRITEV, fd, iov, nr_vecs, offset, 0, 0);
}

void hoop_prep_writev2(struct hoop_sqe *sqe, int fd, const struct iovec *iov,
                       unsigned nr_vecs, uint64_t offset, int rw_flags)
{
	prep_vec(sqe, HOOP_OP_WRITEV, fd, iov, nr_vecs, offset, rw_flags, 0);
}

void hoop_prep_read_fixed(struct hoop_sqe *sqe, int fd, void *buf,
                          uint32_t nbytes, uint64_t offset, int buf_index)
{
	hoop_prep_read_fixed_inline(sqe, fd, buf, nbytes, offset, buf_index);
}

void hoop_prep_write_fixed(struct hoop_sqe *sqe, int fd, const void *buf,
                           uint32_t nbytes, uint64_t offset, int buf_index)
{
	hoop_prep_write_fixed_inline(sqe, fd, buf, nbytes, offset, buf_index);
}

void hoop_prep_readv_fixed(struct hoop_sqe *sqe, int fd,
                           const struct iovec *iov, unsigned nr_vecs,
                           uint64_t offset, int rw_flags, int buf_index)
{
	prep_vec(sqe, HOOP_OP_READV_FIXED, fd, iov, nr_vecs, offset, rw_flags,
	         buf_index);
}

void hoop_prep_writev_fixed(struct hoop_sqe *sqe, int fd,
                            const struct iovec *iov, unsigned nr_vecs,
                            uint64_t offset, int rw_flags, int buf_index)
{
	prep_vec(sqe, HOOP_OP_WRITEV_FIXED, fd, iov, nr_vecs, offset, rw_flags,
	         buf_index);
}

void hoop_prep_read_multishot(struct hoop_sqe *sqe, int fd, uint32_t nbytes,
                              uint64_t offset, int buf_group)
{
	/* The kernel refuses a multishot read without buffer selection. */
	sqe_fill(sqe, HOOP_OP_READ_MULTISHOT, fd, 0, nbytes, offset);
	sqe->flags = HOOP_SQE_BUFFER_SELECT;
	sqe->buf_index = (uint16_t)buf_group;
}

/* --- file sync and space --- */

void hoop_prep_fsync(struct hoop_sqe *sqe, int fd, unsigned fsync_flags)
{
	sqe_fill(sqe, HOOP_OP_FSYNC, fd, 0, 0, 0);
	sqe->op_flags = fsync_flags;
}

void hoop_prep_sync_file_range(struct hoop_sqe *sqe, int fd, uint32_t len,
                               uint64_t offset, int flags)
{
	sqe_fill(sqe, HOOP_OP_SYNC_FILE_RANGE, fd, 0, len, offset);
	sqe->op_flags = (uint32_t)flags;
}

void hoop_prep_fallocate(struct hoop_sqe *sqe, int fd, int mode,
                         uint64_t offset, uint64_t len)
{
	/* The length travels in addr and the mode in len. */
	sqe_fill(sqe, HOOP_OP_FALLOCATE, fd, len, (uint32_t)mode, offset);
}

void hoop_prep_fadvise(struct hoop_sqe *sqe, int fd, uint64_t offset,
                       uint32_t len, int advice)
{
	sqe_fill(sqe, HOOP_OP_FADVISE, fd, 0, len, offset);
	sqe->op_flags = (uint32_t)advice;
}

void hoop_prep_fadvise64(struct hoop_sqe *sqe, int fd, uint64_t offset,
                         uint64_t len, int advice)
{
	/* A non-zero addr is the 64-bit length; len is read only when it is 0. */
	sqe_fill(sqe, HOOP_OP_FADVISE, fd, len, 0, offset);
	sqe->op_flags = (uint32_t)advice;
}

void hoop_prep_madvise(struct hoop_sqe *sqe, void *addr, uint32_t length, int advice)
{
	sqe_fill(sqe, HOOP_OP_MADVISE, -1, ptr64(addr), length, 0);
	sqe->op_flags = (uint32_t)advice;
}

void hoop_prep_madvise64(struct hoop_sqe *sqe, void *addr, uint64_t length,
                         int advice)
{
	/* A non-zero off is the 64-bit length; len is read only when it is 0. */
	sqe_fill(sqe, HOOP_OP_MADVISE, -1, ptr64(addr), 0, length);
	sqe->op_flags = (uint32_t)advice;
}

void hoop_prep_ftruncate(struct hoop_sqe *sqe, int fd, int64_t len)
{
	sqe_fill(sqe, HOOP_OP_FTRUNCATE, fd, 0, 0, (uint64_t)len);
}

/* --- files and directories --- */

void hoop_prep_openat(struct hoop_sqe *sqe, int dfd, const char *path,
                      int flags, mode_t mode)
{
	sqe_fill(sqe, HOOP_OP_OPENAT, dfd, ptr64(path), (uint32_t)mode, 0);
	sqe->op_flags = (uint32_t)flags;
}

void hoop_prep_openat_direct(struct hoop_sqe *sqe, int dfd, const char *path,
                             int flags, mode_t mode, unsigned file_index)
{
	hoop_prep_openat(sqe, dfd, path, flags, mode);
	sqe->file_index = slot_encode(file_index);
}

void hoop_prep_openat2(struct hoop_sqe *sqe, int dfd, const char *path,
                       const struct open_how *how)
{
	/* The struct's size goes in len so the kernel can version it. */
	sqe_fill(sqe, HOOP_OP_OPENAT2, dfd, ptr64(path),
	         (uint32_t)sizeof(struct open_how), ptr64(how));
}

void hoop_prep_openat2_direct(struct hoop_sqe *sqe, int dfd, const char *path,
                              const struct open_how *how, unsigned file_index)
{
	hoop_prep_openat2(sqe, dfd, path, how);
	sqe->file_index = slot_encode(file_index);
}

void hoop_prep_close(struct hoop_sqe *sqe, int fd)
{
	sqe_fill(sqe, HOOP_OP_CLOSE, fd, 0, 0, 0);
}

void hoop_prep_close_direct(struct hoop_sqe *sqe, unsigned file_index)
{
	/* The kernel refuses a slot together with a non-zero fd. */
	sqe_fill(sqe, HOOP_OP_CLOSE, 0, 0, 0, 0);
	sqe->file_index = slot_encode(file_index);
}

void hoop_prep_statx(struct hoop_sqe *sqe, int dfd, const char *path, int flags,
                     unsigned mask, struct statx *statxbuf)
{
	sqe_fill(sqe, HOOP_OP_STATX, dfd, ptr64(path), mask, ptr64(statxbuf));
	sqe->op_flags = (uint32_t)flags;
}

/* rename and link: old name in addr, new dir fd in len, new name in off. */
static inline void prep_two_paths(struct hoop_sqe *sqe, uint8_t op, int olddfd,
                                  const char *oldpath, int newdfd,
                                  const char *newpath, unsigned flags)
{
	sqe_fill(sqe, op, olddfd, ptr64(oldpath), (uint32_t)newdfd, ptr64(newpath));
	sqe->op_flags = flags;
}

void hoop_prep_renameat(struct hoop_sqe *sqe, int olddfd, const char *oldpath,
                        int newdfd, const char *newpath, unsigned flags)
{
	prep_two_paths(sqe, HOOP_OP_RENAMEAT, olddfd, oldpath, newdfd, newpath,
	               flags);
}

void hoop_prep_linkat(struct hoop_sqe *sqe, int olddfd, const char *oldpath,
                      int newdfd, const char *newpath, int flags)
{
	prep_two_paths(sqe, HOOP_OP_LINKAT, olddfd, oldpath, newdfd, newpath,
	               (unsigned)flags);
}

void hoop_prep_unlinkat(struct hoop_sqe *sqe, int dfd, const char *path, int flags)
{
	sqe_fill(sqe, HOOP_OP_UNLINKAT, dfd, ptr64(path), 0, 0);
	sqe->op_flags = (uint32_t)flags;
}

void hoop_prep_mkdirat(struct hoop_sqe *sqe, int dfd, const char *path, mode_t mode)
{
	sqe_fill(sqe, HOOP_OP_MKDIRAT, dfd, ptr64(path), (uint32_t)mode, 0);
}

void hoop_prep_symlinkat(struct hoop_sqe *sqe, const char *target, int newdirfd,
                         const char *linkpath)
{
	sqe_fill(sqe, HOOP_OP_SYMLINKAT, newdirfd, ptr64(target), 0,
	         ptr64(linkpath));
}

/* xattrs: name in addr, value in off, size in len, path (if any) in addr3. */
static inline void prep_xattr(struct hoop_sqe *sqe, uint8_t op, int fd,
                              const char *name, const void *value,
                              const char *path, unsigned flags, unsigned len)
{
	sqe_fill(sqe, op, fd, ptr64(name), len, ptr64(value));
	sqe->op_flags = flags;
	sqe->addr3 = ptr64(path);
}

void hoop_prep_fsetxattr(struct hoop_sqe *sqe, int fd, const char *name,
                         const char *value, int flags, unsigned len)
{
	prep_xattr(sqe, HOOP_OP_FSETXATTR, fd, name, value, NULL,
	           (unsigned)flags, len);
}

void hoop_prep_setxattr(struct hoop_sqe *sqe, const char *name, const char *value,
                        const char *path, int flags, unsigned len)
{
	prep_xattr(sqe, HOOP_OP_SETXATTR, 0, name, value, path, (unsigned)flags,
	           len);
}

void hoop_prep_fgetxattr(struct hoop_sqe *sqe, int fd, const char *name,
                         char *value, unsigned len)
{
	prep_xattr(sqe, HOOP_OP_FGETXATTR, fd, name, value, NULL, 0, len);
}

void hoop_prep_getxattr(struct hoop_sqe *sqe, const char *name, char *value,
                        const char *path, unsigned len)
{
	prep_xattr(sqe, HOOP_OP_GETXATTR, 0, name, value, path, 0, len);
}

void hoop_prep_files_update(struct hoop_sqe *sqe, int *fds, unsigned nr_fds,
                            int offset)
{
	sqe_fill(sqe, HOOP_OP_FILES_UPDATE, -1, ptr64(fds), nr_fds,
	         (uint64_t)(int64_t)offset);
}

void hoop_prep_fixed_fd_install(struct hoop_sqe *sqe, int fixed_fd, unsigned flags)
{
	/* The source is always a direct descriptor: the kernel demands it. */
	sqe_fill(sqe, HOOP_OP_FIXED_FD_INSTALL, fixed_fd, 0, 0, 0);
	sqe->flags = HOOP_SQE_FIXED_FILE;
	sqe->op_flags = flags;
}

/* --- pipes, splice --- */

void hoop_prep_splice(struct hoop_sqe *sqe, int fd_in, int64_t off_in, int fd_out,
                      int64_t off_out, unsigned nbytes, unsigned splice_flags)
{
	/* fd and off describe the output; the input's fd and offset have
	 * their own fields (splice_fd_in, splice_off_in). -1 = no offset. */
	sqe_fill(sqe, HOOP_OP_SPLICE, fd_out, (uint64_t)off_in, nbytes,
	         (uint64_t)off_out);
	sqe->file_index = fd_in;
	sqe->op_flags = splice_flags;
}

void hoop_prep_tee(struct hoop_sqe *sqe, int fd_in, int fd_out, unsigned nbytes,
                   unsigned splice_flags)
{
	sqe_fill(sqe, HOOP_OP_TEE, fd_out, 0, nbytes, 0);
	sqe->file_index = fd_in;
	sqe->op_flags = splice_flags;
}

void hoop_prep_pipe(struct hoop_sqe *sqe, int *fds, int pipe_flags)
{
	/* The kernel refuses a non-zero fd. */
	sqe_fill(sqe, HOOP_OP_PIPE, 0, ptr64(fds), 0, 0);
	sqe->op_flags = (uint32_t)pipe_flags;
}

void hoop_prep_pipe_direct(struct hoop_sqe *sqe, int *fds, int pipe_flags,
                           unsigned file_index)
{
	hoop_prep_pipe(sqe, fds, pipe_flags);
	sqe->file_index = slot_encode(file_index);
}

/* --- polling and epoll --- */

void hoop_prep_poll_add(struct hoop_sqe *sqe, int fd, unsigned poll_mask)
{
	sqe_fill(sqe, HOOP_OP_POLL_ADD, fd, 0, 0, 0);
	sqe->op_flags = poll_mask32(poll_mask);
}

void hoop_prep_poll_multishot(struct hoop_sqe *sqe, int fd, unsigned poll_mask)
{
	hoop_prep_poll_add(sqe, fd, poll_mask);
	sqe->len = HOOP_POLL_ADD_MULTI;
}

void hoop_prep_poll_remove(struct hoop_sqe *sqe, uint64_t user_data)
{
	sqe_fill(sqe, HOOP_OP_POLL_REMOVE, -1, user_data, 0, 0);
}

void hoop_prep_poll_update(struct hoop_sqe *sqe, uint64_t old_user_data,
                           uint64_t new_user_data, unsigned poll_mask,
                           unsigned flags)
{
	sqe_fill(sqe, HOOP_OP_POLL_REMOVE, -1, old_user_data, flags, new_user_data);
	sqe->op_flags = poll_mask32(poll_mask);
}

void hoop_prep_epoll_ctl(struct hoop_sqe *sqe, int epfd, int fd, int op,
                         struct epoll_event *ev)
{
	sqe_fill(sqe, HOOP_OP_EPOLL_CTL, epfd, ptr64(ev), (uint32_t)op,
	         (uint64_t)(uint32_t)fd);
}

void hoop_prep_epoll_wait(struct hoop_sqe *sqe, int fd, struct epoll_event *events,
                          int maxevents, unsigned flags)
{
	sqe_fill(sqe, HOOP_OP_EPOLL_WAIT, fd, ptr64(events),
	         (uint32_t)maxevents, 0);
	sqe->op_flags = flags;
}

/* --- timeouts and cancellation --- */

void hoop_prep_timeout(struct hoop_sqe *sqe, const struct hoop_timespec *ts,
                       unsigned count, unsigned flags)
{
	/* len is the number of timespecs, and the kernel wants exactly 1. */
	sqe_fill(sqe, HOOP_OP_TIMEOUT, -1, ptr64(ts), 1, count);
	sqe->op_flags = flags;
}

void hoop_prep_timeout_remove(struct hoop_sqe *sqe, uint64_t user_data,
                              unsigned flags)
{
	sqe_fill(sqe, HOOP_OP_TIMEOUT_REMOVE, -1, user_data, 0, 0);
	sqe->op_flags = flags;
}

void hoop_prep_timeout_update(struct hoop_sqe *sqe, const struct hoop_timespec *ts,
                              uint64_t user_data, unsigned flags)
{
	sqe_fill(sqe, HOOP_OP_TIMEOUT_REMOVE, -1, user_data, 0, ptr64(ts));
	sqe->op_flags = flags | HOOP_TIMEOUT_UPDATE;
}

void hoop_prep_link_timeout(struct hoop_sqe *sqe,
                            const struct hoop_timespec *ts, unsigned flags)
{
	sqe_fill(sqe, HOOP_OP_LINK_TIMEOUT, -1, ptr64(ts), 1, 0);
	sqe->op_flags = flags;
}

void hoop_prep_cancel(struct hoop_sqe *sqe, uint64_t user_data, int flags)
{
	sqe_fill(sqe, HOOP_OP_ASYNC_CANCEL, -1, user_data, 0, 0);
	sqe->op_flags = (uint32_t)flags;
}

void hoop_prep_cancel_fd(struct hoop_sqe *sqe, int fd, unsigned flags)
{
	sqe_fill(sqe, HOOP_OP_ASYNC_CANCEL, fd, 0, 0, 0);
	sqe->op_flags = flags | HOOP_ASYNC_CANCEL_FD;
}

void hoop_prep_cancel_op(struct hoop_sqe *sqe, uint8_t opcode, unsigned flags)
{
	/* The opcode to match travels in len. */
	sqe_fill(sqe, HOOP_OP_ASYNC_CANCEL, -1, 0, opcode, 0);
	sqe->op_flags = flags | HOOP_ASYNC_CANCEL_OP;
}

/* --- sockets --- */

void hoop_prep_socket(struct hoop_sqe *sqe, int domain, int type, int protocol,
                      unsigned flags)
{
	/* domain in fd, type in off, protocol in len. */
	sqe_fill(sqe, HOOP_OP_SOCKET, domain, 0, (uint32_t)protocol,
	         (uint64_t)(uint32_t)type);
	sqe->op_flags = flags;
}

void hoop_prep_socket_direct(struct hoop_sqe *sqe, int domain, int type,
                             int protocol, unsigned file_index, unsigned flags)
{
	hoop_prep_socket(sqe, domain, type, protocol, flags);
	sqe->file_index = slot_encode(file_index);
}

void hoop_prep_bind(struct hoop_sqe *sqe, int fd, const struct sockaddr *addr,
                    socklen_t addrlen)
{
	/* The address length is a value in off (addr2), not a pointer. */
	sqe_fill(sqe, HOOP_OP_BIND, fd, ptr64(addr), 0, addrlen);
}

void hoop_prep_listen(struct hoop_sqe *sqe, int fd, int backlog)
{
	sqe_fill(sqe, HOOP_OP_LISTEN, fd, 0, (uint32_t)backlog, 0);
}

void hoop_prep_accept(struct hoop_sqe *sqe, int fd, struct sockaddr *addr,
                      socklen_t *addrlen, int flags)
{
	/* Here off (addr2) is a pointer to the in/out address length. */
	sqe_fill(sqe, HOOP_OP_ACCEPT, fd, ptr64(addr), 0, ptr64(addrlen));
	sqe->op_flags = (uint32_t)flags;
}

void hoop_prep_accept_direct(struct hoop_sqe *sqe, int fd, struct sockaddr *addr,
                             socklen_t *addrlen, int flags, unsigned file_index)
{
	hoop_prep_accept(sqe, fd, addr, addrlen, flags);
	sqe->file_index = slot_encode(file_index);
}

void hoop_prep_multishot_accept(struct hoop_sqe *sqe, int fd, struct sockaddr *addr,
                                socklen_t *addrlen, int flags)
{
	hoop_prep_accept(sqe, fd, addr, addrlen, flags);
	sqe->ioprio = HOOP_ACCEPT_MULTISHOT;
}

void hoop_prep_multishot_accept_direct(struct hoop_sqe *sqe, int fd,
                                       struct sockaddr *addr,
                                       socklen_t *addrlen, int flags)
{
	/* Multishot accepts only ever allocate slots. */
	hoop_prep_multishot_accept(sqe, fd, addr, addrlen, flags);
	sqe->file_index = slot_encode(HOOP_FILE_INDEX_ALLOC);
}

void hoop_prep_connect(struct hoop_sqe *sqe, int fd,
                       const struct sockaddr *addr, socklen_t addrlen)
{
	sqe_fill(sqe, HOOP_OP_CONNECT, fd, ptr64(addr), 0, addrlen);
}

/* send/recv: msg flags in op_flags, io_uring's own flags in ioprio. */
static inline void prep_sr(struct hoop_sqe *sqe, uint8_t op, int fd,
                           const void *buf, size_t len, int flags,
                           unsigned sr_flags)
{
	sqe_fill(sqe, op, fd, ptr64(buf), (uint32_t)len, 0);
	sqe->op_flags = (uint32_t)flags;
	sqe->ioprio = (uint16_t)sr_flags;
}

void hoop_prep_send(struct hoop_sqe *sqe, int sockfd, const void *buf,
                    size_t len, int flags)
{
	prep_sr(sqe, HOOP_OP_SEND, sockfd, buf, len, flags, 0);
}

void hoop_prep_sendto(struct hoop_sqe *sqe, int sockfd, const void *buf, size_t len,
                      int flags, const struct sockaddr *addr, socklen_t addrlen)
{
	/* Destination in off (addr2); its 16-bit length shares file_index. */
	prep_sr(sqe, HOOP_OP_SEND, sockfd, buf, len, flags, 0);
	sqe->off = ptr64(addr);
	sqe->file_index = low16((uint16_t)addrlen);
}

void hoop_prep_send_zc(struct hoop_sqe *sqe, int sockfd, const void *buf,
                       size_t len, int flags, unsigned zc_flags)
{
	prep_sr(sqe, HOOP_OP_SEND_ZC, sockfd, buf, len, flags, zc_flags);
}

void hoop_prep_send_zc_fixed(struct hoop_sqe *sqe, int sockfd, const void *buf,
                             size_t len, int flags, unsigned zc_flags,
                             unsigned buf_index)
{
	prep_sr(sqe, HOOP_OP_SEND_ZC, sockfd, buf, len, flags,
	        zc_flags | HOOP_RECVSEND_FIXED_BUF);
	sqe->buf_index = (uint16_t)buf_index;
}

void hoop_prep_send_bundle(struct hoop_sqe *sqe, int sockfd, size_t len, int flags)
{
	prep_sr(sqe, HOOP_OP_SEND, sockfd, NULL, len, flags, HOOP_RECVSEND_BUNDLE);
	sqe->flags = HOOP_SQE_BUFFER_SELECT;
}

void hoop_prep_recv(struct hoop_sqe *sqe, int sockfd, void *buf, size_t len,
                    int flags)
{
	prep_sr(sqe, HOOP_OP_RECV, sockfd, buf, len, flags, 0);
}

void hoop_prep_recv_multishot(struct hoop_sqe *sqe, int sockfd, void *buf,
                              size_t len, int flags)
{
	prep_sr(sqe, HOOP_OP_RECV, sockfd, buf, len, flags, HOOP_RECV_MULTISHOT);
	sqe->flags = HOOP_SQE_BUFFER_SELECT;
}

void hoop_prep_recv_bundle(struct hoop_sqe *sqe, int sockfd, size_t len, int flags)
{
	prep_sr(sqe, HOOP_OP_RECV, sockfd, NULL, len, flags, HOOP_RECVSEND_BUNDLE);
	sqe->flags = HOOP_SQE_BUFFER_SELECT;
}

/* sendmsg/recvmsg: the msghdr in addr; len = 1 names one msghdr. */
static inline void prep_msg(struct hoop_sqe *sqe, uint8_t op, int fd,
                            const struct msghdr *msg, unsigned flags)
{
	sqe_fill(sqe, op, fd, ptr64(msg), 1, 0);
	sqe->op_flags = flags;
}

void hoop_prep_sendmsg(struct hoop_sqe *sqe, int fd, const struct msghdr *msg,
                       unsigned flags)
{
	prep_msg(sqe, HOOP_OP_SENDMSG, fd, msg, flags);
}

void hoop_prep_sendmsg_zc(struct hoop_sqe *sqe, int fd,
                          const struct msghdr *msg, unsigned flags)
{
	prep_msg(sqe, HOOP_OP_SENDMSG_ZC, fd, msg, flags);
}

void hoop_prep_recvmsg(struct hoop_sqe *sqe, int fd, struct msghdr *msg,
                       unsigned flags)
{
	prep_msg(sqe, HOOP_OP_RECVMSG, fd, msg, flags);
}

void hoop_prep_recvmsg_multishot(struct hoop_sqe *sqe, int fd,
                                 struct msghdr *msg, unsigned flags)
{
	prep_msg(sqe, HOOP_OP_RECVMSG, fd, msg, flags);
	sqe->ioprio = HOOP_RECV_MULTISHOT;
	sqe->flags = HOOP_SQE_BUFFER_SELECT;
}

void hoop_prep_shutdown(struct hoop_sqe *sqe, int fd, int how)
{
	sqe_fill(sqe, HOOP_OP_SHUTDOWN, fd, 0, (uint32_t)how, 0);
}

void hoop_prep_cmd_sock(struct hoop_sqe *sqe, int cmd_op, int fd, int level,
                        int optname, void *optval, int optlen)
{
	/* level and optname share addr; optlen is file_index, optval addr3. */
	sqe_fill(sqe, HOOP_OP_URING_CMD, fd,
	         pair32((uint32_t)level, (uint32_t)optname), 0,
	         pair32((uint32_t)cmd_op, 0));
	sqe->file_index = optlen;
	sqe->addr3 = ptr64(optval);
}

/* --- multishot recvmsg output --- */

struct hoop_recvmsg_out *hoop_recvmsg_validate(void *buf, int buf_len,
                                               const struct msghdr *msgh)
{
	size_t need = sizeof(struct hoop_recvmsg_out) + msgh->msg_namelen +
	              msgh->msg_controllen;
	if (!buf || buf_len < 0 || (size_t)buf_len < need)
		return NULL;
	return buf;
}

void *hoop_recvmsg_name(struct hoop_recvmsg_out *o) { return o + 1; }

/* Where the control data starts and ends. */
static unsigned char *recvmsg_control(struct hoop_recvmsg_out *o,
                                      const struct msghdr *msgh)
{
	return (unsigned char *)(o + 1) + msgh->msg_namelen;
}

struct cmsghdr *hoop_recvmsg_cmsg_firsthdr(struct hoop_recvmsg_out *o,
                                           const struct msghdr *msgh)
{
	if (o->controllen < sizeof(struct cmsghdr))
		return NULL;
	return (struct cmsghdr *)(void *)recvmsg_control(o, msgh);
}

struct cmsghdr *hoop_recvmsg_cmsg_nexthdr(struct hoop_recvmsg_out *o,
                                          const struct msghdr *msgh,
                                          struct cmsghdr *cmsg)
{
	unsigned char *end = recvmsg_control(o, msgh) + o->controllen;
	if (cmsg->cmsg_len < sizeof(struct cmsghdr))
		return NULL;
	unsigned char *next = (unsigned char *)cmsg + CMSG_ALIGN(cmsg->cmsg_len);
	/* The next header and everything it claims must be inside. */
	if (next >= end || (size_t)(end - next) < sizeof(struct cmsghdr))
		return NULL;
	struct cmsghdr *c = (struct cmsghdr *)(void *)next;
	if (c->cmsg_len < sizeof(struct cmsghdr) ||
	    CMSG_ALIGN(c->cmsg_len) > (size_t)(end - next))
		return NULL;
	return c;
}

void *hoop_recvmsg_payload(struct hoop_recvmsg_out *o, const struct msghdr *msgh)
{
	return recvmsg_control(o, msgh) + msgh->msg_controllen;
}

unsigned hoop_recvmsg_payload_length(struct hoop_recvmsg_out *o, int buf_len,
                                     const struct msghdr *msgh)
{
	unsigned char *payload = hoop_recvmsg_payload(o, msgh);
	unsigned char *end = (unsigned char *)o + (buf_len > 0 ? buf_len : 0);
	return payload < end ? (unsigned)(end - payload) : 0;
}

void hoop_prep_cmd_getsockname(struct hoop_sqe *sqe, int fd,
                               struct sockaddr *addr, socklen_t *addrlen, int peer)
{
	/* addr: the address; addr3: the length; optlen: which end. */
	sqe_fill(sqe, HOOP_OP_URING_CMD, fd, ptr64(addr), 0,
	         pair32(HOOP_SOCKET_OP_GETSOCKNAME, 0));
	sqe->file_index = peer;
	sqe->addr3 = ptr64(addrlen);
}

void hoop_prep_cmd_discard(struct hoop_sqe *sqe, int fd, uint64_t offset,
                           uint64_t nbytes)
{
	/* The byte range: start in addr, length in addr3. */
	sqe_fill(sqe, HOOP_OP_URING_CMD, fd, offset, 0,
	         pair32(HOOP_BLOCK_CMD_DISCARD, 0));
	sqe->addr3 = nbytes;
}

void hoop_prep_cmd_zone_reset_all(struct hoop_sqe *sqe, int fd)
{
	sqe_fill(sqe, HOOP_OP_URING_CMD, fd, 0, 0,
	         pair32(HOOP_BLOCK_CMD_ZONE_RESET_ALL, 0));
}

void hoop_prep_send_set_addr(struct hoop_sqe *sqe, const struct sockaddr *dest,
                             uint16_t addr_len)
{
	/* As hoop_prep_sendto: addr2 and the 16-bit length in file_index. */
	sqe->off = ptr64(dest);
	sqe->file_index = low16(addr_len);
}

void hoop_prep_sendmsg_zc_fixed(struct hoop_sqe *sqe, int fd,
                                const struct msghdr *msg, unsigned flags,
                                unsigned buf_index)
{
	prep_msg(sqe, HOOP_OP_SENDMSG_ZC, fd, msg, flags);
	sqe->ioprio |= HOOP_RECVSEND_FIXED_BUF;
	sqe->buf_index = (uint16_t)buf_index;
}

/* --- buffers --- */

void hoop_prep_provide_buffers(struct hoop_sqe *sqe, void *addr, int len,
                               int nr, int bgid, int bid)
{
	/* Count in fd, first buffer id in off, group in buf_group. */
	sqe_fill(sqe, HOOP_OP_PROVIDE_BUFFERS, nr, ptr64(addr), (uint32_t)len,
	         (uint64_t)(uint32_t)bid);
	sqe->buf_index = (uint16_t)bgid;
}

void hoop_prep_remove_buffers(struct hoop_sqe *sqe, int nr, int bgid)
{
	sqe_fill(sqe, HOOP_OP_REMOVE_BUFFERS, nr, 0, 0, 0);
	sqe->buf_index = (uint16_t)bgid;
}

/* --- rings, processes, futexes, passthrough --- */

void hoop_prep_msg_ring(struct hoop_sqe *sqe, int fd, unsigned len,
                        uint64_t data, unsigned flags)
{
	/* The command (MSG_DATA) in addr; the target's res in len and its
	 * user_data in off. */
	sqe_fill(sqe, HOOP_OP_MSG_RING, fd, HOOP_MSG_DATA, len, data);
	sqe->op_flags = flags;
}

void hoop_prep_msg_ring_cqe_flags(struct hoop_sqe *sqe, int fd, unsigned len,
                                  uint64_t data, unsigned flags, unsigned cqe_flags)
{
	hoop_prep_msg_ring(sqe, fd, len, data, flags | HOOP_MSG_RING_FLAGS_PASS);
	sqe->file_index = (int32_t)cqe_flags;
}

void hoop_prep_msg_ring_fd(struct hoop_sqe *sqe, int fd, int source_fd,
                           int target_fd, uint64_t data, unsigned flags)
{
	/* source_fd is a direct descriptor of the sending ring (in addr3);
	 * target_fd a slot of the receiving ring, or HOOP_FILE_INDEX_ALLOC. */
	sqe_fill(sqe, HOOP_OP_MSG_RING, fd, HOOP_MSG_SEND_FD, 0, data);
	sqe->op_flags = flags;
	sqe->addr3 = (uint64_t)(uint32_t)source_fd;
	sqe->file_index = slot_encode((unsigned)target_fd);
}

void hoop_prep_waitid(struct hoop_sqe *sqe, idtype_t idtype, id_t id,
                      siginfo_t *infop, int options, unsigned flags)
{
	/* id in fd, idtype in len, infop in off, options in file_index. */
	sqe_fill(sqe, HOOP_OP_WAITID, (int)id, 0, (uint32_t)idtype, ptr64(infop));
	sqe->file_index = options;
	sqe->op_flags = flags;
}

static inline void prep_futex(struct hoop_sqe *sqe, uint8_t op, uint32_t *futex,
                              uint64_t val, uint64_t mask, uint32_t futex_flags,
                              unsigned flags)
{
	/* futex2 flags in fd, value in off, mask in addr3. */
	sqe_fill(sqe, op, (int)futex_flags, ptr64(futex), 0, val);
	sqe->addr3 = mask;
	sqe->op_flags = flags;
}

void hoop_prep_futex_wait(struct hoop_sqe *sqe, uint32_t *futex, uint64_t val,
                          uint64_t mask, uint32_t futex_flags, unsigned flags)
{
	prep_futex(sqe, HOOP_OP_FUTEX_WAIT, futex, val, mask, futex_flags, flags);
}

void hoop_prep_futex_wake(struct hoop_sqe *sqe, uint32_t *futex, uint64_t val,
                          uint64_t mask, uint32_t futex_flags, unsigned flags)
{
	prep_futex(sqe, HOOP_OP_FUTEX_WAKE, futex, val, mask, futex_flags, flags);
}

void hoop_prep_futex_waitv(struct hoop_sqe *sqe, struct futex_waitv *futex,
                           uint32_t nr_futex, unsigned flags)
{
	sqe_fill(sqe, HOOP_OP_FUTEX_WAITV, 0, ptr64(futex), nr_futex, 0);
	sqe->op_flags = flags;
}

void hoop_prep_uring_cmd(struct hoop_sqe *sqe, int cmd_op, int fd)
{
	/* cmd_op is the low 32 bits of off; the upper half must stay 0. */
	sqe_fill(sqe, HOOP_OP_URING_CMD, fd, 0, 0, pair32((uint32_t)cmd_op, 0));
}

void hoop_prep_nop128(struct hoop_sqe *sqe)
{
	memset(sqe, 0, 2 * sizeof(*sqe));
	sqe_fill(sqe, HOOP_OP_NOP128, -1, 0, 0, 0);
}

void hoop_prep_uring_cmd128(struct hoop_sqe *sqe, int cmd_op, int fd)
{
	memset(sqe, 0, 2 * sizeof(*sqe));
	sqe_fill(sqe, HOOP_OP_URING_CMD128, fd, 0, 0, pair32((uint32_t)cmd_op, 0));
}

void hoop_prep_recv_zc(struct hoop_sqe *sqe, int sockfd, unsigned len,
                       unsigned flags, uint32_t zcrx_id)
{
	sqe_fill(sqe, HOOP_OP_RECV_ZC, sockfd, 0, len, 0);
	sqe->ioprio = (uint16_t)flags;
	/* zcrx_ifq_idx shares the SQE's file_index word. */
	sqe->file_index = (int32_t)zcrx_id;
}
