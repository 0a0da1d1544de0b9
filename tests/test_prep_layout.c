/*
 * The SQE each prep function writes, field by field, against the kernel's
 * encoding for that opcode; every field the opcode does not use must be
 * zero even when the slot held 0xff bytes before. No ring needed.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>

/* The kernel's struct io_uring_sqe offsets (include/uapi/linux/io_uring.h). */
_Static_assert(sizeof(struct hoop_sqe) == 64, "SQE is 64 bytes");
_Static_assert(offsetof(struct hoop_sqe, flags) == 1, "flags");
_Static_assert(offsetof(struct hoop_sqe, ioprio) == 2, "ioprio");
_Static_assert(offsetof(struct hoop_sqe, fd) == 4, "fd");
_Static_assert(offsetof(struct hoop_sqe, off) == 8, "off/addr2");
_Static_assert(offsetof(struct hoop_sqe, addr) == 16, "addr");
_Static_assert(offsetof(struct hoop_sqe, len) == 24, "len");
_Static_assert(offsetof(struct hoop_sqe, op_flags) == 28, "op flags");
_Static_assert(offsetof(struct hoop_sqe, user_data) == 32, "user_data");
_Static_assert(offsetof(struct hoop_sqe, buf_index) == 40, "buf_index");
_Static_assert(offsetof(struct hoop_sqe, personality) == 42, "personality");
_Static_assert(offsetof(struct hoop_sqe, file_index) == 44, "file_index");
_Static_assert(offsetof(struct hoop_sqe, addr3) == 48, "addr3");
_Static_assert(offsetof(struct hoop_sqe, pad2) == 56, "pad2");
_Static_assert(sizeof(struct hoop_cqe) == 16, "CQE is 16 bytes");

static int failures;

#define P(x) ((uint64_t)(uintptr_t)(x))

static void dump(const char *what, const struct hoop_sqe *s)
{
	fprintf(stderr,
	        "  %s: op=%u flags=%#x ioprio=%#x fd=%d off=%#llx addr=%#llx "
	        "len=%#x op_flags=%#x ud=%#llx buf=%u pers=%u fi=%#x "
	        "addr3=%#llx "
	        "pad2=%#llx\n",
	        what, s->opcode, s->flags, s->ioprio, s->fd,
	        (unsigned long long)s->off, (unsigned long long)s->addr, s->len,
	        s->op_flags, (unsigned long long)s->user_data, s->buf_index,
	        s->personality, (unsigned)s->file_index,
	        (unsigned long long)s->addr3, (unsigned long long)s->pad2);
}

/* Compare all 64 bytes; the struct has no padding, so memcmp is exact. */
static void expect(int line, const char *name, const struct hoop_sqe *got,
                   struct hoop_sqe want)
{
	if (memcmp(got, &want, sizeof(want)) == 0)
		return;
	fprintf(stderr, "line %d: %s: SQE differs\n", line, name);
	dump("got ", got);
	dump("want", &want);
	failures++;
}

/* Fill the SQE with 0xff, run the prep call, compare with the expectation. */
#define CASE(call, ...)                                                        \
	do {                                                                   \
		struct hoop_sqe *sqe = &slot;                                  \
		memset(sqe, 0xff, sizeof(*sqe));                               \
		call;                                                          \
		expect(__LINE__, #call, sqe, (struct hoop_sqe){__VA_ARGS__});  \
	} while (0)

int main(void)
{
	struct hoop_sqe slot;
	char buf[64], path[] = "/tmp/x", path2[] = "/tmp/y";
	struct iovec iov[2];
	struct open_how how = {.flags = O_RDONLY};
	struct statx stx;
	struct epoll_event ev;
	struct hoop_timespec ts = {1, 0};
	struct sockaddr_storage sa;
	socklen_t salen = sizeof(sa);
	struct msghdr msg;
	int fds[2];
	uint32_t futex = 0;
	siginfo_t si;
	int optval = 0;

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	SKIP("the expected encodings below are written for little-endian");
#endif

	/* generic, read and write */
	CASE(hoop_prep_nop(sqe), .opcode = HOOP_OP_NOP, .fd = -1);
	CASE(hoop_prep_rw(sqe, 200, 7, buf, 9, 10), .opcode = 200, .fd = 7,
	     .addr = P(buf), .len = 9, .off = 10);
	CASE(hoop_prep_read(sqe, 3, buf, 64, 4096), .opcode = HOOP_OP_READ,
	     .fd = 3, .addr = P(buf), .len = 64, .off = 4096);
	CASE(hoop_prep_write(sqe, 3, buf, 64, UINT64_MAX), .opcode = HOOP_OP_WRITE,
	     .fd = 3, .addr = P(buf), .len = 64, .off = UINT64_MAX);
	CASE(hoop_prep_readv2(sqe, 4, iov, 2, 8, 0x10), .opcode = HOOP_OP_READV,
	     .fd = 4, .addr = P(iov), .len = 2, .off = 8, .op_flags = 0x10);
	CASE(hoop_prep_writev(sqe, 4, iov, 2, 8), .opcode = HOOP_OP_WRITEV,
	     .fd = 4, .addr = P(iov), .len = 2, .off = 8);
	CASE(hoop_prep_read_fixed(sqe, 5, buf, 32, 0, 3),
	     .opcode = HOOP_OP_READ_FIXED, .fd = 5, .addr = P(buf), .len = 32,
	     .buf_index = 3);
	CASE(hoop_prep_writev_fixed(sqe, 5, iov, 2, 16, 0x2, 7),
	     .opcode = HOOP_OP_WRITEV_FIXED, .fd = 5, .addr = P(iov), .len = 2,
	     .off = 16, .op_flags = 0x2, .buf_index = 7);
	CASE(hoop_prep_read_multishot(sqe, 6, 0, UINT64_MAX, 9),
	     .opcode = HOOP_OP_READ_MULTISHOT, .flags = HOOP_SQE_BUFFER_SELECT,
	     .fd = 6, .off = UINT64_MAX, .buf_index = 9);

	/* sync and space */
	CASE(hoop_prep_fsync(sqe, 3, HOOP_FSYNC_DATASYNC),
	     .opcode = HOOP_OP_FSYNC, .fd = 3, .op_flags = HOOP_FSYNC_DATASYNC);
	CASE(hoop_prep_sync_file_range(sqe, 3, 100, 200, 2),
	     .opcode = HOOP_OP_SYNC_FILE_RANGE, .fd = 3, .len = 100, .off = 200,
	     .op_flags = 2);
	/* fallocate: the length in addr, the mode in len */
	CASE(hoop_prep_fallocate(sqe, 3, 1, 4096, 1ull << 33),
	     .opcode = HOOP_OP_FALLOCATE, .fd = 3, .off = 4096,
	     .addr = 1ull << 33, .len = 1);
	CASE(hoop_prep_fadvise(sqe, 3, 10, 20, 4), .opcode = HOOP_OP_FADVISE,
	     .fd = 3, .off = 10, .len = 20, .op_flags = 4);
	CASE(hoop_prep_fadvise64(sqe, 3, 10, 1ull << 40, 4),
	     .opcode = HOOP_OP_FADVISE, .fd = 3, .off = 10, .addr = 1ull << 40,
	     .op_flags = 4);
	CASE(hoop_prep_madvise(sqe, buf, 64, 3), .opcode = HOOP_OP_MADVISE,
	     .fd = -1, .addr = P(buf), .len = 64, .op_flags = 3);
	CASE(hoop_prep_madvise64(sqe, buf, 1ull << 36, 3),
	     .opcode = HOOP_OP_MADVISE, .fd = -1, .addr = P(buf),
	     .off = 1ull << 36, .op_flags = 3);
	CASE(hoop_prep_ftruncate(sqe, 3, 12345), .opcode = HOOP_OP_FTRUNCATE,
	     .fd = 3, .off = 12345);

	/* files and directories */
	CASE(hoop_prep_openat(sqe, AT_FDCWD, path, O_CREAT | O_RDWR, 0640),
	     .opcode = HOOP_OP_OPENAT, .fd = AT_FDCWD, .addr = P(path),
	     .len = 0640, .op_flags = O_CREAT | O_RDWR);
	/* direct slots are stored as index + 1 ... */
	CASE(hoop_prep_openat_direct(sqe, AT_FDCWD, path, O_RDONLY, 0, 5),
	     .opcode = HOOP_OP_OPENAT, .fd = AT_FDCWD, .addr = P(path),
	     .file_index = 6);
	/* ... except the allocate-a-slot marker, which stays as it is */
	CASE(hoop_prep_openat_direct(sqe, AT_FDCWD, path, O_RDONLY, 0,
	                             HOOP_FILE_INDEX_ALLOC),
	     .opcode = HOOP_OP_OPENAT, .fd = AT_FDCWD, .addr = P(path),
	     .file_index = -1);
	CASE(hoop_prep_openat2(sqe, 9, path, &how), .opcode = HOOP_OP_OPENAT2,
	     .fd = 9, .addr = P(path), .len = 24, .off = P(&how));
	CASE(hoop_prep_close(sqe, 12), .opcode = HOOP_OP_CLOSE, .fd = 12);
	CASE(hoop_prep_close_direct(sqe, 0), .opcode = HOOP_OP_CLOSE,
	     .file_index = 1);
	CASE(hoop_prep_statx(sqe, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW,
	                     STATX_BASIC_STATS, &stx),
	     .opcode = HOOP_OP_STATX, .fd = AT_FDCWD, .addr = P(path),
	     .len = STATX_BASIC_STATS, .off = P(&stx),
	     .op_flags = AT_SYMLINK_NOFOLLOW);
	CASE(hoop_prep_renameat(sqe, 3, path, 4, path2, 1),
	     .opcode = HOOP_OP_RENAMEAT, .fd = 3, .addr = P(path), .len = 4,
	     .off = P(path2), .op_flags = 1);
	CASE(hoop_prep_unlinkat(sqe, AT_FDCWD, path, AT_REMOVEDIR),
	     .opcode = HOOP_OP_UNLINKAT, .fd = AT_FDCWD, .addr = P(path),
	     .op_flags = AT_REMOVEDIR);
	CASE(hoop_prep_mkdirat(sqe, AT_FDCWD, path, 0755),
	     .opcode = HOOP_OP_MKDIRAT, .fd = AT_FDCWD, .addr = P(path),
	     .len = 0755);
	CASE(hoop_prep_symlinkat(sqe, path, 8, path2), .opcode = HOOP_OP_SYMLINKAT,
	     .fd = 8, .addr = P(path), .off = P(path2));
	CASE(hoop_prep_linkat(sqe, 3, path, 4, path2, AT_SYMLINK_FOLLOW),
	     .opcode = HOOP_OP_LINKAT, .fd = 3, .addr = P(path), .len = 4,
	     .off = P(path2), .op_flags = AT_SYMLINK_FOLLOW);
	CASE(hoop_prep_fsetxattr(sqe, 3, "user.a", buf, 1, 5),
	     .opcode = HOOP_OP_FSETXATTR, .fd = 3, .addr = P("user.a"),
	     .off = P(buf), .len = 5, .op_flags = 1);
	CASE(hoop_prep_getxattr(sqe, "user.a", buf, path, 64),
	     .opcode = HOOP_OP_GETXATTR, .addr = P("user.a"), .off = P(buf),
	     .len = 64, .addr3 = P(path));
	CASE(hoop_prep_files_update(sqe, fds, 2, 4), .opcode = HOOP_OP_FILES_UPDATE,
	     .fd = -1, .addr = P(fds), .len = 2, .off = 4);
	CASE(hoop_prep_fixed_fd_install(sqe, 2, HOOP_FIXED_FD_NO_CLOEXEC),
	     .opcode = HOOP_OP_FIXED_FD_INSTALL, .flags = HOOP_SQE_FIXED_FILE,
	     .fd = 2, .op_flags = HOOP_FIXED_FD_NO_CLOEXEC);

	/* splice: output in fd/off, input in splice_fd_in/splice_off_in */
	CASE(hoop_prep_splice(sqe, 3, -1, 4, 100, 4096, 0x1),
	     .opcode = HOOP_OP_SPLICE, .fd = 4, .off = 100, .addr = UINT64_MAX,
	     .len = 4096, .file_index = 3, .op_flags = 0x1);
	CASE(hoop_prep_tee(sqe, 3, 4, 512, 0), .opcode = HOOP_OP_TEE, .fd = 4,
	     .len = 512, .file_index = 3);
	CASE(hoop_prep_pipe(sqe, fds, O_CLOEXEC), .opcode = HOOP_OP_PIPE,
	     .addr = P(fds), .op_flags = O_CLOEXEC);
	CASE(hoop_prep_pipe_direct(sqe, fds, 0, 2), .opcode = HOOP_OP_PIPE,
	     .addr = P(fds), .file_index = 3);

	/* poll: 32-bit events in op_flags, poll flags in len */
	CASE(hoop_prep_poll_add(sqe, 5, POLLIN | POLLOUT),
	     .opcode = HOOP_OP_POLL_ADD, .fd = 5, .op_flags = POLLIN | POLLOUT);
	CASE(hoop_prep_poll_multishot(sqe, 5, EPOLLIN | EPOLLET),
	     .opcode = HOOP_OP_POLL_ADD, .fd = 5, .len = HOOP_POLL_ADD_MULTI,
	     .op_flags = EPOLLIN | EPOLLET);
	CASE(hoop_prep_poll_remove(sqe, 0x1122334455667788ull),
	     .opcode = HOOP_OP_POLL_REMOVE, .fd = -1,
	     .addr = 0x1122334455667788ull);
	CASE(hoop_prep_poll_update(sqe, 1, 2, POLLIN,
	                           HOOP_POLL_UPDATE_EVENTS |
	                                   HOOP_POLL_UPDATE_USER_DATA),
	     .opcode = HOOP_OP_POLL_REMOVE, .fd = -1, .addr = 1, .off = 2,
	     .len = HOOP_POLL_UPDATE_EVENTS | HOOP_POLL_UPDATE_USER_DATA,
	     .op_flags = POLLIN);
	CASE(hoop_prep_epoll_ctl(sqe, 7, 8, EPOLL_CTL_ADD, &ev),
	     .opcode = HOOP_OP_EPOLL_CTL, .fd = 7, .addr = P(&ev),
	     .len = EPOLL_CTL_ADD, .off = 8);
	CASE(hoop_prep_epoll_wait(sqe, 7, &ev, 1, 0),
	     .opcode = HOOP_OP_EPOLL_WAIT, .fd = 7, .addr = P(&ev), .len = 1);

	/* timeouts: timespec in addr, len 1, count in off */
	CASE(hoop_prep_timeout(sqe, &ts, 3, HOOP_TIMEOUT_ABS),
	     .opcode = HOOP_OP_TIMEOUT, .fd = -1, .addr = P(&ts), .len = 1,
	     .off = 3, .op_flags = HOOP_TIMEOUT_ABS);
	CASE(hoop_prep_timeout_remove(sqe, 42, 0),
	     .opcode = HOOP_OP_TIMEOUT_REMOVE, .fd = -1, .addr = 42);
	CASE(hoop_prep_timeout_update(sqe, &ts, 42, HOOP_TIMEOUT_ABS),
	     .opcode = HOOP_OP_TIMEOUT_REMOVE, .fd = -1, .addr = 42,
	     .off = P(&ts), .op_flags = HOOP_TIMEOUT_UPDATE | HOOP_TIMEOUT_ABS);
	CASE(hoop_prep_link_timeout(sqe, &ts, 0),
	     .opcode = HOOP_OP_LINK_TIMEOUT, .fd = -1, .addr = P(&ts), .len = 1);
	CASE(hoop_prep_cancel(sqe, 99, HOOP_ASYNC_CANCEL_ALL),
	     .opcode = HOOP_OP_ASYNC_CANCEL, .fd = -1, .addr = 99,
	     .op_flags = HOOP_ASYNC_CANCEL_ALL);
	CASE(hoop_prep_cancel_fd(sqe, 6, HOOP_ASYNC_CANCEL_ALL),
	     .opcode = HOOP_OP_ASYNC_CANCEL, .fd = 6,
	     .op_flags = HOOP_ASYNC_CANCEL_FD | HOOP_ASYNC_CANCEL_ALL);
	CASE(hoop_prep_cancel_op(sqe, HOOP_OP_READ, 0),
	     .opcode = HOOP_OP_ASYNC_CANCEL, .fd = -1, .len = HOOP_OP_READ,
	     .op_flags = HOOP_ASYNC_CANCEL_OP);

	/* sockets */
	CASE(hoop_prep_socket(sqe, AF_INET, SOCK_STREAM, 6, 0),
	     .opcode = HOOP_OP_SOCKET, .fd = AF_INET, .off = SOCK_STREAM,
	     .len = 6);
	CASE(hoop_prep_socket_direct(sqe, AF_INET6, SOCK_DGRAM, 0,
	                             HOOP_FILE_INDEX_ALLOC, 0),
	     .opcode = HOOP_OP_SOCKET, .fd = AF_INET6, .off = SOCK_DGRAM,
	     .file_index = -1);
	CASE(hoop_prep_bind(sqe, 3, (struct sockaddr *)&sa, 16),
	     .opcode = HOOP_OP_BIND, .fd = 3, .addr = P(&sa), .off = 16);
	CASE(hoop_prep_listen(sqe, 3, 128), .opcode = HOOP_OP_LISTEN, .fd = 3,
	     .len = 128);
	CASE(hoop_prep_accept(sqe, 3, (struct sockaddr *)&sa, &salen, SOCK_CLOEXEC),
	     .opcode = HOOP_OP_ACCEPT, .fd = 3, .addr = P(&sa),
	     .off = P(&salen), .op_flags = SOCK_CLOEXEC);
	CASE(hoop_prep_accept_direct(sqe, 3, NULL, NULL, 0, 9),
	     .opcode = HOOP_OP_ACCEPT, .fd = 3, .file_index = 10);
	CASE(hoop_prep_multishot_accept_direct(sqe, 3, NULL, NULL, 0),
	     .opcode = HOOP_OP_ACCEPT, .fd = 3, .ioprio = HOOP_ACCEPT_MULTISHOT,
	     .file_index = -1);
	CASE(hoop_prep_connect(sqe, 3, (struct sockaddr *)&sa, 16),
	     .opcode = HOOP_OP_CONNECT, .fd = 3, .addr = P(&sa), .off = 16);
	CASE(hoop_prep_send(sqe, 3, buf, 10, MSG_MORE), .opcode = HOOP_OP_SEND,
	     .fd = 3, .addr = P(buf), .len = 10, .op_flags = MSG_MORE);
	/* sendto: the address length is a u16 in the low half of file_index */
	CASE(hoop_prep_sendto(sqe, 3, buf, 10, 0, (struct sockaddr *)&sa, 28),
	     .opcode = HOOP_OP_SEND, .fd = 3, .addr = P(buf), .len = 10,
	     .off = P(&sa), .file_index = 28);
	CASE(hoop_prep_send_zc_fixed(sqe, 3, buf, 10, 0,
	                             HOOP_SEND_ZC_REPORT_USAGE, 2),
	     .opcode = HOOP_OP_SEND_ZC, .fd = 3, .addr = P(buf), .len = 10,
	     .ioprio = HOOP_SEND_ZC_REPORT_USAGE | HOOP_RECVSEND_FIXED_BUF,
	     .buf_index = 2);
	CASE(hoop_prep_recv_multishot(sqe, 3, NULL, 0, 0),
	     .opcode = HOOP_OP_RECV, .fd = 3, .ioprio = HOOP_RECV_MULTISHOT,
	     .flags = HOOP_SQE_BUFFER_SELECT);
	CASE(hoop_prep_recv_bundle(sqe, 3, 0, 0), .opcode = HOOP_OP_RECV, .fd = 3,
	     .ioprio = HOOP_RECVSEND_BUNDLE, .flags = HOOP_SQE_BUFFER_SELECT);
	CASE(hoop_prep_sendmsg(sqe, 3, &msg, MSG_NOSIGNAL),
	     .opcode = HOOP_OP_SENDMSG, .fd = 3, .addr = P(&msg), .len = 1,
	     .op_flags = MSG_NOSIGNAL);
	CASE(hoop_prep_recvmsg_multishot(sqe, 3, &msg, 0),
	     .opcode = HOOP_OP_RECVMSG, .fd = 3, .addr = P(&msg), .len = 1,
	     .ioprio = HOOP_RECV_MULTISHOT, .flags = HOOP_SQE_BUFFER_SELECT);
	CASE(hoop_prep_shutdown(sqe, 3, SHUT_WR), .opcode = HOOP_OP_SHUTDOWN,
	     .fd = 3, .len = SHUT_WR);
	/* level in addr's low word, optname in its high word (little-endian) */
	CASE(hoop_prep_cmd_sock(sqe, HOOP_SOCKET_OP_GETSOCKOPT, 3, SOL_SOCKET,
	                        SO_RCVBUF, &optval, 4),
	     .opcode = HOOP_OP_URING_CMD, .fd = 3, .off = HOOP_SOCKET_OP_GETSOCKOPT,
	     .addr = ((uint64_t)SO_RCVBUF << 32) | SOL_SOCKET, .file_index = 4,
	     .addr3 = P(&optval));

	/* buffers: count in fd, first id in off, group in buf_group */
	CASE(hoop_prep_provide_buffers(sqe, buf, 16, 4, 7, 100),
	     .opcode = HOOP_OP_PROVIDE_BUFFERS, .fd = 4, .addr = P(buf),
	     .len = 16, .off = 100, .buf_index = 7);
	CASE(hoop_prep_remove_buffers(sqe, 4, 7),
	     .opcode = HOOP_OP_REMOVE_BUFFERS, .fd = 4, .buf_index = 7);

	/* msg_ring: command in addr, res in len, user_data in off */
	CASE(hoop_prep_msg_ring(sqe, 10, 77, 0xabcdef, 0),
	     .opcode = HOOP_OP_MSG_RING, .fd = 10, .addr = HOOP_MSG_DATA,
	     .len = 77, .off = 0xabcdef);
	CASE(hoop_prep_msg_ring_cqe_flags(sqe, 10, 1, 2, 0, 0x30),
	     .opcode = HOOP_OP_MSG_RING, .fd = 10, .len = 1, .off = 2,
	     .op_flags = HOOP_MSG_RING_FLAGS_PASS, .file_index = 0x30);
	CASE(hoop_prep_msg_ring_fd(sqe, 10, 2, 5, 3, 0),
	     .opcode = HOOP_OP_MSG_RING, .fd = 10, .addr = HOOP_MSG_SEND_FD,
	     .off = 3, .addr3 = 2, .file_index = 6);

	/* processes and futexes */
	CASE(hoop_prep_waitid(sqe, P_PID, 1234, &si, WEXITED, 0),
	     .opcode = HOOP_OP_WAITID, .fd = 1234, .len = P_PID, .off = P(&si),
	     .file_index = WEXITED);
	CASE(hoop_prep_futex_wait(sqe, &futex, 5, 0xffffffffull, 2, 0),
	     .opcode = HOOP_OP_FUTEX_WAIT, .fd = 2, .addr = P(&futex), .off = 5,
	     .addr3 = 0xffffffffull);
	CASE(hoop_prep_futex_waitv(sqe, (struct futex_waitv *)buf, 3, 0),
	     .opcode = HOOP_OP_FUTEX_WAITV, .addr = P(buf), .len = 3);
	CASE(hoop_prep_uring_cmd(sqe, 0x1234, 9), .opcode = HOOP_OP_URING_CMD,
	     .fd = 9, .off = 0x1234);

	/* field helpers */
	hoop_prep_nop(&slot);
	hoop_sqe_set_data(&slot, 0x0102030405060708ull);
	CHECK_EQ(slot.user_data, 0x0102030405060708ull);
	hoop_sqe_set_data_ptr(&slot, buf);
	CHECK_EQ(slot.user_data, P(buf));
	hoop_sqe_set_flags(&slot, HOOP_SQE_IO_LINK | HOOP_SQE_ASYNC);
	CHECK_EQ(slot.flags, HOOP_SQE_IO_LINK | HOOP_SQE_ASYNC);
	hoop_sqe_set_buf_group(&slot, 513);
	CHECK_EQ(slot.buf_index, 513);
	hoop_sqe_set_personality(&slot, 4);
	CHECK_EQ(slot.personality, 4);
	hoop_sqe_set_ioprio(&slot, HOOP_RECVSEND_POLL_FIRST);
	CHECK_EQ(slot.ioprio, HOOP_RECVSEND_POLL_FIRST);

	struct hoop_cqe cqe = {.user_data = P(buf),
	                       .res = 5,
	                       .flags = (17u << HOOP_CQE_BUFFER_SHIFT) |
	                                HOOP_CQE_F_BUFFER | HOOP_CQE_F_MORE};
	CHECK_EQ(hoop_cqe_get_data(&cqe), P(buf));
	CHECK(hoop_cqe_get_data_ptr(&cqe) == (void *)buf);
	CHECK_EQ(hoop_cqe_buffer_id(&cqe), 17);
	CHECK_EQ(hoop_cqe_has_more(&cqe), 1);
	CHECK_EQ(hoop_cqe_is_notif(&cqe), 0);
	CHECK_EQ(hoop_cqe_sock_nonempty(&cqe), 0);
	cqe.flags = HOOP_CQE_F_NOTIF | HOOP_CQE_F_SOCK_NONEMPTY;
	CHECK_EQ(hoop_cqe_buffer_id(&cqe), -ENOENT);
	CHECK_EQ(hoop_cqe_has_more(&cqe), 0);
	CHECK_EQ(hoop_cqe_is_notif(&cqe), 1);
	CHECK_EQ(hoop_cqe_sock_nonempty(&cqe), 1);

	CHECK_EQ(failures, 0);
	return T_PASS;
}
