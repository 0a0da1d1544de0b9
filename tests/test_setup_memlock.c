/*
 * RLIMIT_MEMLOCK and ring memory. On 6.x the kernel charges ring memory to
 * the user's locked-memory limit unless it has CAP_IPC_LOCK, so each child
 * lowers the limit, drops root (see drop_privileges) and then:
 *   64 KiB: 4096 entries with min_entries 4096 fail with -ENOMEM; with
 *           min_entries 8 hoop shrinks and succeeds (measured on Linux 6.18:
 *           512 SQ / 1024 CQ entries fit); 8 entries fit as asked.
 *   0:      even a 1-entry ring (and a NO_MMAP ring) fails with -ENOMEM.
 * If the kernel turns out not to charge at all, the test says so and skips.
 */
#include "helpers.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

static int create(hoop_ring **ring, unsigned entries, unsigned min_entries,
                  uint32_t flags)
{
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.min_entries = min_entries;
	p.flags = flags;
	return hoop_ring_create(ring, entries, &p);
}

/*
 * Lower the limit, then give up root; exits 77 if that is impossible.
 *
 * The charge is per user (uid), shared by every process of that uid, and
 * released asynchronously after a ring is closed. So that two runs of this
 * test (say, the plain and the sanitizer builds at once) or anything else
 * running as "nobody" cannot eat into each other's budget, each child
 * becomes a uid of its own (derived from its pid, gid 65534), falling back
 * to uid 65534 where arbitrary uids are not allowed.
 */
static void drop_privileges(rlim_t limit)
{
	struct rlimit rl = {limit, limit};
	CHECK_EQ(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	uid_t uid = (uid_t)(200000 + getpid() % 100000);
	if (setgroups(0, NULL) != 0 || setgid(65534) != 0)
		SKIP("cannot switch to gid 65534: %s", strerror(errno));
	if (setuid(uid) != 0) {
		uid = 65534;
		if (setuid(uid) != 0)
			SKIP("cannot switch to an unprivileged uid: %s",
			     strerror(errno));
	}
	/* Losing root clears "dumpable", which LeakSanitizer needs. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	CHECK_EQ(getuid(), uid);
}

static void child_64k(void)
{
	drop_privileges(64 * 1024);
	hoop_ring *ring = NULL;
	int r = create(&ring, 4096, 4096, 0);
	if (r == 0) {
		hoop_ring_destroy(ring);
		SKIP("this kernel does not charge ring memory to "
		     "RLIMIT_MEMLOCK");
	}
	CHECK_EQ(r, -ENOMEM);
	CHECK(ring == NULL);

	CHECK_EQ(create(&ring, 4096, 8, 0), 0);
	unsigned sq = hoop_ring_sq_entries(ring);
	fprintf(stderr, "64 KiB limit: 4096 requested, got %u SQ / %u CQ\n", sq,
	        hoop_ring_cq_entries(ring));
	CHECK_EQ(sq, 512);
	CHECK_EQ(hoop_ring_cq_entries(ring), 1024);
	/* The shrunken ring works. */
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 5);
	CHECK_EQ(t_submit_wait_one(ring).user_data, 5);
	hoop_ring_destroy(ring);

	ring = NULL;
	CHECK_EQ(create(&ring, 8, 0, 0), 0);
	CHECK_EQ(hoop_ring_sq_entries(ring), 8);
	hoop_ring_destroy(ring);
}

static void child_zero(void)
{
	drop_privileges(0);
	hoop_ring *ring = NULL;
	CHECK_EQ(create(&ring, 1, 0, 0), -ENOMEM);
	CHECK_EQ(create(&ring, 8, 1, 0), -ENOMEM);
	CHECK_EQ(create(&ring, 8, 0, HOOP_SETUP_NO_MMAP), -ENOMEM);
	CHECK(ring == NULL);
}

static int run(void (*fn)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		alarm(20);
		fn();
		exit(T_PASS);
	}
	int st = 0;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	return WEXITSTATUS(st);
}

int main(void)
{
	if (geteuid() != 0)
		SKIP("needs root to set up an unprivileged child");
	int a = run(child_64k);
	if (a == T_SKIP)
		return T_SKIP;
	CHECK_EQ(a, T_PASS);
	CHECK_EQ(run(child_zero), T_PASS);
	return T_PASS;
}
