/* core/sys.c - raw io_uring system calls, returning -errno. */
#include "sys.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Syscall numbers are the same on every architecture since 5.1 (the unified
 * table), but old libc headers may not name them. */
#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter 426
#endif
#ifndef __NR_io_uring_register
#define __NR_io_uring_register 427
#endif

_Static_assert(sizeof(struct hoop_sqe) == 64, "SQE is 64 bytes");
_Static_assert(sizeof(struct hoop_cqe) == 16, "CQE is 16 bytes");
_Static_assert(sizeof(struct hoop_sys_params) == 120, "io_uring_params");
_Static_assert(sizeof(struct hoop_sys_getevents_arg) == 24, "getevents_arg");
_Static_assert(sizeof(struct hoop_sys_sync_cancel_reg) == 64, "sync_cancel_reg");
_Static_assert(sizeof(struct hoop_buf) == 16, "io_uring_buf");
_Static_assert(sizeof(struct hoop_probe_op) == 8, "probe op");
_Static_assert(sizeof(struct hoop_probe_hdr) == 16, "probe header");
_Static_assert(sizeof(struct hoop_restriction) == 16, "restriction");

int hoop_sys_setup(unsigned entries, struct hoop_sys_params *p)
{
	long r = syscall(__NR_io_uring_setup, entries, p);
	return r < 0 ? -errno : (int)r;
}

int hoop_sys_enter(int fd, unsigned to_submit, unsigned min_complete,
                   unsigned flags, const void *arg, size_t argsz)
{
	long r = syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags,
	                 arg, argsz);
	return r < 0 ? -errno : (int)r;
}

int hoop_sys_register(int fd, unsigned opcode, const void *arg,
                      unsigned nr_args)
{
	long r = syscall(__NR_io_uring_register, fd, opcode, arg, nr_args);
	return r < 0 ? -errno : (int)r;
}
