/*
 * Injected io_uring_setup failures (RELIABILITY.md rows 1-3, the parts the
 * machine cannot provoke at will; caps_seccomp and caps_memlock provoke
 * them for real):
 *   ENOMEM a few times (the memlock charge of closed rings not released
 *   yet): hoop_ring_create backs off and retries at full size;
 *   ENOMEM every time: it halves down to min_entries, then -ENOMEM, having
 *   tried every size once; an AUTO engine falls back to the thread pool and
 *   its reason names RLIMIT_MEMLOCK;
 *   EPERM / ENOSYS: -EPERM / -ENOSYS; the probe names the cause; an AUTO
 *   engine falls back and says why; a URING engine fails with the error.
 * Nothing leaks on any failure path.
 */
#include "helpers.h"
#include "sys.h"

#include <errno.h>
#include <string.h>

static void set_setup(int err, unsigned count)
{
	struct hoop_fault_rule r = {err, 0, count, 1, -1};
	CHECK_EQ(hoop__fault_set(HOOP_FAULT_SETUP, &r), 0);
}

static hoop_engine *engine(uint32_t backend, int *err)
{
	hoop_engine_params ep;
	memset(&ep, 0, sizeof(ep));
	ep.backend = backend;
	hoop_engine *e = NULL;
	*err = hoop_engine_create(&e, &ep);
	return e;
}

/* One NOP through the engine, to show it works. */
static void nop_roundtrip(hoop_engine *e)
{
	struct hoop_op op;
	uint64_t tok;
	struct hoop_completion c;
	hoop_op_nop(&op);
	op.user_data = 5;
	CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);
	CHECK_EQ(c.res, 0);
	CHECK_EQ(c.user_data, 5);
}

int main(void)
{
	unsetenv("HOOP_BACKEND");
	int fds0 = t_fd_count();
	hoop_ring *ring = t_ring(8, 0); /* skips if io_uring is unavailable */
	hoop_ring_destroy(ring);
	ring = NULL;

	hoop_ring_params rp;
	memset(&rp, 0, sizeof(rp));
	rp.min_entries = 8;

	/* Transient ENOMEM: 3 failures, then the full size is granted. */
	set_setup(ENOMEM, 3);
	CHECK_EQ(hoop_ring_create(&ring, 64, &rp), 0);
	CHECK_EQ(hoop_ring_sq_entries(ring), 64);
	CHECK_EQ(hoop__fault_hits(HOOP_FAULT_SETUP), 3);
	hoop_ring_destroy(ring);
	ring = NULL;

	/* Five failures: four retries at 64, then one halving to 32. */
	set_setup(ENOMEM, 5);
	CHECK_EQ(hoop_ring_create(&ring, 64, &rp), 0);
	CHECK_EQ(hoop_ring_sq_entries(ring), 32);
	CHECK_EQ(hoop__fault_calls(HOOP_FAULT_SETUP), 6);
	hoop_ring_destroy(ring);
	ring = NULL;

	/* Always ENOMEM: 64 (5 tries), 32, 16, 8, then give up. */
	set_setup(ENOMEM, 0);
	CHECK_EQ(hoop_ring_create(&ring, 64, &rp), -ENOMEM);
	CHECK(ring == NULL);
	CHECK_EQ(hoop__fault_calls(HOOP_FAULT_SETUP), 8);
	CHECK_EQ(t_fd_count(), fds0);

	int err;
	hoop_engine *e = engine(HOOP_BACKEND_AUTO, &err);
	CHECK_EQ(err, 0);
	CHECK_EQ(hoop_engine_backend(e), HOOP_BACKEND_THREADS);
	CHECK(strstr(hoop_engine_backend_reason(e), "RLIMIT_MEMLOCK") != NULL);
	nop_roundtrip(e);
	hoop_engine_destroy(e);

	/* EPERM (seccomp, io_uring_disabled) and ENOSYS (no io_uring). */
	int errs[2] = {EPERM, ENOSYS};
	const char *words[2] = {"seccomp", "ENOSYS"};
	for (int k = 0; k < 2; k++) {
		set_setup(errs[k], 0);
		CHECK_EQ(hoop_ring_create(&ring, 8, NULL), -errs[k]);
		CHECK(ring == NULL);
		CHECK_EQ(hoop__fault_calls(HOOP_FAULT_SETUP), 1);

		struct hoop_probe p = {.size = sizeof(struct hoop_probe)};
		CHECK_EQ(hoop_probe_run(&p), 0);
		fprintf(stderr, "probe with %s: %s\n", hoop_strerror(-errs[k]),
		        p.reason);
		CHECK_EQ(p.usable, 0);
		CHECK_EQ(p.setup_err, -errs[k]);
		CHECK(strstr(p.reason, words[k]) != NULL);
		CHECK_EQ(p.auto_backend, HOOP_BACKEND_THREADS);

		e = engine(HOOP_BACKEND_AUTO, &err);
		CHECK_EQ(err, 0);
		CHECK_EQ(hoop_engine_backend(e), HOOP_BACKEND_THREADS);
		fprintf(stderr, "engine: %s\n", hoop_engine_backend_reason(e));
		CHECK(strstr(hoop_engine_backend_reason(e), words[k]) != NULL);
		nop_roundtrip(e);
		hoop_engine_destroy(e);

		e = engine(HOOP_BACKEND_URING, &err);
		CHECK_EQ(err, -errs[k]);
		CHECK(e == NULL);
	}

	/* Back to normal: io_uring again. */
	hoop__fault_clear();
	e = engine(HOOP_BACKEND_AUTO, &err);
	CHECK_EQ(err, 0);
	CHECK_EQ(hoop_engine_backend(e), HOOP_BACKEND_URING);
	nop_roundtrip(e);
	hoop_engine_destroy(e);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
