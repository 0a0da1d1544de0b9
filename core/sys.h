/*
 * core/sys.h - the three io_uring system calls and the kernel's setup
 * structures, private to the library. Each call returns its result or -errno.
 */
#ifndef HOOP_CORE_SYS_H
#define HOOP_CORE_SYS_H

#include <stddef.h>
#include <stdint.h>

#include "hoop/uapi.h"

/* struct io_sqring_offsets as of 6.18 (user_addr since 6.5). */
struct hoop_sys_sqring_offsets {
	uint32_t head, tail, ring_mask, ring_entries, flags, dropped, array, resv1;
	uint64_t user_addr;
};

/* struct io_cqring_offsets as of 6.18. */
struct hoop_sys_cqring_offsets {
	uint32_t head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1;
	uint64_t user_addr;
};

/* struct io_uring_params. */
struct hoop_sys_params {
	uint32_t sq_entries, cq_entries, flags, sq_thread_cpu, sq_thread_idle;
	uint32_t features, wq_fd, resv[3];
	struct hoop_sys_sqring_offsets sq_off;
	struct hoop_sys_cqring_offsets cq_off;
};

/* struct io_uring_getevents_arg. */
struct hoop_sys_getevents_arg {
	uint64_t sigmask;
	uint32_t sigmask_sz;
	uint32_t min_wait_usec;
	uint64_t ts;
};

/* struct io_uring_rsrc_register / io_uring_rsrc_update2. */
struct hoop_sys_rsrc_register {
	uint32_t nr, flags;
	uint64_t resv2, data, tags;
};
struct hoop_sys_rsrc_update2 {
	uint32_t offset, resv;
	uint64_t data, tags;
	uint32_t nr, resv2;
};
struct hoop_sys_files_update {
	uint32_t offset, resv;
	uint64_t fds;
};
struct hoop_sys_rsrc_update {
	uint32_t offset, resv;
	uint64_t data;
};

/* struct io_uring_rsrc_update used by REGISTER_RING_FDS. */

/* struct io_uring_buf_reg (REGISTER_PBUF_RING). */
struct hoop_sys_buf_reg {
	uint64_t ring_addr;
	uint32_t ring_entries;
	uint16_t bgid, flags;
	uint64_t resv[3];
};

/* struct io_uring_buf_status (REGISTER_PBUF_STATUS). */
struct hoop_sys_buf_status {
	uint32_t buf_group, head, resv[8];
};

/* struct io_uring_sync_cancel_reg. */
struct hoop_sys_sync_cancel_reg {
	uint64_t addr;
	int32_t fd;
	uint32_t flags;
	struct hoop_timespec timeout;
	uint8_t opcode, pad[7];
	uint64_t pad2[3];
};

/* struct io_uring_file_index_range. */
struct hoop_sys_file_index_range {
	uint32_t off, len;
	uint64_t resv;
};

/* mmap offsets. */
#define HOOP_SYS_OFF_SQ_RING 0ULL
#define HOOP_SYS_OFF_CQ_RING 0x8000000ULL
#define HOOP_SYS_OFF_SQES 0x10000000ULL
#define HOOP_SYS_OFF_PBUF_RING 0x80000000ULL
#define HOOP_SYS_OFF_PBUF_SHIFT 16

int hoop_sys_setup(unsigned entries, struct hoop_sys_params *p);
int hoop_sys_enter(int fd, unsigned to_submit, unsigned min_complete,
                   unsigned flags, const void *arg, size_t argsz);
int hoop_sys_register(int fd, unsigned opcode, const void *arg,
                      unsigned nr_args);

#endif
