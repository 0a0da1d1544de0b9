/*
 * A batch deadline set while the engine thread is between two loop steps is
 * still honoured. Each round submits one NOP into a batch (batch_count
 * 1000, batch_usec 50) right after the previous one completed, when the
 * engine thread has just woken for that completion and is running its loop:
 * the deadline must reach it, so the NOP is flushed and completes. The
 * engine thread used to read the deadline before its wake-up counter, so a
 * deadline set between the two reads was missed and the thread slept in the
 * kernel without a timeout while the NOP sat in the SQ (found as a 1-in-30
 * hang of engine_batching under TSan).
 */
#include "helpers.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

static atomic_int done;

static void on_done(void *arg, const struct hoop_completion *c)
{
	(void)arg;
	CHECK_EQ(c->res, 0);
	atomic_fetch_add(&done, 1);
}

int main(void)
{
	hoop_engine_params prm;
	memset(&prm, 0, sizeof(prm));
	prm.batch_count = 1000;
	prm.batch_usec = 50;
	hoop_engine *e = t_engine(&prm);
	if (hoop_engine_backend(e) != HOOP_BACKEND_URING) {
		hoop_engine_destroy(e);
		SKIP("batch deadlines hold SQEs in the ring; this engine is "
		     "served "
		     "by the thread pool");
	}
	struct hoop_op op;
	hoop_op_nop(&op);
	uint64_t t0 = t_now_ns();
	int rounds = 0;
	/* 3 s of rounds; each must complete within 2 s. */
	while (t_now_ns() - t0 < 3000000000ull) {
		uint64_t tok;
		int want = atomic_load(&done) + 1;
		/* Sweep the moment of the submit across the engine thread's
		 * loop after the previous completion: 0 to 6.3 us. */
		uint64_t at = t_now_ns() + (uint64_t)(rounds % 64) * 100;
		while (t_now_ns() < at)
			;
		CHECK_EQ(hoop_engine_submit_cb(e, &op, 1, &tok, 0, on_done, NULL),
		         1);
		uint64_t until = t_now_ns() + 2000000000ull;
		while (atomic_load(&done) < want) {
			if (t_now_ns() >= until) {
				fprintf(stderr,
				        "round %d: the NOP was not flushed "
				        "within 2 s of its 50 us deadline\n",
				        rounds);
				CHECK(0);
			}
		}
		rounds++;
	}
	printf("%d rounds\n", rounds);
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.completed, (uint64_t)rounds);
	CHECK_EQ(m.inflight, 0);
	hoop_engine_destroy(e);
	return T_PASS;
}
