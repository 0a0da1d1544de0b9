/*
 * hoop/uapi.h - the io_uring kernel ABI, as hoop's own definitions.
 *
 * These mirror the kernel's <linux/io_uring.h> values (facts of the ABI) so
 * that hoop builds on machines whose kernel headers are older than the kernel
 * it runs on (Debian 12 ships 6.1 headers) and still exposes everything a
 * 6.18 kernel offers. Constants are plain integer literals so that the FFI
 * declaration file (bindings/hoop_ffi.h) can carry them verbatim.
 */
#ifndef HOOP_UAPI_H
#define HOOP_UAPI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A submission queue entry, 64 bytes, laid out as the kernel reads it. Fields
 * the kernel overlays are named after their most common use; the comment
 * lists the other meanings. hoop's prep functions fill every byte.
 */
struct hoop_sqe {
	uint8_t opcode;     /* HOOP_OP_* */
	uint8_t flags;      /* HOOP_SQE_* */
	uint16_t ioprio;    /* ioprio, or send/recv/accept op flags */
	int32_t fd;         /* file descriptor or fixed-file index */
	uint64_t off;       /* offset; also addr2, cmd_op */
	uint64_t addr;      /* buffer or iovec pointer; also splice_off_in */
	uint32_t len;       /* length or iovec count */
	uint32_t op_flags;  /* rw_flags, fsync_flags, poll32_events, msg_flags,
	                         timeout_flags, accept_flags, cancel_flags,
	                         open_flags, statx_flags, fadvise_advice, ... */
	uint64_t user_data; /* returned in the completion */
	uint16_t buf_index; /* fixed buffer index; also buf_group */
	uint16_t personality; /* registered credentials id, 0 for none */
	int32_t file_index;   /* direct-descriptor slot + 1; also splice_fd_in,
	                         optlen, addr_len (low 16 bits) */
	uint64_t addr3;       /* third address (sendmsg_zc, socket options) */
	uint64_t pad2; /* reserved, or the start of a 128-byte SQE's cmd */
};

/* A completion queue entry, 16 bytes (32 with HOOP_SETUP_CQE32). */
struct hoop_cqe {
	uint64_t user_data; /* copied from the SQE */
	int32_t res;        /* result: >= 0, or -errno */
	uint32_t flags;     /* HOOP_CQE_F_* */
};

/* Time as the kernel's __kernel_timespec. */
struct hoop_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};

/* One entry of an opcode probe (HOOP_REGISTER_PROBE). */
struct hoop_probe_op {
	uint8_t op;
	uint8_t resv;
	uint16_t flags; /* HOOP_PROBE_OP_SUPPORTED */
	uint32_t resv2;
};

/* The opcode probe header; `ops_len` entries of struct hoop_probe_op follow. */
struct hoop_probe_hdr {
	uint8_t last_op;
	uint8_t ops_len;
	uint16_t resv;
	uint32_t resv2[3];
};

/* A restriction for HOOP_REGISTER_RESTRICTIONS. */
struct hoop_restriction {
	uint16_t opcode; /* HOOP_RESTRICTION_* */
	uint8_t op;      /* register_op, sqe_op or sqe_flags */
	uint8_t resv;
	uint32_t resv2[3];
};

/* An entry of a provided-buffer ring. */
struct hoop_buf {
	uint64_t addr;
	uint32_t len;
	uint16_t bid;
	uint16_t resv; /* in entry 0 this is the ring's tail */
};

/*
 * A provided-buffer ring registration (HOOP_REGISTER_PBUF_RING), 40 bytes,
 * as the kernel reads it (struct io_uring_buf_reg).
 */
struct hoop_buf_reg {
	uint64_t ring_addr; /* page-aligned ring; 0 with HOOP_PBUF_RING_MMAP */
	uint32_t ring_entries; /* a power of two */
	uint16_t bgid;         /* buffer group id */
	uint16_t flags;        /* HOOP_PBUF_RING_* (hoop/register.h) */
	uint32_t min_left;     /* with HOOP_PBUF_RING_INC: see register.h */
	uint32_t resv[5];      /* must be zero */
};

/*
 * NAPI busy-poll settings (HOOP_REGISTER_NAPI, HOOP_UNREGISTER_NAPI), 16
 * bytes, as the kernel reads them (struct io_uring_napi).
 */
struct hoop_napi {
	uint32_t busy_poll_to;    /* busy-poll time, microseconds */
	uint8_t prefer_busy_poll; /* 1: prefer busy polling to interrupts */
	uint8_t opcode;    /* HOOP_NAPI_REGISTER_OP, _STATIC_ADD/DEL_ID */
	uint8_t pad[2];    /* must be zero */
	uint32_t op_param; /* HOOP_NAPI_TRACKING_* with REGISTER_OP,
	                             else a NAPI id */
	uint32_t resv;     /* must be zero */
};

/*
 * A memory region (struct io_uring_region_desc, 64 bytes), for
 * hoop_ring_register_region and the zcrx refill queue. Caller memory:
 * `user_addr` (page aligned) and `size` (a multiple of the page size) of
 * memory the caller provides, flags HOOP_MEM_REGION_TYPE_USER. Kernel
 * memory: user_addr 0, flags 0 and `size`; the kernel allocates the pages
 * and writes mmap_offset, where hoop_ring_map_region maps them. id and
 * mmap_offset are 0 going in.
 */
struct hoop_region_desc {
	uint64_t user_addr;
	uint64_t size;
	uint32_t flags; /* HOOP_MEM_REGION_TYPE_USER, or 0 */
	uint32_t id;
	uint64_t mmap_offset; /* out, kernel memory: the ring fd's mmap offset */
	uint64_t resv[4];     /* must be zero */
};
#define HOOP_MEM_REGION_TYPE_USER 0x01u

/* What HOOP_REGISTER_MEM_REGION takes (struct io_uring_mem_region_reg). */
struct hoop_mem_region_reg {
	uint64_t region_uptr; /* a struct hoop_region_desc * */
	uint64_t flags;       /* HOOP_MEM_REGION_REG_WAIT_ARG */
	uint64_t resv[2];     /* must be zero */
};
/* The region holds struct hoop_reg_wait entries for waits (ring created
 * with HOOP_SETUP_R_DISABLED, registered before hoop_ring_enable). */
#define HOOP_MEM_REGION_REG_WAIT_ARG 0x01u

/*
 * A registered wait's arguments (struct io_uring_reg_wait, 64 bytes): the
 * entries of a wait region, picked by index in
 * hoop_ring_submit_and_wait_reg, and changed in place between waits.
 */
struct hoop_reg_wait {
	struct hoop_timespec ts; /* with HOOP_REG_WAIT_TS: how long to wait */
	uint32_t min_wait_usec;  /* as hoop_ring_wait_cqes_min_timeout */
	uint32_t flags;          /* HOOP_REG_WAIT_TS */
	uint64_t sigmask;        /* a sigset_t * to wait with, or 0 */
	uint32_t sigmask_sz;
	uint32_t pad[3];
	uint64_t pad2[2];
};
#define HOOP_REG_WAIT_TS 0x01u

/*
 * Zero-copy receive (zcrx) registration, as the kernel reads it: where the
 * kernel put the refill queue's fields in the region (out), the receive
 * area, and the interface queue (structs io_uring_zcrx_offsets,
 * io_uring_zcrx_area_reg, io_uring_zcrx_ifq_reg).
 */
struct hoop_zcrx_offsets {
	uint32_t head;
	uint32_t tail;
	uint32_t rqes;
	uint32_t resv2;
	uint64_t resv[2];
};
struct hoop_zcrx_area_reg {
	uint64_t addr; /* page-aligned receive memory */
	uint64_t len;
	uint64_t rq_area_token; /* out: the area's token for refill entries */
	uint32_t flags;         /* HOOP_ZCRX_AREA_DMABUF */
	uint32_t dmabuf_fd;
	uint64_t resv2[2];
};
#define HOOP_ZCRX_AREA_DMABUF 0x01u
/* A refill-queue entry (struct io_uring_zcrx_rqe, 16 bytes): gives the
 * buffer at `off` (the area's rq_area_token | offset in the area) of `len`
 * bytes back to the kernel. */
struct hoop_zcrx_rqe {
	uint64_t off;
	uint32_t len;
	uint32_t pad; /* must be zero */
};
/* The second half of a RECV_ZC completion's 32-byte CQE (struct
 * io_uring_zcrx_cqe): where the data landed, as area id << AREA_SHIFT |
 * offset in the area. */
struct hoop_zcrx_cqe {
	uint64_t off;
	uint64_t pad;
};
#define HOOP_ZCRX_AREA_SHIFT 48
#define HOOP_ZCRX_AREA_MASK 0xffff000000000000ull /* the area id bits */
struct hoop_zcrx_ifq_reg {
	uint32_t if_idx;     /* network interface index */
	uint32_t if_rxq;     /* its hardware receive queue */
	uint32_t rq_entries; /* refill queue size */
	uint32_t flags;
	uint64_t area_ptr;   /* a struct hoop_zcrx_area_reg * */
	uint64_t region_ptr; /* a struct hoop_region_desc * (refill queue) */
	struct hoop_zcrx_offsets offsets; /* out */
	uint32_t zcrx_id;                 /* out: the id RECV_ZC SQEs name */
	uint32_t rx_buf_len; /* 0: the default receive buffer size */
	uint64_t resv[3];
};

/* Opcodes (IORING_OP_*). */
#define HOOP_OP_NOP 0
#define HOOP_OP_READV 1
#define HOOP_OP_WRITEV 2
#define HOOP_OP_FSYNC 3
#define HOOP_OP_READ_FIXED 4
#define HOOP_OP_WRITE_FIXED 5
#define HOOP_OP_POLL_ADD 6
#define HOOP_OP_POLL_REMOVE 7
#define HOOP_OP_SYNC_FILE_RANGE 8
#define HOOP_OP_SENDMSG 9
#define HOOP_OP_RECVMSG 10
#define HOOP_OP_TIMEOUT 11
#define HOOP_OP_TIMEOUT_REMOVE 12
#define HOOP_OP_ACCEPT 13
#define HOOP_OP_ASYNC_CANCEL 14
#define HOOP_OP_LINK_TIMEOUT 15
#define HOOP_OP_CONNECT 16
#define HOOP_OP_FALLOCATE 17
#define HOOP_OP_OPENAT 18
#define HOOP_OP_CLOSE 19
#define HOOP_OP_FILES_UPDATE 20
#define HOOP_OP_STATX 21
#define HOOP_OP_READ 22
#define HOOP_OP_WRITE 23
#define HOOP_OP_FADVISE 24
#define HOOP_OP_MADVISE 25
#define HOOP_OP_SEND 26
#define HOOP_OP_RECV 27
#define HOOP_OP_OPENAT2 28
#define HOOP_OP_EPOLL_CTL 29
#define HOOP_OP_SPLICE 30
#define HOOP_OP_PROVIDE_BUFFERS 31
#define HOOP_OP_REMOVE_BUFFERS 32
#define HOOP_OP_TEE 33
#define HOOP_OP_SHUTDOWN 34
#define HOOP_OP_RENAMEAT 35
#define HOOP_OP_UNLINKAT 36
#define HOOP_OP_MKDIRAT 37
#define HOOP_OP_SYMLINKAT 38
#define HOOP_OP_LINKAT 39
#define HOOP_OP_MSG_RING 40
#define HOOP_OP_FSETXATTR 41
#define HOOP_OP_SETXATTR 42
#define HOOP_OP_FGETXATTR 43
#define HOOP_OP_GETXATTR 44
#define HOOP_OP_SOCKET 45
#define HOOP_OP_URING_CMD 46
#define HOOP_OP_SEND_ZC 47
#define HOOP_OP_SENDMSG_ZC 48
#define HOOP_OP_READ_MULTISHOT 49
#define HOOP_OP_WAITID 50
#define HOOP_OP_FUTEX_WAIT 51
#define HOOP_OP_FUTEX_WAKE 52
#define HOOP_OP_FUTEX_WAITV 53
#define HOOP_OP_FIXED_FD_INSTALL 54
#define HOOP_OP_FTRUNCATE 55
#define HOOP_OP_BIND 56
#define HOOP_OP_LISTEN 57
#define HOOP_OP_RECV_ZC 58
#define HOOP_OP_EPOLL_WAIT 59
#define HOOP_OP_READV_FIXED 60
#define HOOP_OP_WRITEV_FIXED 61
#define HOOP_OP_PIPE 62
/* 128-byte SQE opcodes of a HOOP_SETUP_SQE_MIXED ring (6.19+). */
#define HOOP_OP_NOP128 63
#define HOOP_OP_URING_CMD128 64
/* One past the highest opcode hoop knows by name (63 before hoop 0.2). */
#define HOOP_OP_LAST 65

/* SQE flags (IOSQE_*). */
#define HOOP_SQE_FIXED_FILE 0x01
#define HOOP_SQE_IO_DRAIN 0x02
#define HOOP_SQE_IO_LINK 0x04
#define HOOP_SQE_IO_HARDLINK 0x08
#define HOOP_SQE_ASYNC 0x10
#define HOOP_SQE_BUFFER_SELECT 0x20
#define HOOP_SQE_CQE_SKIP_SUCCESS 0x40

/* Setup flags (IORING_SETUP_*). */
#define HOOP_SETUP_IOPOLL 0x00000001u
#define HOOP_SETUP_SQPOLL 0x00000002u
#define HOOP_SETUP_SQ_AFF 0x00000004u
#define HOOP_SETUP_CQSIZE 0x00000008u
#define HOOP_SETUP_CLAMP 0x00000010u
#define HOOP_SETUP_ATTACH_WQ 0x00000020u
#define HOOP_SETUP_R_DISABLED 0x00000040u
#define HOOP_SETUP_SUBMIT_ALL 0x00000080u
#define HOOP_SETUP_COOP_TASKRUN 0x00000100u
#define HOOP_SETUP_TASKRUN_FLAG 0x00000200u
#define HOOP_SETUP_SQE128 0x00000400u
#define HOOP_SETUP_CQE32 0x00000800u
#define HOOP_SETUP_SINGLE_ISSUER 0x00001000u
#define HOOP_SETUP_DEFER_TASKRUN 0x00002000u
#define HOOP_SETUP_NO_MMAP 0x00004000u
#define HOOP_SETUP_REGISTERED_FD_ONLY 0x00008000u
#define HOOP_SETUP_NO_SQARRAY 0x00010000u
#define HOOP_SETUP_HYBRID_IOPOLL 0x00020000u
#define HOOP_SETUP_CQE_MIXED 0x00040000u
/* 64- and 128-byte SQEs in one SQ (6.19+): see hoop_ring_get_sqe128. */
#define HOOP_SETUP_SQE_MIXED 0x00080000u

/* Features reported by the kernel at setup (IORING_FEAT_*). */
#define HOOP_FEAT_SINGLE_MMAP 0x00000001u
#define HOOP_FEAT_NODROP 0x00000002u
#define HOOP_FEAT_SUBMIT_STABLE 0x00000004u
#define HOOP_FEAT_RW_CUR_POS 0x00000008u
#define HOOP_FEAT_CUR_PERSONALITY 0x00000010u
#define HOOP_FEAT_FAST_POLL 0x00000020u
#define HOOP_FEAT_POLL_32BITS 0x00000040u
#define HOOP_FEAT_SQPOLL_NONFIXED 0x00000080u
#define HOOP_FEAT_EXT_ARG 0x00000100u
#define HOOP_FEAT_NATIVE_WORKERS 0x00000200u
#define HOOP_FEAT_RSRC_TAGS 0x00000400u
#define HOOP_FEAT_CQE_SKIP 0x00000800u
#define HOOP_FEAT_LINKED_FILE 0x00001000u
#define HOOP_FEAT_REG_REG_RING 0x00002000u
#define HOOP_FEAT_RECVSEND_BUNDLE 0x00004000u
#define HOOP_FEAT_MIN_TIMEOUT 0x00008000u
#define HOOP_FEAT_RW_ATTR 0x00010000u
#define HOOP_FEAT_NO_IOWAIT 0x00020000u

/* io_uring_enter flags (IORING_ENTER_*). */
#define HOOP_ENTER_GETEVENTS 0x01u
#define HOOP_ENTER_SQ_WAKEUP 0x02u
#define HOOP_ENTER_SQ_WAIT 0x04u
#define HOOP_ENTER_EXT_ARG 0x08u
#define HOOP_ENTER_REGISTERED_RING 0x10u
#define HOOP_ENTER_ABS_TIMER 0x20u
#define HOOP_ENTER_EXT_ARG_REG 0x40u
#define HOOP_ENTER_NO_IOWAIT 0x80u

/* SQ ring flags the kernel sets (IORING_SQ_*). */
#define HOOP_SQ_NEED_WAKEUP 0x01u
#define HOOP_SQ_CQ_OVERFLOW 0x02u
#define HOOP_SQ_TASKRUN 0x04u

/*
 * The head of each buffer a multishot recvmsg fills (struct
 * io_uring_recvmsg_out, 16 bytes): then the source address (the msghdr's
 * msg_namelen bytes), the control data (msg_controllen bytes), the payload.
 * Parse it with hoop_recvmsg_validate and friends (hoop/prep.h).
 */
struct hoop_recvmsg_out {
	uint32_t namelen;    /* the address's real length (may exceed room) */
	uint32_t controllen; /* control bytes stored */
	uint32_t payloadlen; /* payload bytes stored (the datagram's full length
	                        if MSG_TRUNC was among the recvmsg flags) */
	uint32_t flags;      /* msg_flags (MSG_TRUNC, MSG_CTRUNC, ...) */
};

/* CQ ring flags (IORING_CQ_*). */
#define HOOP_CQ_EVENTFD_DISABLED 0x01u

/* CQE flags (IORING_CQE_F_*). */
#define HOOP_CQE_F_BUFFER 0x01u
#define HOOP_CQE_F_MORE 0x02u
#define HOOP_CQE_F_SOCK_NONEMPTY 0x04u
#define HOOP_CQE_F_NOTIF 0x08u
#define HOOP_CQE_F_BUF_MORE 0x10u
#define HOOP_CQE_F_SKIP 0x20u
#define HOOP_CQE_F_32 0x8000u
#define HOOP_CQE_BUFFER_SHIFT 16

/* fsync flags. */
#define HOOP_FSYNC_DATASYNC 0x01u

/* Timeout flags. */
#define HOOP_TIMEOUT_ABS 0x01u
#define HOOP_TIMEOUT_UPDATE 0x02u
#define HOOP_TIMEOUT_BOOTTIME 0x04u
#define HOOP_TIMEOUT_REALTIME 0x08u
#define HOOP_LINK_TIMEOUT_UPDATE 0x10u
#define HOOP_TIMEOUT_ETIME_SUCCESS 0x20u
#define HOOP_TIMEOUT_MULTISHOT 0x40u

/* Poll flags, passed in the SQE's len field. */
#define HOOP_POLL_ADD_MULTI 0x01u
#define HOOP_POLL_UPDATE_EVENTS 0x02u
#define HOOP_POLL_UPDATE_USER_DATA 0x04u
#define HOOP_POLL_ADD_LEVEL 0x08u

/* Async cancel flags. */
#define HOOP_ASYNC_CANCEL_ALL 0x01u
#define HOOP_ASYNC_CANCEL_FD 0x02u
#define HOOP_ASYNC_CANCEL_ANY 0x04u
#define HOOP_ASYNC_CANCEL_FD_FIXED 0x08u
#define HOOP_ASYNC_CANCEL_USERDATA 0x10u
#define HOOP_ASYNC_CANCEL_OP 0x20u

/* send/recv flags, passed in ioprio. */
#define HOOP_RECVSEND_POLL_FIRST 0x01u
#define HOOP_RECV_MULTISHOT 0x02u
#define HOOP_RECVSEND_FIXED_BUF 0x04u
#define HOOP_SEND_ZC_REPORT_USAGE 0x08u
#define HOOP_RECVSEND_BUNDLE 0x10u

/* accept flags, passed in ioprio. */
#define HOOP_ACCEPT_MULTISHOT 0x01u
#define HOOP_ACCEPT_DONTWAIT 0x02u
#define HOOP_ACCEPT_POLL_FIRST 0x04u

/* msg_ring commands (in addr) and flags (in op_flags). */
#define HOOP_MSG_DATA 0
#define HOOP_MSG_SEND_FD 1
#define HOOP_MSG_RING_CQE_SKIP 0x01u
#define HOOP_MSG_RING_FLAGS_PASS 0x02u

/* fixed_fd_install flags. */
#define HOOP_FIXED_FD_NO_CLOEXEC 0x01u

/* Allocate a free direct-descriptor slot (file_index for open/accept/socket). */
#define HOOP_FILE_INDEX_ALLOC 0xffffffffu

/* In a files update, leave this slot as it is. */
#define HOOP_REGISTER_FILES_SKIP -2

/* io_uring_register opcodes (IORING_REGISTER_*). */
#define HOOP_REGISTER_BUFFERS 0
#define HOOP_UNREGISTER_BUFFERS 1
#define HOOP_REGISTER_FILES 2
#define HOOP_UNREGISTER_FILES 3
#define HOOP_REGISTER_EVENTFD 4
#define HOOP_UNREGISTER_EVENTFD 5
#define HOOP_REGISTER_FILES_UPDATE 6
#define HOOP_REGISTER_EVENTFD_ASYNC 7
#define HOOP_REGISTER_PROBE 8
#define HOOP_REGISTER_PERSONALITY 9
#define HOOP_UNREGISTER_PERSONALITY 10
#define HOOP_REGISTER_RESTRICTIONS 11
#define HOOP_REGISTER_ENABLE_RINGS 12
#define HOOP_REGISTER_FILES2 13
#define HOOP_REGISTER_FILES_UPDATE2 14
#define HOOP_REGISTER_BUFFERS2 15
#define HOOP_REGISTER_BUFFERS_UPDATE 16
#define HOOP_REGISTER_IOWQ_AFF 17
#define HOOP_UNREGISTER_IOWQ_AFF 18
#define HOOP_REGISTER_IOWQ_MAX_WORKERS 19
#define HOOP_REGISTER_RING_FDS 20
#define HOOP_UNREGISTER_RING_FDS 21
#define HOOP_REGISTER_PBUF_RING 22
#define HOOP_UNREGISTER_PBUF_RING 23
#define HOOP_REGISTER_SYNC_CANCEL 24
#define HOOP_REGISTER_FILE_ALLOC_RANGE 25
#define HOOP_REGISTER_PBUF_STATUS 26
#define HOOP_REGISTER_NAPI 27
#define HOOP_UNREGISTER_NAPI 28
#define HOOP_REGISTER_CLOCK 29
#define HOOP_REGISTER_CLONE_BUFFERS 30
#define HOOP_REGISTER_SEND_MSG_RING 31
#define HOOP_REGISTER_ZCRX_IFQ 32
#define HOOP_REGISTER_RESIZE_RINGS 33
#define HOOP_REGISTER_MEM_REGION 34
/* Or-ed into a register opcode: the fd argument is a registered ring index. */
#define HOOP_REGISTER_USE_REGISTERED_RING 0x80000000u

/* struct hoop_napi opcodes (io_uring_napi_op). */
#define HOOP_NAPI_REGISTER_OP 0
#define HOOP_NAPI_STATIC_ADD_ID 1
#define HOOP_NAPI_STATIC_DEL_ID 2

/* NAPI tracking strategies (io_uring_napi_tracking_strategy). */
#define HOOP_NAPI_TRACKING_DYNAMIC 0
#define HOOP_NAPI_TRACKING_STATIC 1
#define HOOP_NAPI_TRACKING_INACTIVE 255

/* Registration flag: register a table of empty slots. */
#define HOOP_RSRC_REGISTER_SPARSE 0x01u

/* Probe entry flag. */
#define HOOP_PROBE_OP_SUPPORTED 0x01u

/* Restriction kinds. */
#define HOOP_RESTRICTION_REGISTER_OP 0
#define HOOP_RESTRICTION_SQE_OP 1
#define HOOP_RESTRICTION_SQE_FLAGS_ALLOWED 2
#define HOOP_RESTRICTION_SQE_FLAGS_REQUIRED 3

#ifdef __cplusplus
}
#endif

#endif /* HOOP_UAPI_H */
