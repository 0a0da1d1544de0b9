/*
 * tests/seccomp_filter.h - a seccomp filter that refuses io_uring_setup, the
 * way Docker's default profile (EPERM) or a kernel without io_uring (ENOSYS)
 * would, and allows every other system call. Used by seccomp_run (the
 * wrapper CTest runs the engine and queue tests under) and test_caps_seccomp.
 */
#ifndef HOOP_TEST_SECCOMP_FILTER_H
#define HOOP_TEST_SECCOMP_FILTER_H

#include <errno.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

/* io_uring_setup has the same number on every architecture since 5.1. */
#define T_NR_IO_URING_SETUP 425

#if defined(__x86_64__)
#define T_AUDIT_ARCH AUDIT_ARCH_X86_64
/* x32 calls come with this bit set in the number, under the same arch. */
#define T_X32_BIT 0x40000000u
#elif defined(__aarch64__)
#define T_AUDIT_ARCH AUDIT_ARCH_AARCH64
#define T_X32_BIT 0u
#endif

/*
 * Install the filter on the calling thread (and its future children and
 * exec'd programs). `err` is the errno io_uring_setup gets. Returns 0, or
 * -errno; -EOPNOTSUPP on an architecture the filter does not know.
 */
static inline int t_seccomp_refuse_uring(int err)
{
#ifdef T_AUDIT_ARCH
	struct sock_filter prog[] = {
	        /* Syscall numbers mean something only for a known arch: a
		 * call through another ABI (32-bit compat) kills the process
		 * rather than slipping past with a different numbering. */
	        BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	                 offsetof(struct seccomp_data, arch)),
	        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, T_AUDIT_ARCH, 1, 0),
	        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	        BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	                 offsetof(struct seccomp_data, nr)),
	        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, T_NR_IO_URING_SETUP, 1, 0),
	        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
	                 T_X32_BIT | T_NR_IO_URING_SETUP, 0, 1),
	        BPF_STMT(BPF_RET | BPF_K,
	                 SECCOMP_RET_ERRNO | ((unsigned)err & SECCOMP_RET_DATA)),
	        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fprog = {
	        .len = (unsigned short)(sizeof(prog) / sizeof(prog[0])),
	        .filter = prog,
	};
	/* Without CAP_SYS_ADMIN a filter needs no_new_privs; set it anyway. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) != 0)
		return -errno;
	return 0;
#else
	(void)err;
	return -EOPNOTSUPP;
#endif
}

#endif
