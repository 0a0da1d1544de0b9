/*
 * Timeout values on both backends, as io_uring takes them: a negative
 * tv_sec or tv_nsec is -EINVAL; a tv_nsec of a second or more is not an
 * error but part of the duration (sec * 1e9 + nsec ns), so {0, 4e18} is a
 * timeout ~126 years away that a cancel stops at once (the thread pool
 * used to normalise it in a loop of 4e9 steps: cancel blocked ~12 s), and
 * an absolute {past second, 1.5e9} has expired (the pool used to hand it
 * to clock_nanosleep, which refused it).
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static hoop_engine *e;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t submit_timeout(struct hoop_timespec *ts, unsigned flags)
{
	struct hoop_op op;
	uint64_t tok = 0;
	hoop_op_timeout(&op, ts, 0, flags);
	CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
	return tok;
}

static int result(uint64_t tok)
{
	struct hoop_completion c;
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);
	return c.res;
}

int main(void)
{
	int r = hoop_engine_create(&e, NULL);
	if (r == -ENOSYS || r == -EPERM)
		SKIP("no engine here: %s", hoop_strerror(r));
	CHECK_EQ(r, 0);
	fprintf(stderr, "backend: %s\n", hoop_engine_backend_reason(e));

	/* Refused, as io_uring refuses them. */
	static const int64_t bad[][2] = {
	        {-1, 0},        {0, -1},         {INT64_MIN, 0},
	        {0, INT64_MIN}, {-1, 999999999},
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (unsigned abs = 0; abs < 2; abs++) {
			struct hoop_timespec ts = {bad[i][0], bad[i][1]};
			uint64_t t = submit_timeout(&ts,
			                            abs ? HOOP_TIMEOUT_ABS : 0);
			int res = result(t);
			if (res != -EINVAL)
				fprintf(stderr, "{%lld, %lld}%s: %d\n",
				        (long long)bad[i][0], (long long)bad[i][1],
				        abs ? " abs" : "", res);
			CHECK_EQ(res, -EINVAL);
		}
	}

	/* Far away (tv_nsec 4e18, or tv_sec at its maximum): pending, and
	 * a cancel ends it at once. */
	static const int64_t far[][2] = {
	        {0, 4000000000000000000ll},
	        {INT64_MAX, 0},
	        {INT64_MAX, 999999999},
	        {0, INT64_MAX},
	};
	for (unsigned i = 0; i < sizeof(far) / sizeof(far[0]); i++) {
		for (unsigned abs = 0; abs < 2; abs++) {
			struct hoop_timespec ts = {far[i][0], far[i][1]};
			uint64_t t = submit_timeout(&ts,
			                            abs ? HOOP_TIMEOUT_ABS : 0);
			struct hoop_completion c;
			CHECK_EQ(hoop_engine_wait(e, t, &c, 20000000), -ETIME);
			uint64_t t0 = now_ns();
			CHECK_EQ(hoop_engine_cancel(e, t), 0);
			uint64_t took = now_ns() - t0;
			CHECK_EQ(result(t), -ECANCELED);
			if (took > 1000000000ull)
				fprintf(stderr,
				        "cancel of {%lld, %lld}%s took %llu "
				        "ms\n",
				        (long long)far[i][0],
				        (long long)far[i][1], abs ? " abs" : "",
				        (unsigned long long)(took / 1000000));
			CHECK(took < 1000000000ull);
		}
	}

	/* Absolute, nsec past a second, in the past: expired. */
	struct timespec mono;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	struct hoop_timespec past = {mono.tv_sec - 3, 1500000000};
	CHECK_EQ(result(submit_timeout(&past, HOOP_TIMEOUT_ABS)), -ETIME);
	/* Relative {0, 1.05e9}: 1.05 s, not an error and not 0.05 s. */
	struct hoop_timespec rel = {0, 1050000000};
	uint64_t t0 = now_ns();
	CHECK_EQ(result(submit_timeout(&rel, 0)), -ETIME);
	uint64_t took = now_ns() - t0;
	fprintf(stderr, "{0, 1.05e9} fired after %llu ms\n",
	        (unsigned long long)(took / 1000000));
	CHECK(took >= 1040000000ull && took < 4000000000ull);

	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.inflight, 0);
	hoop_engine_destroy(e);
	printf("engine_timeout_values: passed\n");
	return T_PASS;
}
