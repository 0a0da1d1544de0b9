/*
 * io_uring blocked for real: a forked child installs a seccomp filter that
 * makes io_uring_setup fail with EPERM (as Docker's default profile does),
 * another one with ENOSYS (as a kernel without io_uring). In each:
 *   - the probe reports usable 0, that errno, and a reason naming seccomp;
 *   - hoop_ring_create, hoop_ring_create_best and the opcode probe fail
 *     with that errno;
 *   - hoop_engine_create in AUTO gives a thread-pool engine whose reason
 *     names seccomp, and NOPs, a file read and a queue round trip work;
 *   - with HOOP_BACKEND=uring, or the URING backend asked for, the engine
 *     fails with the errno instead of falling back.
 */
#include "helpers.h"
#include "seccomp_filter.h"
#include "test_caps_util.h"

static int blocked_err;

static void blocked_child(void)
{
	int r = t_seccomp_refuse_uring(blocked_err);
	if (r == -EOPNOTSUPP)
		SKIP("no seccomp filter for this architecture");
	CHECK_EQ(r, 0);
	unsetenv("HOOP_BACKEND");
	int fds = t_fd_count();

	struct hoop_probe p = {.size = sizeof(struct hoop_probe)};
	CHECK_EQ(hoop_probe_run(&p), 0);
	fprintf(stderr, "%s: %s\n", blocked_err == EPERM ? "EPERM" : "ENOSYS",
	        p.reason);
	CHECK_EQ(p.usable, 0);
	CHECK_EQ(p.setup_err, -blocked_err);
	CHECK_EQ(p.seccomp_mode, 2);
	CHECK(strstr(p.reason, "seccomp") != NULL);
	CHECK(strstr(p.reason, blocked_err == EPERM ? "EPERM" : "ENOSYS") != NULL);
	CHECK_EQ(p.tier, HOOP_TIER_NONE);
	CHECK_EQ(p.features, 0);
	CHECK_EQ(p.opcodes, 0);
	CHECK_EQ(p.opcode_count, 0);
	CHECK_EQ(p.setup_flags, 0);
	CHECK_EQ(p.sqpoll_permitted, 0);
	CHECK_EQ(p.max_entries, 0);
	CHECK_EQ(p.auto_backend, HOOP_BACKEND_THREADS);
	CHECK(strncmp(p.auto_reason, "thread pool: ", 13) == 0);
	CHECK(strstr(p.auto_reason, "seccomp") != NULL);
	uint32_t f = 0;
	CHECK_EQ(hoop_probe_tier_flags(&p, HOOP_TIER_NONE, 1, &f), 0);
	CHECK_EQ(f, 0);
	CHECK_EQ(hoop_probe_tier_flags(&p, HOOP_TIER_BASE, 1, &f), -EOPNOTSUPP);

	hoop_ring *ring = NULL;
	CHECK_EQ(hoop_ring_create(&ring, 8, NULL), -blocked_err);
	CHECK_EQ(hoop_ring_create_best(&ring, 8), -blocked_err);
	CHECK(ring == NULL);
	CHECK_EQ(hoop_opcode_supported(HOOP_OP_NOP), -blocked_err);

	hoop_engine *e = NULL;
	CHECK_EQ(hoop_engine_create(&e, NULL), 0);
	CHECK_EQ(hoop_engine_backend(e), HOOP_BACKEND_THREADS);
	const char *why = hoop_engine_backend_reason(e);
	fprintf(stderr, "engine: %s\n", why);
	CHECK(strncmp(why, "thread pool", 11) == 0);
	CHECK(strstr(why, "seccomp") != NULL);
	caps_engine_smoke(e);
	hoop_engine_destroy(e);

	/* No fallback when io_uring is demanded. */
	e = NULL;
	setenv("HOOP_BACKEND", "uring", 1);
	CHECK_EQ(hoop_engine_create(&e, NULL), -blocked_err);
	CHECK(e == NULL);
	CHECK_EQ(hoop_probe_run(&p), 0);
	CHECK_EQ(p.auto_backend, HOOP_BACKEND_URING);
	CHECK(strstr(p.auto_reason, "HOOP_BACKEND=uring") != NULL);
	unsetenv("HOOP_BACKEND");
	hoop_engine_params ep;
	memset(&ep, 0, sizeof(ep));
	ep.backend = HOOP_BACKEND_URING;
	CHECK_EQ(hoop_engine_create(&e, &ep), -blocked_err);
	CHECK(e == NULL);
	ep.backend = HOOP_BACKEND_THREADS;
	CHECK_EQ(hoop_engine_create(&e, &ep), 0);
	CHECK_EQ(hoop_engine_backend(e), HOOP_BACKEND_THREADS);
	caps_engine_smoke(e);
	hoop_engine_destroy(e);
	CHECK_EQ(t_fd_count(), fds);
}

int main(void)
{
	blocked_err = EPERM;
	int a = caps_run_child(blocked_child);
	if (a == T_SKIP)
		return T_SKIP;
	CHECK_EQ(a, T_PASS);
	blocked_err = ENOSYS;
	CHECK_EQ(caps_run_child(blocked_child), T_PASS);
	/* The parent is unaffected: io_uring still works here. */
	hoop_ring *ring = NULL;
	CHECK_EQ(hoop_ring_create(&ring, 4, NULL), 0);
	hoop_ring_destroy(ring);
	return T_PASS;
}
