/*
 * Multishot timeouts on the engine.
 *
 * Short periods (1 ns .. just under HOOP_ENGINE_MIN_MULTISHOT_NS) are
 * refused with -EINVAL by every submit path, consuming nothing; so is an
 * update that would give a live multishot timeout such a period. (Accepted,
 * such a timer keeps the submitting thread inside the kernel re-arming it
 * for as long as anyone reaps, and a cancel almost never finds it on the
 * kernel's list: on 1a3fa69 hoop_engine_cancel answered -ENOENT while it
 * kept firing.)
 *
 * Periods from the floor up: hoop_engine_cancel of a live multishot timeout
 * the engine tracks always ends it, many tries, with and without letting it
 * fire first: it returns 0 and the final completion (-ECANCELED, no MORE)
 * arrives, delivered by waiting and through a queue (intermediate -ETIME
 * completions with MORE before it, none after); nothing stays in flight.
 *
 * The thread pool has no multishot timeouts: it fails them with one final
 * -EINVAL, which is checked, and the test then skips.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TRIES 40

static const long long short_periods[] = {
        1, 10, 100, 1000, 7000, 10000, HOOP_ENGINE_MIN_MULTISHOT_NS - 1};
static const long long periods[] = {HOOP_ENGINE_MIN_MULTISHOT_NS, 150000, 1000000};
#define NSHORT (sizeof(short_periods) / sizeof(short_periods[0]))
#define NPERIODS (sizeof(periods) / sizeof(periods[0]))

static hoop_engine *e;

static void prep(struct hoop_op *op, struct hoop_timespec *ts, long long ns,
                 uint64_t tag)
{
	ts->tv_sec = ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
	/* count 0: fires until cancelled */
	hoop_op_timeout(op, ts, 0, HOOP_TIMEOUT_MULTISHOT);
	op->user_data = tag;
}

static void fill_one(void *arg, struct hoop_sqe *sqe, unsigned i)
{
	(void)i;
	memcpy(sqe, arg, sizeof(*sqe));
}

/* Short periods: refused by the engine, whatever the kernel. */
static void refused_short(hoop_queue *q)
{
	struct hoop_engine_metrics m0, m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m0, sizeof(m0)), 0);
	for (unsigned p = 0; p < NSHORT; p++) {
		struct hoop_op op;
		struct hoop_timespec ts;
		uint64_t tok = 0;
		prep(&op, &ts, short_periods[p], 1);
		CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), -EINVAL);
		CHECK_EQ(hoop_queue_add(q, &op, 1, &tok, 0), -EINVAL);
		CHECK_EQ(hoop_engine_submit_sqes(e, 1, fill_one, &op, &tok, 0,
		                                 NULL, NULL),
		         -EINVAL);
		/* In a call with others: the whole call is refused. */
		struct hoop_op two[2];
		hoop_op_nop(&two[0]);
		two[1] = op;
		uint64_t toks[2];
		CHECK_EQ(hoop_engine_submit(e, two, 2, toks, 0), -EINVAL);
		CHECK_EQ(hoop_queue_outstanding(q), 0);
	}
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.submitted, m0.submitted);
	CHECK_EQ(m.inflight, 0);
}

static void refused(hoop_queue *q)
{
	refused_short(q);
	/* An update to a short period of a live multishot timeout: refused;
	 * to a period from the floor up: done (0); then cancelled. */
	struct hoop_op op, up;
	struct hoop_timespec ts, nts = {0, 1000};
	uint64_t tok, utok;
	prep(&op, &ts, 1000000, 2);
	CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
	struct hoop_sqe sqe;
	hoop_prep_timeout_update(&sqe, &nts, tok, 0);
	hoop_op_from_sqe(&up, &sqe);
	CHECK_EQ(hoop_engine_submit(e, &up, 1, &utok, 0), -EINVAL);
	nts.tv_nsec = HOOP_ENGINE_MIN_MULTISHOT_NS * 2;
	CHECK_EQ(hoop_engine_submit(e, &up, 1, &utok, 0), 1);
	struct hoop_completion c;
	CHECK_EQ(hoop_engine_wait(e, utok, &c, 5000000000ll), 0);
	CHECK_EQ(c.res, 0);
	CHECK_EQ(hoop_engine_cancel(e, tok), 0);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);
	CHECK_EQ(c.res, -ECANCELED);
	/* An update of a single-shot timeout is not limited. */
	hoop_op_timeout(&op, &ts, 0, 0);
	ts.tv_sec = 10;
	CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
	nts.tv_nsec = 1000;
	hoop_prep_timeout_update(&sqe, &nts, tok, 0);
	hoop_op_from_sqe(&up, &sqe);
	CHECK_EQ(hoop_engine_submit(e, &up, 1, &utok, 0), 1);
	CHECK_EQ(hoop_engine_wait(e, utok, &c, 5000000000ll), 0);
	CHECK_EQ(c.res, 0);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);
	CHECK_EQ(c.res, -ETIME);
}

/* Let it fire a few times, or not at all. */
static void let_it_fire(long long ns, int k)
{
	if (k % 4 == 0)
		return;
	long long d = ns * (k % 4) + (k % 5) * 10000;
	struct timespec t = {(time_t)(d / 1000000000), (long)(d % 1000000000)};
	nanosleep(&t, NULL);
}

static void by_wait(long long ns, int k)
{
	struct hoop_op op;
	struct hoop_timespec ts;
	uint64_t tag = 0x700 + (uint64_t)k, tok;
	prep(&op, &ts, ns, tag);
	CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
	let_it_fire(ns, k);
	int r = hoop_engine_cancel(e, tok);
	if (r != 0)
		fprintf(stderr, "period %lld ns, try %d (wait): cancel %d\n",
		        ns, k, r);
	CHECK_EQ(r, 0);
	struct hoop_completion c;
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 2000000000ll), 0);
	CHECK_EQ(c.token, tok);
	CHECK_EQ(c.user_data, tag);
	CHECK_EQ(c.res, -ECANCELED);
	CHECK_EQ(c.flags & HOOP_CQE_F_MORE, 0);
	CHECK_EQ(hoop_engine_cancel(e, tok), -ENOENT);
}

static void by_queue(hoop_queue *q, long long ns, int k)
{
	struct hoop_op op;
	struct hoop_timespec ts;
	uint64_t tag = 0x900 + (uint64_t)k, tok;
	prep(&op, &ts, ns, tag);
	CHECK_EQ(hoop_queue_add(q, &op, 1, &tok, 0), 1);
	let_it_fire(ns, k);
	int r = hoop_engine_cancel(e, tok);
	if (r != 0)
		fprintf(stderr, "period %lld ns, try %d (queue): cancel %d\n",
		        ns, k, r);
	CHECK_EQ(r, 0);
	/* Intermediate completions (MORE, -ETIME) then exactly one final,
	 * within 2 s: a timeout left firing never sends it. */
	struct hoop_completion c[64];
	int finals = 0;
	while (hoop_queue_outstanding(q) > 0) {
		int n = hoop_queue_wait(q, c, 64, 1, 2000000000ll);
		CHECK(n > 0);
		for (int i = 0; i < n; i++) {
			CHECK_EQ(c[i].token, tok);
			CHECK_EQ(c[i].user_data, tag);
			if (c[i].flags & HOOP_CQE_F_MORE) {
				CHECK_EQ(finals, 0);
				CHECK_EQ(c[i].res, -ETIME);
				continue;
			}
			finals++;
			CHECK_EQ(c[i].res, -ECANCELED);
		}
	}
	/* Whatever is still queued came before the final one. */
	int n;
	while ((n = hoop_queue_wait(q, c, 64, 0, 0)) > 0)
		for (int i = 0; i < n; i++)
			CHECK(c[i].flags & HOOP_CQE_F_MORE);
	CHECK_EQ(finals, 1);
	CHECK_EQ(hoop_engine_cancel(e, tok), -ENOENT);
}

int main(void)
{
	e = t_engine(NULL);
	hoop_queue *q = NULL;
	CHECK_EQ(hoop_queue_create(&q, e, 4), 0);

	if (hoop_engine_backend(e) != HOOP_BACKEND_URING) {
		struct hoop_op op;
		struct hoop_timespec ts;
		uint64_t tok;
		prep(&op, &ts, 1000, 1);
		CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
		struct hoop_completion c;
		CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);
		CHECK_EQ(c.res, -EINVAL);
		CHECK_EQ(hoop_engine_cancel(e, tok), -ENOENT);
		hoop_queue_destroy(q);
		hoop_engine_destroy(e);
		SKIP("multishot timeouts need io_uring (the thread pool "
		     "refused "
		     "it cleanly)");
	}

	/* Before 6.4 the kernel has no multishot timeouts: it fails one
	 * with a single final -EINVAL, like the thread pool (the engine's
	 * own refusal of short periods is checked first). */
	if (!t_kernel_at_least(6, 4)) {
		refused_short(q);
		struct hoop_op op;
		struct hoop_timespec ts;
		uint64_t tok;
		prep(&op, &ts, HOOP_ENGINE_MIN_MULTISHOT_NS, 1);
		CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
		struct hoop_completion c;
		CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);
		CHECK_EQ(c.res, -EINVAL);
		CHECK_EQ(c.flags & HOOP_CQE_F_MORE, 0);
		CHECK_EQ(hoop_engine_cancel(e, tok), -ENOENT);
		hoop_queue_destroy(q);
		hoop_engine_destroy(e);
		SKIP("multishot timeouts need 6.4 (this kernel refused one "
		     "with "
		     "-EINVAL, checked)");
	}

	/* A watchdog: a timer left firing keeps everything busy forever. */
	alarm(60);
	refused(q);
	struct hoop_engine_metrics m0, m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m0, sizeof(m0)), 0);
	for (unsigned p = 0; p < NPERIODS; p++)
		for (int k = 0; k < TRIES; k++) {
			by_wait(periods[p], k);
			by_queue(q, periods[p], k);
		}
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.submitted - m0.submitted, 2 * NPERIODS * TRIES);
	CHECK_EQ(m.completed, m.submitted);
	hoop_queue_destroy(q);
	hoop_engine_destroy(e);
	alarm(0);
	return T_PASS;
}
