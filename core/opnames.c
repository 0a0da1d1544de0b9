/*
 * core/opnames.c - the names of io_uring opcodes, features and setup
 * flags, for messages, the probe printout and the bindings.
 */
#include "hoop/register.h"
#include "engine_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Indexed by opcode; the kernel's IORING_OP_ names in lower case. */
static const char *const op_names[HOOP_OP_LAST] = {
        [HOOP_OP_NOP] = "nop",
        [HOOP_OP_READV] = "readv",
        [HOOP_OP_WRITEV] = "writev",
        [HOOP_OP_FSYNC] = "fsync",
        [HOOP_OP_READ_FIXED] = "read_fixed",
        [HOOP_OP_WRITE_FIXED] = "write_fixed",
        [HOOP_OP_POLL_ADD] = "poll_add",
        [HOOP_OP_POLL_REMOVE] = "poll_remove",
        [HOOP_OP_SYNC_FILE_RANGE] = "sync_file_range",
        [HOOP_OP_SENDMSG] = "sendmsg",
        [HOOP_OP_RECVMSG] = "recvmsg",
        [HOOP_OP_TIMEOUT] = "timeout",
        [HOOP_OP_TIMEOUT_REMOVE] = "timeout_remove",
        [HOOP_OP_ACCEPT] = "accept",
        [HOOP_OP_ASYNC_CANCEL] = "async_cancel",
        [HOOP_OP_LINK_TIMEOUT] = "link_timeout",
        [HOOP_OP_CONNECT] = "connect",
        [HOOP_OP_FALLOCATE] = "fallocate",
        [HOOP_OP_OPENAT] = "openat",
        [HOOP_OP_CLOSE] = "close",
        [HOOP_OP_FILES_UPDATE] = "files_update",
        [HOOP_OP_STATX] = "statx",
        [HOOP_OP_READ] = "read",
        [HOOP_OP_WRITE] = "write",
        [HOOP_OP_FADVISE] = "fadvise",
        [HOOP_OP_MADVISE] = "madvise",
        [HOOP_OP_SEND] = "send",
        [HOOP_OP_RECV] = "recv",
        [HOOP_OP_OPENAT2] = "openat2",
        [HOOP_OP_EPOLL_CTL] = "epoll_ctl",
        [HOOP_OP_SPLICE] = "splice",
        [HOOP_OP_PROVIDE_BUFFERS] = "provide_buffers",
        [HOOP_OP_REMOVE_BUFFERS] = "remove_buffers",
        [HOOP_OP_TEE] = "tee",
        [HOOP_OP_SHUTDOWN] = "shutdown",
        [HOOP_OP_RENAMEAT] = "renameat",
        [HOOP_OP_UNLINKAT] = "unlinkat",
        [HOOP_OP_MKDIRAT] = "mkdirat",
        [HOOP_OP_SYMLINKAT] = "symlinkat",
        [HOOP_OP_LINKAT] = "linkat",
        [HOOP_OP_MSG_RING] = "msg_ring",
        [HOOP_OP_FSETXATTR] = "fsetxattr",
        [HOOP_OP_SETXATTR] = "setxattr",
        [HOOP_OP_FGETXATTR] = "fgetxattr",
        [HOOP_OP_GETXATTR] = "getxattr",
        [HOOP_OP_SOCKET] = "socket",
        [HOOP_OP_URING_CMD] = "uring_cmd",
        [HOOP_OP_SEND_ZC] = "send_zc",
        [HOOP_OP_SENDMSG_ZC] = "sendmsg_zc",
        [HOOP_OP_READ_MULTISHOT] = "read_multishot",
        [HOOP_OP_WAITID] = "waitid",
        [HOOP_OP_FUTEX_WAIT] = "futex_wait",
        [HOOP_OP_FUTEX_WAKE] = "futex_wake",
        [HOOP_OP_FUTEX_WAITV] = "futex_waitv",
        [HOOP_OP_FIXED_FD_INSTALL] = "fixed_fd_install",
        [HOOP_OP_FTRUNCATE] = "ftruncate",
        [HOOP_OP_BIND] = "bind",
        [HOOP_OP_LISTEN] = "listen",
        [HOOP_OP_RECV_ZC] = "recv_zc",
        [HOOP_OP_EPOLL_WAIT] = "epoll_wait",
        [HOOP_OP_READV_FIXED] = "readv_fixed",
        [HOOP_OP_WRITEV_FIXED] = "writev_fixed",
        [HOOP_OP_PIPE] = "pipe",
        [HOOP_OP_NOP128] = "nop128",
        [HOOP_OP_URING_CMD128] = "uring_cmd128",
};

const char *hoop_opcode_name(unsigned op)
{
	return op < HOOP_OP_LAST ? op_names[op] : NULL;
}

int hoop_opcode_from_name(const char *name)
{
	if (!name)
		return -EINVAL;
	for (unsigned op = 0; op < HOOP_OP_LAST; op++)
		if (op_names[op] && strcasecmp(op_names[op], name) == 0)
			return (int)op;
	return -ENOENT;
}

/* The names before hoop 0.2 (HOOP_0.1), kept for the programs that call
 * them: they share the hoop_op_ prefix of the struct hoop_op fillers. */
const char *hoop_op_name(unsigned op) { return hoop_opcode_name(op); }

int hoop_op_from_name(const char *name) { return hoop_opcode_from_name(name); }

/* Indexed by bit position: HOOP_FEAT_* is 1u << index. */
static const char *const feature_names[] = {
        "single_mmap",    "nodrop",          "submit_stable",
        "rw_cur_pos",     "cur_personality", "fast_poll",
        "poll_32bits",    "sqpoll_nonfixed", "ext_arg",
        "native_workers", "rsrc_tags",       "cqe_skip",
        "linked_file",    "reg_reg_ring",    "recvsend_bundle",
        "min_timeout",    "rw_attr",         "no_iowait",
};
_Static_assert(sizeof(feature_names) / sizeof(feature_names[0]) == 18 &&
                       HOOP_FEAT_NO_IOWAIT == 1u << 17,
               "feature_names follows HOOP_FEAT_*");

/* Indexed by bit position: HOOP_SETUP_* is 1u << index. */
static const char *const setup_names[] = {
        "iopoll",        "sqpoll",        "sq_aff",     "cqsize",
        "clamp",         "attach_wq",     "r_disabled", "submit_all",
        "coop_taskrun",  "taskrun_flag",  "sqe128",     "cqe32",
        "single_issuer", "defer_taskrun", "no_mmap",    "registered_fd_only",
        "no_sqarray",    "hybrid_iopoll", "cqe_mixed",  "sqe_mixed",
};
_Static_assert(sizeof(setup_names) / sizeof(setup_names[0]) == 20 &&
                       HOOP_SETUP_SQE_MIXED == 1u << 19,
               "setup_names follows HOOP_SETUP_*");

static const char *bit_name(uint32_t bit, const char *const *names, unsigned n)
{
	if (bit == 0 || (bit & (bit - 1)))
		return NULL;
	unsigned i = (unsigned)__builtin_ctz(bit);
	return i < n ? names[i] : NULL;
}

const char *hoop_feature_name(uint32_t bit)
{
	return bit_name(bit, feature_names,
	                sizeof(feature_names) / sizeof(feature_names[0]));
}

const char *hoop_setup_flag_name(uint32_t bit)
{
	return bit_name(bit, setup_names,
	                sizeof(setup_names) / sizeof(setup_names[0]));
}

/* ---- backend names: one parser for HOOP_BACKEND, create, the probe ---- */

int hoop_backend_from_name(const char *name)
{
	if (!name)
		return -EINVAL;
	if (name[0] == '\0' || strcmp(name, "auto") == 0)
		return HOOP_BACKEND_AUTO;
	if (strcmp(name, "uring") == 0 || strcmp(name, "io_uring") == 0)
		return HOOP_BACKEND_URING;
	if (strcmp(name, "threads") == 0)
		return HOOP_BACKEND_THREADS;
	return -EINVAL;
}

const char *hoop_backend_name(int backend)
{
	switch (backend) {
	case HOOP_BACKEND_AUTO:
		return "auto";
	case HOOP_BACKEND_URING:
		return "uring";
	case HOOP_BACKEND_THREADS:
		return "threads";
	default:
		return "unknown";
	}
}

int hoop__backend_env(const char **raw)
{
	const char *env = getenv("HOOP_BACKEND");
	if (raw)
		*raw = env;
	return env ? hoop_backend_from_name(env) : HOOP_BACKEND_AUTO;
}
