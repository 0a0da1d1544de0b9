/*
 * The growth rule of include/hoop/common.h, struct by struct.
 *
 * Out-structs are filled up to the caller's size and never past it:
 * struct hoop_engine_metrics as a 12-field caller has it (the first
 * layout), with a canary after it; a newer, bigger caller; a size below the
 * first layout (-EINVAL, nothing written). struct hoop_probe likewise
 * through its `size` field. Programs linked before the size existed get
 * the HOOP_0.1 symbol versions of libhoop.so, which write the first layouts
 * only (checked with dlvsym on the shared library).
 *
 * Params structs: a non-zero reserved field is -EINVAL (engine, ring, loop
 * params, hoop_sync_cancel), as is an unknown hoop_flags bit of a ring.
 */
#include "helpers.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

#define CANARY 0x5a5a5a5a5a5a5a5aull

/* struct hoop_engine_metrics as its first version was. */
struct metrics_v1 {
	uint64_t f[12];
};

static void check_canary(const uint64_t *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		CHECK_EQ(w[i], CANARY);
}

static void run_nop(hoop_engine *e)
{
	struct hoop_op op;
	uint64_t tok;
	struct hoop_completion c;
	hoop_op_nop(&op);
	CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);
}

static void metrics(hoop_engine *e)
{
	struct hoop_engine_metrics full;
	CHECK_EQ(hoop_engine_get_metrics(e, &full, sizeof(full)), 0);
	CHECK_EQ(full.submitted, 1);
	CHECK_EQ(full.completed, 1);

	/* The first layout, then a canary. */
	struct {
		struct metrics_v1 m;
		uint64_t canary[8];
	} old;
	memset(&old, 0x5a, sizeof(old));
	CHECK_EQ(HOOP_ENGINE_METRICS_SIZE_V1, sizeof(old.m));
	CHECK_EQ(hoop_engine_get_metrics(e, (struct hoop_engine_metrics *)&old,
	                                 sizeof(old.m)),
	         0);
	check_canary(old.canary, 8);
	CHECK_EQ(old.m.f[0], 1); /* submitted */
	CHECK_EQ(old.m.f[1], 1); /* completed */
	CHECK_EQ(old.m.f[3], 0); /* inflight */
	CHECK_EQ(old.m.f[11], full.submit_blocked);

	/* Below the first layout: refused, nothing written. */
	memset(&old, 0x5a, sizeof(old));
	static const size_t small[] = {0, 1, 8, 88, 95};
	for (unsigned i = 0; i < sizeof(small) / sizeof(small[0]); i++)
		CHECK_EQ(hoop_engine_get_metrics(
		                 e, (struct hoop_engine_metrics *)&old, small[i]),
		         -EINVAL);
	check_canary((const uint64_t *)&old, sizeof(old) / 8);

	/* A newer caller with more fields than this library has. */
	struct {
		struct hoop_engine_metrics m;
		uint64_t newer[6];
	} big;
	memset(&big, 0x5a, sizeof(big));
	CHECK_EQ(hoop_engine_get_metrics(e, (struct hoop_engine_metrics *)&big,
	                                 sizeof(big)),
	         0);
	check_canary(big.newer, 6);
	CHECK_EQ(big.m.submitted, 1);
	CHECK_EQ(big.m.queue_wakeups, full.queue_wakeups);
}

static void probe(void)
{
	struct {
		struct hoop_probe p;
		uint64_t canary[8];
	} b;
	/* Below the first layout with a size: refused, nothing written. */
	memset(&b, 0x5a, sizeof(b));
	b.p.size = HOOP_PROBE_SIZE_V1 - 1;
	CHECK_EQ(hoop_probe_run(&b.p), -EINVAL);
	CHECK_EQ(b.p.size, HOOP_PROBE_SIZE_V1 - 1);
	check_canary((const uint64_t *)&b + 1, sizeof(b) / 8 - 1);
	b.p.size = 0;
	CHECK_EQ(hoop_probe_run(&b.p), -EINVAL);

	/* This layout exactly; then a newer, bigger caller. */
	memset(&b, 0x5a, sizeof(b));
	b.p.size = sizeof(b.p);
	CHECK_EQ(hoop_probe_run(&b.p), 0);
	CHECK_EQ(b.p.size, sizeof(b.p));
	check_canary(b.canary, 8);
	CHECK(b.p.kernel_release[0] != 0);
	memset(&b, 0x5a, sizeof(b));
	b.p.size = sizeof(b);
	CHECK_EQ(hoop_probe_run(&b.p), 0);
	CHECK_EQ(b.p.size, sizeof(b.p)); /* what hoop filled */
	check_canary(b.canary, 8);
}

static void params(void)
{
	hoop_engine *e = NULL;
	hoop_engine_params ep;
	for (unsigned i = 0; i < sizeof(ep.resv) / sizeof(ep.resv[0]); i++) {
		memset(&ep, 0, sizeof(ep));
		ep.backend = HOOP_BACKEND_THREADS;
		ep.resv[i] = 1u << i;
		CHECK_EQ(hoop_engine_create(&e, &ep), -EINVAL);
		CHECK(e == NULL);
		char why[200];
		hoop_engine_explain(-EINVAL, &ep, why, sizeof(why));
		CHECK(strstr(why, "resv[") != NULL);
	}
	memset(&ep, 0, sizeof(ep));
	ep.backend = HOOP_BACKEND_THREADS;
	CHECK_EQ(hoop_engine_create(&e, &ep), 0);
	hoop_engine_destroy(e);

	hoop_ring *r = NULL;
	hoop_ring_params rp;
	memset(&rp, 0, sizeof(rp));
	rp.resv = 1;
	CHECK_EQ(hoop_ring_create(&r, 4, &rp), -EINVAL);
	rp.resv = 0;
	rp.hoop_flags = 0x80000000u;
	CHECK_EQ(hoop_ring_create(&r, 4, &rp), -EINVAL);
	CHECK(r == NULL);

	hoop_loop *l = NULL;
	hoop_loop_params lp;
	memset(&lp, 0, sizeof(lp));
	lp.resv[5] = 1;
	CHECK_EQ(hoop_loop_create(&l, &lp), -EINVAL);

	memset(&rp, 0, sizeof(rp));
	if (hoop_ring_create(&r, 4, &rp) == 0) {
		struct hoop_sync_cancel sc;
		memset(&sc, 0, sizeof(sc));
		sc.user_data = 12345;
		sc.resv[5] = 1;
		CHECK_EQ(hoop_ring_register_sync_cancel(r, &sc), -EINVAL);
		hoop_ring_destroy(r);
	}
}

/*
 * Programs linked before the size argument: the HOOP_0.1 versions in
 * libhoop.so. HOOP_TEST_LIBHOOP overrides the library (to run this part
 * against another build).
 */
static void old_binaries(void)
{
	const char *path = getenv("HOOP_TEST_LIBHOOP");
#ifdef HOOP_LIBHOOP_PATH
	if (!path)
		path = HOOP_LIBHOOP_PATH;
#endif
	if (!path) {
		fprintf(stderr, "no libhoop.so named: symbol versions not "
		                "checked\n");
		return;
	}
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		CHECK(h != NULL);
	}
	int (*create)(hoop_engine **, const hoop_engine_params *) =
	        (int (*)(hoop_engine **, const hoop_engine_params *))dlsym(
	                h, "hoop_engine_create");
	void (*destroy)(hoop_engine *) =
	        (void (*)(hoop_engine *))dlsym(h, "hoop_engine_destroy");
	int (*metrics_v01)(hoop_engine *, void *) =
	        (int (*)(hoop_engine *,
	                 void *))dlvsym(h, "hoop_engine_get_metrics", "HOOP_0.1");
	int (*metrics_v02)(hoop_engine *, void *, size_t) =
	        (int (*)(hoop_engine *, void *,
	                 size_t))dlvsym(h, "hoop_engine_get_metrics", "HOOP_0.2");
	int (*probe_v01)(void *) = (int (*)(void *))dlvsym(h, "hoop_probe_run",
	                                                   "HOOP_0.1");
	int (*probe_v02)(void *) = (int (*)(void *))dlvsym(h, "hoop_probe_run",
	                                                   "HOOP_0.2");
	CHECK(create && destroy && metrics_v01 && probe_v01);

	hoop_engine_params ep;
	memset(&ep, 0, sizeof(ep));
	ep.backend = HOOP_BACKEND_THREADS;
	hoop_engine *e = NULL;
	CHECK_EQ(create(&e, &ep), 0);
	struct {
		struct metrics_v1 m;
		uint64_t canary[8];
	} old;
	memset(&old, 0x5a, sizeof(old));
	CHECK_EQ(metrics_v01(e, &old), 0);
	check_canary(old.canary, 8);
	CHECK_EQ(old.m.f[0], 0);
	CHECK(metrics_v02 && probe_v02);
	memset(&old, 0x5a, sizeof(old));
	CHECK_EQ(metrics_v02(e, &old, sizeof(old.m)), 0);
	check_canary(old.canary, 8);
	destroy(e);

	/* An old caller never set `size` (here: 0): it gets 856 bytes. */
	struct {
		struct hoop_probe p;
		uint64_t canary[8];
	} b;
	memset(&b, 0x5a, sizeof(b));
	b.p.size = 0;
	CHECK_EQ(probe_v01(&b.p), 0);
	CHECK_EQ(b.p.size, HOOP_PROBE_SIZE_V1);
	check_canary(b.canary, 8);
	memset(&b, 0x5a, sizeof(b));
	b.p.size = 0;
	CHECK_EQ(probe_v02(&b.p), -EINVAL);
	dlclose(h);
}

int main(void)
{
	unsetenv("HOOP_BACKEND");
	hoop_engine_params ep;
	memset(&ep, 0, sizeof(ep));
	ep.backend = HOOP_BACKEND_THREADS;
	hoop_engine *e;
	CHECK_EQ(hoop_engine_create(&e, &ep), 0);
	run_nop(e);
	metrics(e);
	hoop_engine_destroy(e);
	probe();
	params();
	old_binaries();
	printf("abi_growth: passed\n");
	return T_PASS;
}
