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

/*
 * io_uring_enter is on the hot path of every submit and wait. libc's
 * syscall() costs a call, argument shuffling and an errno store that we then
 * read back; the raw instruction returns -errno directly.
 */
#if defined(__x86_64__)
static inline long raw_syscall6(long n, long a1, long a2, long a3, long a4,
                                long a5, long a6)
{
	long ret;
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	__asm__ __volatile__("syscall"
	                     : "=a"(ret)
	                     : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10),
	                       "r"(r8), "r"(r9)
	                     : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
static inline long raw_syscall6(long n, long a1, long a2, long a3, long a4,
                                long a5, long a6)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a1;
	register long x1 __asm__("x1") = a2;
	register long x2 __asm__("x2") = a3;
	register long x3 __asm__("x3") = a4;
	register long x4 __asm__("x4") = a5;
	register long x5 __asm__("x5") = a6;
	__asm__ __volatile__("svc 0"
	                     : "+r"(x0)
	                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4),
	                       "r"(x5)
	                     : "memory");
	return x0;
}
#endif

int hoop_sys_enter(int fd, unsigned to_submit, unsigned min_complete,
                   unsigned flags, const void *arg, size_t argsz)
{
#if defined(__x86_64__) || defined(__aarch64__)
	return (int)raw_syscall6(__NR_io_uring_enter, fd, (long)to_submit,
	                         (long)min_complete, (long)flags, (long)arg,
	                         (long)argsz);
#else
	long r = syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags,
	                 arg, argsz);
	return r < 0 ? -errno : (int)r;
#endif
}

int hoop_sys_register(int fd, unsigned opcode, const void *arg,
                      unsigned nr_args)
{
	long r = syscall(__NR_io_uring_register, fd, opcode, arg, nr_args);
	return r < 0 ? -errno : (int)r;
}
