/* core/sys.c - raw io_uring system calls, returning -errno. */
#include "sys.h"

#include <errno.h>
#include <signal.h>
#ifdef HOOP_FAULT_INJECTION
#include <pthread.h>
#include <stdio.h>
#endif
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
_Static_assert(sizeof(struct hoop_sys_sync_cancel_reg) == 64, "sync_cancel_"
                                                              "reg");
_Static_assert(sizeof(struct hoop_buf) == 16, "io_uring_buf");
_Static_assert(sizeof(struct hoop_probe_op) == 8, "probe op");
_Static_assert(sizeof(struct hoop_probe_hdr) == 16, "probe header");
_Static_assert(sizeof(struct hoop_restriction) == 16, "restriction");

#ifdef HOOP_FAULT_INJECTION
static int fault_check(int call, unsigned reg_opcode);
#define FAULT_POINT(call, op)                                                  \
	do {                                                                   \
		int _f = fault_check((call), (op));                            \
		if (_f)                                                        \
			return _f;                                             \
	} while (0)
#else
#define FAULT_POINT(call, op) ((void)0)
#endif

int hoop__sys_setup(unsigned entries, struct hoop_sys_params *p)
{
	FAULT_POINT(HOOP_FAULT_SETUP, 0);
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
	                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
	                     : "memory");
	return x0;
}
#endif

int hoop__sys_enter(int fd, unsigned to_submit, unsigned min_complete,
                    unsigned flags, const void *arg, size_t argsz)
{
	FAULT_POINT(HOOP_FAULT_ENTER, 0);
#if defined(__x86_64__) || defined(__aarch64__)
	return (int)raw_syscall6(__NR_io_uring_enter, fd, (long)to_submit,
	                         (long)min_complete, (long)flags, (long)arg,
	                         (long)argsz);
#else
	long r = syscall(__NR_io_uring_enter, fd, to_submit, min_complete,
	                 flags, arg, argsz);
	return r < 0 ? -errno : (int)r;
#endif
}

int hoop__sys_register(int fd, unsigned opcode, const void *arg, unsigned nr_args)
{
	FAULT_POINT(HOOP_FAULT_REGISTER, opcode);
	long r = syscall(__NR_io_uring_register, fd, opcode, arg, nr_args);
	return r < 0 ? -errno : (int)r;
}

#ifdef HOOP_FAULT_INJECTION
/* ---- fault injection (test builds only; see sys.h) ---- */

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Bit 31 of a register opcode asks for the registered ring index. */
#define FAULT_REG_OPCODE_MASK 0x7fffffffu

struct fault_state {
	_Atomic int err; /* 0 = off; read first, so the rest is set before */
	unsigned skip, count, every;
	int reg_opcode;
	_Atomic unsigned long calls, hits;
};

static struct fault_state faults[HOOP_FAULT_NCALLS];
static pthread_once_t fault_env_once = PTHREAD_ONCE_INIT;

static int fault_install(int call, const struct hoop_fault_rule *rule);
static int fault_parse_spec(const char *spec);

static void fault_env(void)
{
	const char *spec = getenv("HOOP_FAULT");
	if (spec && *spec && fault_parse_spec(spec) < 0) {
		/* A test that asked for faults must not silently run without. */
		fprintf(stderr, "hoop: cannot parse HOOP_FAULT=%s\n", spec);
		abort();
	}
}

int hoop__fault_set(int call, const struct hoop_fault_rule *rule)
{
	pthread_once(&fault_env_once, fault_env);
	return fault_install(call, rule);
}

static int fault_install(int call, const struct hoop_fault_rule *rule)
{
	if (call < 0 || call >= HOOP_FAULT_NCALLS)
		return -EINVAL;
	if (rule && (rule->err < 0 || rule->err > 4095))
		return -EINVAL;
	struct fault_state *f = &faults[call];
	atomic_store(&f->err, 0);
	if (!rule || !rule->err)
		return 0;
	f->skip = rule->skip;
	f->count = rule->count;
	f->every = rule->every ? rule->every : 1;
	f->reg_opcode = rule->reg_opcode;
	atomic_store(&f->calls, 0);
	atomic_store(&f->hits, 0);
	/* seq_cst store: the fields above are visible to any call that sees
	 * the rule on. Tests set rules while no call is in flight. */
	atomic_store(&f->err, rule->err);
	return 0;
}

void hoop__fault_clear(void)
{
	pthread_once(&fault_env_once, fault_env);
	for (int i = 0; i < HOOP_FAULT_NCALLS; i++) {
		atomic_store(&faults[i].err, 0);
		atomic_store(&faults[i].calls, 0);
		atomic_store(&faults[i].hits, 0);
	}
}

unsigned long hoop__fault_calls(int call)
{
	return call >= 0 && call < HOOP_FAULT_NCALLS
	               ? atomic_load(&faults[call].calls)
	               : 0;
}

unsigned long hoop__fault_hits(int call)
{
	return call >= 0 && call < HOOP_FAULT_NCALLS
	               ? atomic_load(&faults[call].hits)
	               : 0;
}

static int fault_check(int call, unsigned reg_opcode)
{
	pthread_once(&fault_env_once, fault_env);
	struct fault_state *f = &faults[call];
	int err = atomic_load(&f->err);
	if (!err)
		return 0;
	if (call == HOOP_FAULT_REGISTER && f->reg_opcode >= 0 &&
	    (reg_opcode & FAULT_REG_OPCODE_MASK) != (unsigned)f->reg_opcode)
		return 0;
	/* The n-th matching call fails if it is on the rule's grid; the
	 * decision depends on n alone, so it is exact under any thread mix. */
	unsigned long n = atomic_fetch_add(&f->calls, 1);
	if (n < f->skip || (n - f->skip) % f->every)
		return 0;
	if (f->count && (n - f->skip) / f->every >= f->count)
		return 0;
	atomic_fetch_add(&f->hits, 1);
	return -err;
}

static const struct {
	const char *name;
	int err;
} fault_errnos[] = {
        {"EINTR", EINTR},   {"EAGAIN", EAGAIN}, {"EBUSY", EBUSY},
        {"EBADR", EBADR},   {"ENOMEM", ENOMEM}, {"EPERM", EPERM},
        {"ENOSYS", ENOSYS}, {"EACCES", EACCES}, {"EINVAL", EINVAL},
        {"EFAULT", EFAULT}, {"ENXIO", ENXIO},   {"EOWNERDEAD", EOWNERDEAD},
};

/* One rule "call:ERRNO[:key=value]..." of length len. */
static int fault_parse_one(const char *s, size_t len)
{
	char buf[128];
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = 0;
	char *save = NULL, *tok = strtok_r(buf, ":", &save);
	int call;
	if (!tok)
		return -EINVAL;
	if (strcmp(tok, "setup") == 0)
		call = HOOP_FAULT_SETUP;
	else if (strcmp(tok, "enter") == 0)
		call = HOOP_FAULT_ENTER;
	else if (strcmp(tok, "register") == 0)
		call = HOOP_FAULT_REGISTER;
	else
		return -EINVAL;
	struct hoop_fault_rule r = {0, 0, 0, 1, -1};
	if (!(tok = strtok_r(NULL, ":", &save)))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(fault_errnos) / sizeof(fault_errnos[0]); i++)
		if (strcmp(tok, fault_errnos[i].name) == 0)
			r.err = fault_errnos[i].err;
	if (!r.err) {
		char *end;
		long v = strtol(tok, &end, 0);
		if (*end || v <= 0 || v > 4095)
			return -EINVAL;
		r.err = (int)v;
	}
	while ((tok = strtok_r(NULL, ":", &save))) {
		char *eq = strchr(tok, '='), *end;
		if (!eq)
			return -EINVAL;
		*eq = 0;
		long v = strtol(eq + 1, &end, 0);
		if (*end || eq[1] == 0 || v < -1)
			return -EINVAL;
		if (strcmp(tok, "skip") == 0 && v >= 0)
			r.skip = (unsigned)v;
		else if (strcmp(tok, "count") == 0 && v >= 0)
			r.count = (unsigned)v;
		else if (strcmp(tok, "every") == 0 && v >= 0)
			r.every = (unsigned)v;
		else if (strcmp(tok, "op") == 0)
			r.reg_opcode = (int)v;
		else
			return -EINVAL;
	}
	return fault_install(call, &r);
}

int hoop__fault_parse(const char *spec)
{
	pthread_once(&fault_env_once, fault_env);
	return fault_parse_spec(spec);
}

static int fault_parse_spec(const char *spec)
{
	if (!spec)
		return -EINVAL;
	while (*spec) {
		size_t len = strcspn(spec, ",");
		int e = fault_parse_one(spec, len);
		if (e < 0)
			return e;
		spec += len;
		if (*spec == ',')
			spec++;
	}
	return 0;
}
#endif
