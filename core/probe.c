/*
 * core/probe.c - what this kernel and process allow (hoop_probe_run), the
 * tiers built on it, and rings created at the best tier.
 *
 * Everything is found out by trying: a setup flag counts as accepted when a
 * small ring with it (and whatever it needs) really sets up, in this process,
 * with its credentials, limits and seccomp filters. Version numbers are only
 * reported, never trusted, since distributions backport and disable freely.
 */
#include "hoop/probe.h"
#include "hoop/engine.h"
#include "hoop/register.h"
#include "hoop/prep.h"
#include "engine_internal.h"
#include "sys.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

_Static_assert(sizeof(struct hoop_probe) == 872, "hoop_probe is 872 bytes");
_Static_assert(offsetof(struct hoop_probe, ring_extras) == HOOP_PROBE_SIZE_V1,
               "hoop_probe grows at its end");
_Static_assert(offsetof(struct hoop_probe, opcodes_hi) == 864, "hoop_probe "
                                                               "grows at its "
                                                               "end");
_Static_assert(HOOP_OP_LAST <= 128, "opcodes and opcodes_hi hold 128 bits");
_Static_assert(offsetof(struct hoop_probe, opcodes) == 80, "probe layout");
_Static_assert(offsetof(struct hoop_probe, kernel_release) == 104, "probe "
                                                                   "layout");

#define MAX_ENTRIES 32768u /* the kernel's IORING_MAX_ENTRIES */
#define CAP_IPC_LOCK_BIT 14

/* ---- reading /proc ---- */

/* The first integer in a small file, or -1 if it cannot be read. */
static long read_long_file(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	long v;
	int n = fscanf(f, "%ld", &v);
	fclose(f);
	return n == 1 ? v : -1;
}

/*
 * From /proc/self/status: the seccomp mode and whether CAP_IPC_LOCK is in
 * the effective set. Returns 0, or -1 if the file is unreadable.
 */
static int read_status(int *seccomp_mode, int *cap_ipc_lock)
{
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return -1;
	char line[256];
	while (fgets(line, sizeof(line), f)) {
		unsigned long long caps;
		int mode;
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			*seccomp_mode = mode;
		else if (sscanf(line, "CapEff: %llx", &caps) == 1)
			*cap_ipc_lock = (int)((caps >> CAP_IPC_LOCK_BIT) & 1);
	}
	fclose(f);
	return 0;
}

/*
 * The kernel skips the memlock charge only for CAP_IPC_LOCK in the initial
 * user namespace; inside a container's namespace, "root" is still charged.
 * The initial namespace maps every uid to itself: "0 0 4294967295".
 */
static int in_initial_userns(void)
{
	FILE *f = fopen("/proc/self/uid_map", "re");
	if (!f)
		return 1; /* no user namespaces in this kernel */
	unsigned long a, b, c;
	int n = fscanf(f, "%lu %lu %lu", &a, &b, &c);
	char extra[8];
	int more = fscanf(f, "%7s", extra);
	fclose(f);
	return n == 3 && a == 0 && b == 0 && c == 4294967295ul && more != 1;
}

static void parse_release(struct hoop_probe *p)
{
	struct utsname u;
	if (uname(&u) != 0)
		return;
	snprintf(p->kernel_release, sizeof(p->kernel_release), "%s", u.release);
	unsigned a = 0, b = 0, c = 0;
	if (sscanf(u.release, "%u.%u.%u", &a, &b, &c) >= 2) {
		p->kernel_major = a;
		p->kernel_minor = b;
		p->kernel_patch = c;
	}
}

/* ---- why io_uring_setup was refused ---- */

static void explain_refusal(struct hoop_probe *p)
{
	char *r = p->reason;
	size_t n = sizeof(p->reason);
	switch (p->setup_err) {
	case -ENOSYS:
		if (p->seccomp_mode == 2)
			snprintf(r, n,
			         "io_uring_setup gave ENOSYS: a seccomp "
			         "filter in this process refuses it (a kernel "
			         "without io_uring gives the same)");
		else
			snprintf(r, n,
			         "io_uring_setup gave ENOSYS: this kernel "
			         "has no io_uring (built without "
			         "CONFIG_IO_URING, "
			         "or older than 5.1)%s",
			         p->seccomp_mode < 0
			                 ? ", or a seccomp filter refuses it"
			                 : "");
		break;
	case -EPERM:
		if (p->io_uring_disabled == 2)
			snprintf(r, n,
			         "io_uring_setup gave EPERM: the sysctl "
			         "kernel.io_uring_disabled is 2 (io_uring is "
			         "off "
			         "for every process)");
		else if (p->io_uring_disabled == 1)
			snprintf(r, n,
			         "io_uring_setup gave EPERM: the sysctl "
			         "kernel.io_uring_disabled is 1 (only "
			         "CAP_SYS_ADMIN or members of group %d, "
			         "kernel.io_uring_group, may use io_uring)",
			         p->io_uring_group);
		else if (p->seccomp_mode == 2)
			snprintf(r, n,
			         "io_uring_setup gave EPERM: a seccomp "
			         "filter in this process refuses it (Docker's "
			         "default profile does)");
		else if (p->seccomp_mode == 0 && p->io_uring_disabled == 0)
			snprintf(r, n,
			         "io_uring_setup gave EPERM with no seccomp "
			         "filter and kernel.io_uring_disabled 0: a "
			         "security module refuses it");
		else
			snprintf(r, n,
			         "io_uring_setup gave EPERM: a seccomp "
			         "filter (Docker's default profile) or the "
			         "sysctl "
			         "kernel.io_uring_disabled (unreadable here)");
		break;
	case -EACCES:
		snprintf(r, n,
		         "io_uring_setup gave EACCES: a security module "
		         "(SELinux, AppArmor) refuses io_uring here");
		break;
	case -ENOMEM:
		if (p->memlock_charged)
			snprintf(r, n,
			         "io_uring_setup gave ENOMEM: RLIMIT_MEMLOCK "
			         "is %llu bytes, too small for even a 1-entry "
			         "ring (ring memory is charged to it without "
			         "CAP_IPC_LOCK; raise it with ulimit -l)",
			         (unsigned long long)p->memlock_limit);
		else
			snprintf(r, n,
			         "io_uring_setup gave ENOMEM: out of "
			         "kernel memory");
		break;
	default:
		snprintf(r, n, "io_uring_setup failed: %s",
		         hoop_strerror(p->setup_err));
		break;
	}
}

/* ---- trying rings ---- */

/*
 * Set up a 1-entry ring with exactly `flags` (hoop adds nothing) and
 * destroy it. Returns 0 or -errno.
 *
 * hoop_ring_create retries a transient ENOMEM for about 30 ms (the memlock
 * charge of a closed ring is given back later, by a kernel worker). The
 * probe sets up some twenty rings in a row under the same limit, so the
 * charges of the ones it closed pile up, and on a busy machine the worker
 * takes longer than that (measured: the tier fell from high to base under a
 * 64 KiB limit at load 19). These rings run only after a 1-entry ring was
 * set up, so an ENOMEM here is that lag: wait up to 0.6 s more before
 * counting the flag as refused.
 */
static int try_ring(uint32_t flags, const hoop_ring_params *extra)
{
	hoop_ring_params rp;
	if (extra)
		rp = *extra;
	else
		memset(&rp, 0, sizeof(rp));
	rp.flags = flags;
	rp.hoop_flags |= HOOP_RING_KEEP_SQARRAY;
	if (flags & HOOP_SETUP_CQSIZE)
		rp.cq_entries = 4;
	if (flags & HOOP_SETUP_SQPOLL)
		rp.sq_thread_idle = 1;
	hoop_ring *ring = NULL;
	int e = hoop_ring_create(&ring, 1, &rp);
	for (long ms = 20; e == -ENOMEM && ms <= 320; ms *= 2) {
		struct timespec ts = {0, ms * 1000000L};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		e = hoop_ring_create(&ring, 1, &rp);
	}
	hoop_ring_destroy(ring);
	return e;
}

/* One setup flag and the flags it cannot be set up without. */
struct flag_test {
	uint32_t flag;
	uint32_t needs;
};

static const struct flag_test flag_tests[] = {
        {HOOP_SETUP_IOPOLL, 0},
        {HOOP_SETUP_SQPOLL, 0},
        {HOOP_SETUP_SQ_AFF, HOOP_SETUP_SQPOLL},
        {HOOP_SETUP_CQSIZE, 0},
        {HOOP_SETUP_CLAMP, 0},
        {HOOP_SETUP_ATTACH_WQ, 0}, /* plus a ring to attach to */
        {HOOP_SETUP_R_DISABLED, 0},
        {HOOP_SETUP_SUBMIT_ALL, 0},
        {HOOP_SETUP_COOP_TASKRUN, 0},
        {HOOP_SETUP_TASKRUN_FLAG, HOOP_SETUP_COOP_TASKRUN},
        {HOOP_SETUP_SQE128, 0},
        {HOOP_SETUP_CQE32, 0},
        {HOOP_SETUP_SINGLE_ISSUER, 0},
        {HOOP_SETUP_DEFER_TASKRUN, HOOP_SETUP_SINGLE_ISSUER},
        {HOOP_SETUP_NO_MMAP, 0},
        {HOOP_SETUP_REGISTERED_FD_ONLY, HOOP_SETUP_NO_MMAP},
        {HOOP_SETUP_NO_SQARRAY, 0},
        {HOOP_SETUP_HYBRID_IOPOLL, HOOP_SETUP_IOPOLL},
        {HOOP_SETUP_CQE_MIXED, 0},
        {HOOP_SETUP_SQE_MIXED, 0},
};

static void probe_setup_flags(struct hoop_probe *p, int base_fd)
{
	for (size_t i = 0; i < sizeof(flag_tests) / sizeof(flag_tests[0]); i++) {
		const struct flag_test *t = &flag_tests[i];
		hoop_ring_params extra;
		memset(&extra, 0, sizeof(extra));
		if (t->flag == HOOP_SETUP_ATTACH_WQ)
			extra.wq_fd = base_fd;
		if (t->flag == HOOP_SETUP_SQ_AFF) {
			/* Pin the poller to a CPU this process may use. */
			cpu_set_t set;
			CPU_ZERO(&set);
			if (sched_getaffinity(0, sizeof(set), &set) == 0)
				for (int c = 0; c < CPU_SETSIZE; c++)
					if (CPU_ISSET(c, &set)) {
						extra.sq_thread_cpu = (uint32_t)c;
						break;
					}
		}
		int e = try_ring(t->flag | t->needs, &extra);
		if (e == 0)
			p->setup_flags |= t->flag;
		if (t->flag == HOOP_SETUP_SQPOLL) {
			p->sqpoll_permitted = e == 0;
			p->sqpoll_err = e;
		}
	}
}

/* 1 if a 1-entry provided-buffer ring in caller memory registers. */
static int probe_buf_ring(hoop_ring *ring)
{
	void *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 0;
	int ok = hoop_ring_register_buf_ring(ring, mem, 1, 0, 0) == 0;
	if (ok)
		hoop_ring_unregister_buf_ring(ring, 0);
	munmap(mem, 4096);
	return ok;
}

/* A scratch ring for one try; NULL if none sets up. */
static hoop_ring *scratch(uint32_t flags)
{
	hoop_ring_params rp;
	memset(&rp, 0, sizeof(rp));
	rp.flags = flags;
	hoop_ring *r = NULL;
	return hoop_ring_create(&r, 2, &rp) == 0 ? r : NULL;
}

/* 1 if a user-memory region of one page registers on `r` (flags: reg's). */
static int try_region(hoop_ring *r, void *page, uint64_t flags)
{
	struct hoop_region_desc rd;
	memset(&rd, 0, sizeof(rd));
	rd.user_addr = (uint64_t)(uintptr_t)page;
	rd.size = 4096;
	rd.flags = HOOP_MEM_REGION_TYPE_USER;
	struct hoop_mem_region_reg mr;
	memset(&mr, 0, sizeof(mr));
	mr.region_uptr = (uint64_t)(uintptr_t)&rd;
	mr.flags = flags;
	return hoop_ring_register_region(r, &mr) == 0;
}

/* 1 if a region of one page of kernel memory registers on `r` and maps. */
static int try_kernel_region(hoop_ring *r)
{
	struct hoop_region_desc rd;
	memset(&rd, 0, sizeof(rd));
	rd.size = 4096;
	struct hoop_mem_region_reg mr;
	memset(&mr, 0, sizeof(mr));
	mr.region_uptr = (uint64_t)(uintptr_t)&rd;
	void *p = NULL;
	if (hoop_ring_register_region(r, &mr) < 0 ||
	    hoop_ring_map_region(r, &rd, &p) < 0)
		return 0;
	hoop_region_unmap(p, rd.size);
	return 1;
}

/* 1 if the getsockname socket command answers on a socket. */
static int try_getsockname(hoop_ring *r)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return 0;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct hoop_sqe *sqe = hoop_ring_get_sqe(r);
	struct hoop_cqe *c = NULL;
	int ok = 0;
	if (sqe) {
		hoop_prep_cmd_getsockname(sqe, s, (struct sockaddr *)&ss, &len, 0);
		if (hoop_ring_submit_and_wait(r, 1) >= 0 &&
		    hoop_ring_peek_cqe(r, &c) == 0) {
			ok = c->res == 0;
			hoop_ring_cqe_seen(r, c);
		}
	}
	close(s);
	return ok;
}

/* HOOP_PROBE_X_*: try each call on scratch rings. */
static uint64_t probe_ring_extras(void)
{
	uint64_t x = 0;
	hoop_ring *a = scratch(0), *b = scratch(0), *d = scratch(0);
	void *mem = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
	                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!a || !b || !d || mem == MAP_FAILED)
		goto out;
	struct hoop_sqe msg;
	hoop_prep_msg_ring(&msg, hoop_ring_fd(a), 0, 1, 0);
	if (hoop_register_sync_msg(&msg) == 0)
		x |= HOOP_PROBE_X_SYNC_MSG;
	struct iovec iov = {mem, 4096};
	if (hoop_ring_register_buffers(a, &iov, 1) == 0) {
		if (hoop_ring_clone_buffers(b, a) == 0)
			x |= HOOP_PROBE_X_CLONE_BUFFERS;
		if (hoop_ring_clone_buffers_offset(d, a, 1, 0, 1, 0) == 0)
			x |= HOOP_PROBE_X_CLONE_OFFSETS;
	}
	if (try_region(b, (char *)mem + 4096, 0))
		x |= HOOP_PROBE_X_MEM_REGION;
	hoop_ring *w = scratch(HOOP_SETUP_R_DISABLED);
	if (w) {
		if (try_region(w, (char *)mem + 4096, HOOP_MEM_REGION_REG_WAIT_ARG))
			x |= HOOP_PROBE_X_WAIT_REGION;
		hoop_ring_destroy(w);
	}
	if (try_getsockname(d)) /* a holds the message CQE */
		x |= HOOP_PROBE_X_CMD_GETSOCKNAME;
	if (hoop_ring_cq_eventfd_toggle(a, 1) == 0)
		x |= HOOP_PROBE_X_CQ_EVENTFD_TOGGLE;
	if (try_kernel_region(a)) /* b has a region already */
		x |= HOOP_PROBE_X_MEM_REGION_KERNEL;
out:
	hoop_ring_destroy(a);
	hoop_ring_destroy(b);
	hoop_ring_destroy(d);
	if (mem != MAP_FAILED)
		munmap(mem, 2 * 4096);
	return x;
}

/*
 * The largest power-of-two ring hoop_ring_create sets up now under the
 * memlock limit. Each SQE alone takes 64 bytes, so start at the largest
 * size the limit could possibly hold and let hoop_ring_create halve down.
 */
static unsigned probe_max_entries(uint64_t limit)
{
	unsigned start = 1;
	while (start < MAX_ENTRIES && (uint64_t)start * 2 * 64 <= limit)
		start *= 2;
	hoop_ring_params rp;
	memset(&rp, 0, sizeof(rp));
	rp.min_entries = 1;
	hoop_ring *ring = NULL;
	if (hoop_ring_create(&ring, start, &rp) != 0)
		return 0;
	unsigned got = hoop_ring_sq_entries(ring);
	hoop_ring_destroy(ring);
	return got;
}

/*
 * Whether this kernel charges ring memory to RLIMIT_MEMLOCK at all: a ring
 * whose SQEs alone exceed the limit can be set up only if it does not.
 * 6.1 and 6.12 do not (rings are charged to the memory cgroup only); 6.18
 * does. A leftover charge can only make the ring fail: never a false "not
 * charged".
 */
static int rings_charged(uint64_t limit)
{
	unsigned big = 1;
	while (big < MAX_ENTRIES && (uint64_t)big * 64 <= limit)
		big *= 2;
	if ((uint64_t)big * 64 <= limit)
		return 1; /* nothing that size to try */
	/* The bare system call: hoop_ring_create would retry ENOMEM. */
	struct hoop_sys_params sp;
	memset(&sp, 0, sizeof(sp));
	int fd = hoop__sys_setup(big, &sp);
	if (fd < 0)
		return 1;
	close(fd);
	return 0;
}

/* The limit and whether rings are charged to it; needed to explain ENOMEM. */
static void read_memlock(struct hoop_probe *p, int cap_ipc_lock)
{
	struct rlimit rl;
	p->memlock_limit = UINT64_MAX;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		p->memlock_limit = (uint64_t)rl.rlim_cur;
	p->memlock_charged = !(cap_ipc_lock && in_initial_userns());
}

/*
 * After the setup attempt: the largest ring (0 when io_uring is unusable
 * for any reason), and the memlock finding in words.
 */
static void probe_memlock(struct hoop_probe *p)
{
	char *note = p->memlock_note;
	size_t n = sizeof(p->memlock_note);
	if (!p->memlock_charged) {
		p->max_entries = MAX_ENTRIES;
		snprintf(note, n,
		         "unlimited: ring memory is not charged "
		         "(CAP_IPC_LOCK, e.g. root)");
	} else if (p->memlock_limit != UINT64_MAX && p->usable &&
	           !rings_charged(p->memlock_limit)) {
		p->memlock_charged = 0;
		p->max_entries = MAX_ENTRIES;
		snprintf(note, n,
		         "unlimited: this kernel does not charge ring "
		         "memory to RLIMIT_MEMLOCK (%llu bytes)",
		         (unsigned long long)p->memlock_limit);
	} else if (p->memlock_limit == UINT64_MAX) {
		p->max_entries = MAX_ENTRIES;
		snprintf(note, n, "unlimited: RLIMIT_MEMLOCK is unlimited");
	} else {
		p->max_entries = p->usable ? probe_max_entries(p->memlock_limit)
		                           : 0;
		snprintf(note, n,
		         "RLIMIT_MEMLOCK %llu bytes, charged for ring "
		         "memory: rings up to %u entries",
		         (unsigned long long)p->memlock_limit, p->max_entries);
	}
	if (!p->usable)
		p->max_entries = 0;
}

static int compute_tier(const struct hoop_probe *p)
{
	if (!p->usable)
		return HOOP_TIER_NONE;
	if (!(p->setup_flags & HOOP_SETUP_COOP_TASKRUN))
		return HOOP_TIER_BASE;
	uint64_t net = (1ull << HOOP_OP_ACCEPT) | (1ull << HOOP_OP_RECV);
	if (!(p->setup_flags & HOOP_SETUP_SINGLE_ISSUER) ||
	    (p->opcodes & net) != net || !p->buf_ring)
		return HOOP_TIER_MID;
	return HOOP_TIER_HIGH;
}

/* What HOOP_BACKEND_AUTO picks, as the engine decides it (the same
 * parser: hoop__backend_env). */
static void choose_auto(struct hoop_probe *p)
{
	const char *env;
	int want = hoop__backend_env(&env);
	char *r = p->auto_reason;
	size_t n = sizeof(p->auto_reason);
	if (want < 0) {
		p->auto_backend = want;
		snprintf(r, n,
		         "none: HOOP_BACKEND=%s is not a backend "
		         "(use " HOOP_BACKEND_ACCEPTED
		         "): engines with AUTO fail with "
		         "EINVAL",
		         env);
	} else if (want == HOOP_BACKEND_THREADS) {
		p->auto_backend = HOOP_BACKEND_THREADS;
		snprintf(r, n, "thread pool: HOOP_BACKEND=threads");
	} else if (p->usable) {
		p->auto_backend = HOOP_BACKEND_URING;
		snprintf(r, n, "io_uring: %s (tier %s)",
		         want == HOOP_BACKEND_URING ? "HOOP_BACKEND=uring"
		                                    : "available",
		         hoop_probe_tier_name(p->tier));
	} else if (want == HOOP_BACKEND_URING) {
		/* No fallback: engines fail with the setup error. */
		p->auto_backend = HOOP_BACKEND_URING;
		snprintf(r, n,
		         "io_uring forced by HOOP_BACKEND=uring, but "
		         "unusable (%s): engines fail with it",
		         hoop_strerror(p->setup_err));
	} else {
		p->auto_backend = HOOP_BACKEND_THREADS;
		snprintf(r, n, "thread pool: %s", p->reason);
	}
}

static void probe_fill(struct hoop_probe *p);

/* The growth rule (common.h): the caller's size, never more than ours. */
int hoop_probe_run(struct hoop_probe *out)
{
	if (!out)
		return -EINVAL;
	uint32_t size = out->size;
	if (size < HOOP_PROBE_SIZE_V1)
		return -EINVAL;
	struct hoop_probe p;
	probe_fill(&p);
	if (size > sizeof(p))
		size = sizeof(p);
	p.size = size;
	memcpy(out, &p, size);
	return 0;
}

#if defined(HOOP_SYMVER_COMPAT)
/*
 * hoop_probe_run@HOOP_0.1: programs linked before `size` was read did not
 * set it; they get the 856 bytes that layout had, as before.
 */
__asm__(".symver hoop__probe_run_v0_1,hoop_probe_run@HOOP_0.1");
HOOP_API int hoop__probe_run_v0_1(struct hoop_probe *out);
int hoop__probe_run_v0_1(struct hoop_probe *out)
{
	if (!out)
		return -EINVAL;
	struct hoop_probe p;
	probe_fill(&p);
	p.size = HOOP_PROBE_SIZE_V1;
	memcpy(out, &p, HOOP_PROBE_SIZE_V1);
	return 0;
}
#endif

static void probe_fill(struct hoop_probe *p)
{
	memset(p, 0, sizeof(*p));
	p->size = sizeof(*p);
	parse_release(p);
	p->io_uring_disabled = (int32_t)read_long_file("/proc/sys/kernel/"
	                                               "io_uring_disabled");
	p->io_uring_group = (int32_t)read_long_file("/proc/sys/kernel/"
	                                            "io_uring_group");
	int cap_ipc_lock = 0;
	p->seccomp_mode = -1;
	read_status(&p->seccomp_mode, &cap_ipc_lock);
	read_memlock(p, cap_ipc_lock);

	/* The plainest ring there is: if this fails, nothing will work. */
	hoop_ring *ring = NULL;
	int e = hoop_ring_create(&ring, 1, NULL);
	if (e < 0) {
		p->setup_err = e;
		p->sqpoll_err = e;
		explain_refusal(p);
	} else {
		p->usable = 1;
		p->features = hoop_ring_features(ring);
		uint8_t sup[128];
		int known = hoop_ring_probe_ops(ring, sup, 128);
		if (known > 0) {
			p->kernel_ops = (uint32_t)known;
			for (unsigned op = 0; op < 128; op++) {
				if (!sup[op])
					continue;
				uint64_t *mask = op < 64 ? &p->opcodes
				                         : &p->opcodes_hi;
				*mask |= 1ull << (op % 64);
				p->opcode_count++;
			}
		}
		p->buf_ring = probe_buf_ring(ring);
		probe_setup_flags(p, hoop_ring_fd(ring));
		p->ring_extras = probe_ring_extras();
		hoop_ring_destroy(ring);
	}
	probe_memlock(p);
	p->tier = compute_tier(p);
	choose_auto(p);
}

int hoop_probe_has_opcode(const struct hoop_probe *p, unsigned op)
{
	if (!p || op >= 128)
		return 0;
	if (op < 64)
		return (int)((p->opcodes >> op) & 1);
	/* A caller's struct from before opcodes_hi: nothing known there. */
	if (p->size < offsetof(struct hoop_probe, opcodes_hi) + sizeof(uint64_t))
		return 0;
	return (int)((p->opcodes_hi >> (op - 64)) & 1);
}

const char *hoop_probe_tier_name(int tier)
{
	switch (tier & ~HOOP_TIER_SQPOLL) {
	case HOOP_TIER_NONE:
		return "none";
	case HOOP_TIER_BASE:
		return "base";
	case HOOP_TIER_MID:
		return "mid";
	case HOOP_TIER_HIGH:
		return "high";
	default:
		return "unknown";
	}
}

#define TASKRUN_FLAGS                                                          \
	(HOOP_SETUP_COOP_TASKRUN | HOOP_SETUP_TASKRUN_FLAG |                   \
	 HOOP_SETUP_DEFER_TASKRUN)

int hoop_probe_tier_flags(const struct hoop_probe *p, int tier,
                          int single_owner, uint32_t *setup_flags_out)
{
	if (!p || !setup_flags_out)
		return -EINVAL;
	int sqpoll = (tier & HOOP_TIER_SQPOLL) != 0;
	int level = tier & ~HOOP_TIER_SQPOLL;
	if (level < HOOP_TIER_NONE || level > HOOP_TIER_HIGH)
		return -EINVAL;
	if (level > p->tier)
		return -EOPNOTSUPP;
	uint32_t f = 0;
	if (level >= HOOP_TIER_MID)
		f |= HOOP_SETUP_COOP_TASKRUN | HOOP_SETUP_TASKRUN_FLAG;
	if (level >= HOOP_TIER_HIGH && single_owner) {
		f |= HOOP_SETUP_SINGLE_ISSUER;
		if (p->setup_flags & HOOP_SETUP_DEFER_TASKRUN)
			f |= HOOP_SETUP_DEFER_TASKRUN;
	}
	if (sqpoll && level > HOOP_TIER_NONE) {
		if (!p->sqpoll_permitted)
			return p->sqpoll_err < 0 ? p->sqpoll_err : -EPERM;
		/* The kernel refuses task-work flags next to SQPOLL. */
		f = (f & ~TASKRUN_FLAGS) | HOOP_SETUP_SQPOLL;
	}
	*setup_flags_out = f;
	return 0;
}

int hoop_ring_create_best(hoop_ring **out, unsigned entries)
{
	static const uint32_t ladder[] = {
	        HOOP_SETUP_COOP_TASKRUN | HOOP_SETUP_TASKRUN_FLAG |
	                HOOP_SETUP_SINGLE_ISSUER | HOOP_SETUP_DEFER_TASKRUN,
	        HOOP_SETUP_COOP_TASKRUN | HOOP_SETUP_TASKRUN_FLAG |
	                HOOP_SETUP_SINGLE_ISSUER,
	        HOOP_SETUP_COOP_TASKRUN | HOOP_SETUP_TASKRUN_FLAG,
	        0,
	};
	if (!out || entries == 0)
		return -EINVAL;
	int e = -EINVAL;
	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++) {
		hoop_ring_params rp;
		memset(&rp, 0, sizeof(rp));
		rp.flags = ladder[i];
		/* Kernels older than a flag reject it with EINVAL. */
		e = hoop_ring_create(out, entries, &rp);
		if (e != -EINVAL)
			break;
	}
	return e;
}
