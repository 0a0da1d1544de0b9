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

int hoop__sys_setup(unsigned entries, struct hoop_sys_params *p);
int hoop__sys_enter(int fd, unsigned to_submit, unsigned min_complete,
                    unsigned flags, const void *arg, size_t argsz);
int hoop__sys_register(int fd, unsigned opcode, const void *arg, unsigned nr_args);

/*
 * Fault injection, for tests only. Compiled in only when the library is
 * built with HOOP_FAULT_INJECTION (the hoop_fault_static target of
 * tests/CMakeLists.txt, linked by tests/test_fault_*.c); production builds
 * contain none of it (the CTest test fault_absent checks with nm).
 *
 * A rule makes calls of one system call fail with -err without entering the
 * kernel, the way the kernel fails them before doing any work: the calls
 * numbered skip, skip + every, skip + 2 * every, ... (counted from 0 since
 * the rule was set, among the calls that match), `count` of them (0 = no
 * end). For register, `reg_opcode` restricts the rule to that opcode (-1 =
 * any). Rules are process-wide and thread-safe; setting one replaces the
 * previous rule for that call and restarts its counters.
 *
 * The environment variable HOOP_FAULT sets rules at the first system call:
 * a comma-separated list of  call:ERRNO[:skip=N][:count=K][:every=M][:op=R]
 * with call one of setup, enter, register and ERRNO one of EINTR, EAGAIN,
 * EBUSY, EBADR, ENOMEM, EPERM, ENOSYS (or a number), e.g.
 *   HOOP_FAULT=enter:EINTR:every=3,register:EBUSY:op=25:count=1
 */
#ifdef HOOP_FAULT_INJECTION
enum hoop_fault_call {
	HOOP_FAULT_SETUP = 0,
	HOOP_FAULT_ENTER = 1,
	HOOP_FAULT_REGISTER = 2,
	HOOP_FAULT_NCALLS = 3
};

struct hoop_fault_rule {
	int err;        /* positive errno to inject; 0 = rule off */
	unsigned skip;  /* matching calls let through first */
	unsigned count; /* failures to inject; 0 = unlimited */
	unsigned every; /* fail one matching call in `every`; 0 or 1 = each */
	int reg_opcode; /* register only: opcode to match, -1 = any */
};

/* Install `rule` for `call` (NULL or err 0 turns it off). 0 or -EINVAL. */
int hoop__fault_set(int call, const struct hoop_fault_rule *rule);
/* Turn every rule off (counters too). */
void hoop__fault_clear(void);
/* Matching calls seen, and failures injected, since the rule was set. */
unsigned long hoop__fault_calls(int call);
unsigned long hoop__fault_hits(int call);
/* Parse a HOOP_FAULT-style spec and install its rules; 0 or -EINVAL. */
int hoop__fault_parse(const char *spec);
#endif

#endif
