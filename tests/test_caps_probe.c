/*
 * hoop_probe_run on this machine (Linux 6.18, root, no seccomp filter):
 * io_uring is usable at the high tier; features, opcodes and setup flags
 * agree with what a fresh ring and the opcode probe say; the memlock limit
 * does not apply to root; the automatic backend is io_uring unless
 * HOOP_BACKEND says otherwise. Then the tier table as flags, and a ring
 * created at the best tier.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

/* From /proc/self/status, as the test reads it itself. */
static int status_field(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	CHECK(f != NULL);
	char line[256];
	int v = -1;
	size_t n = strlen(name);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, n) == 0 && line[n] == ':')
			v = atoi(line + n + 1);
	fclose(f);
	return v;
}

static void check_fresh_ring(const struct hoop_probe *p)
{
	hoop_ring *ring = NULL;
	CHECK_EQ(hoop_ring_create(&ring, 4, NULL), 0);
	CHECK_EQ(p->features, hoop_ring_features(ring));
	uint8_t sup[64];
	int known = hoop_ring_probe_ops(ring, sup, 64);
	CHECK_EQ(p->kernel_ops, known);
	unsigned count = 0;
	for (unsigned op = 0; op < 64; op++) {
		CHECK_EQ((p->opcodes >> op) & 1, sup[op]);
		CHECK_EQ(hoop_opcode_supported(op), sup[op]);
		count += sup[op];
	}
	CHECK_EQ(p->opcode_count, count);
	hoop_ring_destroy(ring);
}

static void check_tier_flags(const struct hoop_probe *p)
{
	const uint32_t mid = HOOP_SETUP_COOP_TASKRUN | HOOP_SETUP_TASKRUN_FLAG;
	const uint32_t high = mid | HOOP_SETUP_SINGLE_ISSUER |
	                      HOOP_SETUP_DEFER_TASKRUN;
	uint32_t f = 0xdead;
	CHECK_EQ(hoop_probe_tier_flags(p, HOOP_TIER_NONE, 1, &f), 0);
	CHECK_EQ(f, 0);
	CHECK_EQ(hoop_probe_tier_flags(p, HOOP_TIER_BASE, 1, &f), 0);
	CHECK_EQ(f, 0);
	CHECK_EQ(hoop_probe_tier_flags(p, HOOP_TIER_MID, 1, &f), 0);
	CHECK_EQ(f, mid);
	CHECK_EQ(hoop_probe_tier_flags(p, HOOP_TIER_HIGH, 1, &f), 0);
	CHECK_EQ(f, high);
	/* A shared ring never gets SINGLE_ISSUER or DEFER_TASKRUN. */
	CHECK_EQ(hoop_probe_tier_flags(p, HOOP_TIER_HIGH, 0, &f), 0);
	CHECK_EQ(f, mid);
	/* SQPOLL drops the task-work flags the kernel refuses beside it. */
	CHECK_EQ(hoop_probe_tier_flags(p, HOOP_TIER_HIGH | HOOP_TIER_SQPOLL, 1, &f),
	         0);
	CHECK_EQ(f, HOOP_SETUP_SQPOLL | HOOP_SETUP_SINGLE_ISSUER);
	CHECK_EQ(hoop_probe_tier_flags(p, HOOP_TIER_MID | HOOP_TIER_SQPOLL, 1, &f),
	         0);
	CHECK_EQ(f, HOOP_SETUP_SQPOLL);

	f = 0xdead;
	CHECK_EQ(hoop_probe_tier_flags(p, 4, 1, &f), -EINVAL);
	CHECK_EQ(hoop_probe_tier_flags(p, -1, 1, &f), -EINVAL);
	CHECK_EQ(hoop_probe_tier_flags(NULL, HOOP_TIER_BASE, 1, &f), -EINVAL);
	CHECK_EQ(hoop_probe_tier_flags(p, HOOP_TIER_BASE, 1, NULL), -EINVAL);
	CHECK_EQ(f, 0xdead);

	/* A kernel that reports less: higher tiers are refused, and DEFER
	 * is left out where the kernel did not accept it. */
	struct hoop_probe low = *p;
	low.tier = HOOP_TIER_MID;
	CHECK_EQ(hoop_probe_tier_flags(&low, HOOP_TIER_HIGH, 1, &f), -EOPNOTSUPP);
	low.tier = HOOP_TIER_HIGH;
	low.setup_flags &= ~HOOP_SETUP_DEFER_TASKRUN;
	CHECK_EQ(hoop_probe_tier_flags(&low, HOOP_TIER_HIGH, 1, &f), 0);
	CHECK_EQ(f, mid | HOOP_SETUP_SINGLE_ISSUER);
	low.sqpoll_permitted = 0;
	low.sqpoll_err = -EPERM;
	CHECK_EQ(hoop_probe_tier_flags(&low, HOOP_TIER_BASE | HOOP_TIER_SQPOLL,
	                               1, &f),
	         -EPERM);

	CHECK(strcmp(hoop_probe_tier_name(HOOP_TIER_NONE), "none") == 0);
	CHECK(strcmp(hoop_probe_tier_name(HOOP_TIER_BASE), "base") == 0);
	CHECK(strcmp(hoop_probe_tier_name(HOOP_TIER_MID), "mid") == 0);
	CHECK(strcmp(hoop_probe_tier_name(HOOP_TIER_HIGH), "high") == 0);
	CHECK(strcmp(hoop_probe_tier_name(HOOP_TIER_HIGH | HOOP_TIER_SQPOLL),
	             "high") == 0);
	CHECK(strcmp(hoop_probe_tier_name(7), "unknown") == 0);
}

static void check_create_best(void)
{
	hoop_ring *ring = NULL;
	CHECK_EQ(hoop_ring_create_best(NULL, 8), -EINVAL);
	CHECK_EQ(hoop_ring_create_best(&ring, 0), -EINVAL);
	CHECK(ring == NULL);
	CHECK_EQ(hoop_ring_create_best(&ring, 8), 0);
	const uint32_t want = HOOP_SETUP_COOP_TASKRUN | HOOP_SETUP_TASKRUN_FLAG |
	                      HOOP_SETUP_SINGLE_ISSUER | HOOP_SETUP_DEFER_TASKRUN;
	CHECK_EQ(hoop_ring_setup_flags(ring) & want, want);
	CHECK_EQ(hoop_ring_sq_entries(ring), 8);
	for (uint64_t i = 1; i <= 20; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, i);
		struct hoop_cqe c = t_submit_wait_one(ring);
		CHECK_EQ(c.user_data, i);
		CHECK_EQ(c.res, 0);
	}
	hoop_ring_destroy(ring);
}

int main(void)
{
	unsetenv("HOOP_BACKEND");
	CHECK_EQ(hoop_probe_run(NULL), -EINVAL);
	int fds = t_fd_count();

	struct hoop_probe p;
	memset(&p, 0xee, sizeof(p));
	p.size = sizeof(p);
	CHECK_EQ(hoop_probe_run(&p), 0);
	CHECK_EQ(t_fd_count(), fds);
	if (!p.usable)
		SKIP("io_uring unusable here: %s", p.reason);
	fprintf(stderr,
	        "kernel %s, tier %s, features %#x, setup flags %#x, "
	        "%u opcodes\nmemlock: %s\nauto: %s\n",
	        p.kernel_release, hoop_probe_tier_name(p.tier), p.features,
	        p.setup_flags, p.opcode_count, p.memlock_note, p.auto_reason);

	CHECK_EQ(p.size, sizeof(struct hoop_probe));
	CHECK_EQ(p.setup_err, 0);
	CHECK_EQ(p.reason[0], '\0');

	struct utsname u;
	CHECK_EQ(uname(&u), 0);
	CHECK(strcmp(p.kernel_release, u.release) == 0);
	CHECK(p.kernel_major >= 6);
	if (p.kernel_major == 6)
		CHECK(p.kernel_minor >= 1);

	FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "r");
	int dis = -1;
	if (f) {
		CHECK_EQ(fscanf(f, "%d", &dis), 1);
		fclose(f);
	}
	CHECK_EQ(p.io_uring_disabled, dis);
	CHECK_EQ(p.seccomp_mode, status_field("Seccomp"));

	CHECK(p.tier >= HOOP_TIER_HIGH);
	CHECK_EQ(p.tier, HOOP_TIER_HIGH);
	CHECK_EQ(p.features & (HOOP_FEAT_NODROP | HOOP_FEAT_EXT_ARG),
	         HOOP_FEAT_NODROP | HOOP_FEAT_EXT_ARG);
	CHECK_EQ((p.opcodes >> HOOP_OP_NOP) & 1, 1);
	CHECK_EQ((p.opcodes >> HOOP_OP_READ) & 1, 1);
	CHECK_EQ((p.opcodes >> HOOP_OP_WRITE) & 1, 1);
	CHECK_EQ((p.opcodes >> HOOP_OP_ACCEPT) & 1, 1);
	CHECK_EQ(p.buf_ring, 1);
	/* Linux 6.18 accepts every flag hoop knows, each with what it needs;
	 * 6.1 (tests/kernels) all but NO_MMAP, REGISTERED_FD_ONLY (6.5) and
	 * NO_SQARRAY (6.6), which the probe must then report refused. */
	uint32_t need = HOOP_SETUP_COOP_TASKRUN | HOOP_SETUP_TASKRUN_FLAG |
	                HOOP_SETUP_SINGLE_ISSUER | HOOP_SETUP_DEFER_TASKRUN |
	                HOOP_SETUP_SUBMIT_ALL | HOOP_SETUP_CQE32 |
	                HOOP_SETUP_SQE128;
	const uint32_t since_6_5 = HOOP_SETUP_NO_MMAP |
	                           HOOP_SETUP_REGISTERED_FD_ONLY;
	if (t_kernel_at_least(6, 5))
		need |= since_6_5;
	else
		CHECK_EQ(p.setup_flags & since_6_5, 0);
	if (t_kernel_at_least(6, 6))
		need |= HOOP_SETUP_NO_SQARRAY;
	else
		CHECK_EQ(p.setup_flags & HOOP_SETUP_NO_SQARRAY, 0);
	CHECK_EQ(p.setup_flags & need, need);
	check_fresh_ring(&p);

	struct rlimit rl;
	CHECK_EQ(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
	CHECK_EQ(p.memlock_limit,
	         rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur);
	if (geteuid() == 0) {
		/* Root has CAP_IPC_LOCK: rings are not charged at all. */
		CHECK_EQ(p.memlock_charged, 0);
		CHECK_EQ(p.max_entries, 32768);
		CHECK(strstr(p.memlock_note, "not charged") != NULL);
		CHECK_EQ(p.sqpoll_permitted, 1);
		CHECK_EQ(p.sqpoll_err, 0);
		CHECK_EQ(p.setup_flags & HOOP_SETUP_SQPOLL, HOOP_SETUP_SQPOLL);
	}

	CHECK_EQ(p.auto_backend, HOOP_BACKEND_URING);
	CHECK(strcmp(p.auto_reason, "io_uring: available (tier high)") == 0);
	setenv("HOOP_BACKEND", "threads", 1);
	struct hoop_probe q = {.size = sizeof(struct hoop_probe)};
	CHECK_EQ(hoop_probe_run(&q), 0);
	CHECK_EQ(q.usable, 1);
	CHECK_EQ(q.auto_backend, HOOP_BACKEND_THREADS);
	CHECK(strcmp(q.auto_reason, "thread pool: HOOP_BACKEND=threads") == 0);
	unsetenv("HOOP_BACKEND");

	check_tier_flags(&p);
	check_create_best();
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
