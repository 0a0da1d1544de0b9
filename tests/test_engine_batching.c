/*
 * Deadline batching. batch_count 16 without a deadline: 15 submitted NOPs
 * stay in the SQ (no enter, no completion) until a 16th arrives, an
 * explicit hoop_engine_flush, or a hoop_engine_wait (which flushes before
 * it looks). batch_usec 2000: a lone NOP completes without any flush, and a
 * burst of 64 single submits needs fewer than 64 enters.
 */
#include "helpers.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static atomic_int ncb;

static void on_done(void *arg, const struct hoop_completion *c)
{
	(void)arg;
	if (c->res == 0)
		atomic_fetch_add(&ncb, 1);
}

static hoop_engine *make(unsigned count, unsigned usec)
{
	hoop_engine_params prm;
	memset(&prm, 0, sizeof(prm));
	prm.batch_count = count;
	prm.batch_usec = usec;
	hoop_engine *e = t_engine(&prm);
	return e;
}

static struct hoop_engine_metrics metrics(hoop_engine *e)
{
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	return m;
}

static void submit_nops(hoop_engine *e, int n, uint64_t *tok, unsigned flags)
{
	struct hoop_op op;
	hoop_op_nop(&op);
	for (int i = 0; i < n; i++) {
		uint64_t t;
		op.user_data = (uint64_t)i;
		if (tok)
			CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok[i], flags), 1);
		else
			CHECK_EQ(hoop_engine_submit_cb(e, &op, 1, &t, flags,
			                               on_done, NULL),
			         1);
	}
}

/* Wait (bounded) until `n` callbacks have run. */
static void wait_cb(int n)
{
	uint64_t until = t_now_ns() + 5000000000ull;
	while (atomic_load(&ncb) < n) {
		CHECK(t_now_ns() < until);
		usleep(100);
	}
	CHECK_EQ(atomic_load(&ncb), n);
}

/* Nothing reached the kernel since m0: no enter, no completion. */
static void check_held(hoop_engine *e, const struct hoop_engine_metrics *m0, int cbs)
{
	usleep(20000); /* the engine thread has had time to (wrongly) flush */
	struct hoop_engine_metrics m = metrics(e);
	CHECK_EQ(m.enters, m0->enters);
	CHECK_EQ(m.sqes_entered, m0->sqes_entered);
	CHECK_EQ(m.completed, m0->completed);
	CHECK_EQ(atomic_load(&ncb), cbs);
}

static void test_count_only(void)
{
	hoop_engine *e = make(16, 0);
	struct hoop_engine_metrics m0 = metrics(e), m;

	/* 15 held; the 16th enters all 16 at once. */
	submit_nops(e, 15, NULL, 0);
	check_held(e, &m0, 0);
	CHECK_EQ(metrics(e).inflight, 15);
	submit_nops(e, 1, NULL, 0);
	wait_cb(16);
	m = metrics(e);
	CHECK_EQ(m.enters, m0.enters + 1);
	CHECK_EQ(m.sqes_entered, m0.sqes_entered + 16);

	/* 15 held; hoop_engine_flush enters them. */
	m0 = m;
	submit_nops(e, 15, NULL, 0);
	check_held(e, &m0, 16);
	CHECK_EQ(hoop_engine_flush(e), 15);
	wait_cb(31);
	m = metrics(e);
	CHECK_EQ(m.enters, m0.enters + 1);
	CHECK_EQ(m.sqes_entered, m0.sqes_entered + 15);
	CHECK_EQ(hoop_engine_flush(e), 0); /* nothing left */

	/* 15 held; hoop_engine_wait flushes before it looks, so even a
	 * zero-timeout wait finds the (inline) NOP done. */
	m0 = m;
	uint64_t tok[15];
	submit_nops(e, 15, tok, 0);
	check_held(e, &m0, 31);
	struct hoop_completion c;
	CHECK_EQ(hoop_engine_wait(e, tok[0], &c, 0), 0);
	CHECK_EQ(c.res, 0);
	m = metrics(e);
	CHECK_EQ(m.enters, m0.enters + 1);
	CHECK_EQ(m.sqes_entered, m0.sqes_entered + 15);
	for (int i = 1; i < 15; i++) {
		CHECK_EQ(hoop_engine_wait(e, tok[i], &c, 5000000000ll), 0);
		CHECK_EQ(c.user_data, i);
	}
	CHECK_EQ(metrics(e).inflight, 0);
	hoop_engine_destroy(e);
}

static void test_noflush(void)
{
	/* Default engine (every submit enters), but NOFLUSH holds one back
	 * until a flush. */
	hoop_engine *e = make(0, 0);
	atomic_store(&ncb, 0);
	struct hoop_engine_metrics m0 = metrics(e);
	submit_nops(e, 1, NULL, HOOP_SUBMIT_NOFLUSH);
	check_held(e, &m0, 0);
	CHECK_EQ(hoop_engine_flush(e), 1);
	wait_cb(1);
	hoop_engine_destroy(e);
}

static void test_deadline(void)
{
	hoop_engine *e = make(1000, 2000);
	atomic_store(&ncb, 0);
	struct hoop_engine_metrics m0 = metrics(e);
	/* A lone NOP: the deadline flush (engine thread) enters it. */
	submit_nops(e, 1, NULL, 0);
	wait_cb(1);
	struct hoop_engine_metrics m = metrics(e);
	CHECK_EQ(m.enters, m0.enters + 1);
	CHECK_EQ(m.sqes_entered, m0.sqes_entered + 1);

	/* A quick burst of 64 single submits shares enters. */
	m0 = m;
	submit_nops(e, 64, NULL, 0);
	wait_cb(65);
	m = metrics(e);
	printf("64 submits, %llu enters\n",
	       (unsigned long long)(m.enters - m0.enters));
	CHECK(m.enters - m0.enters < 64);
	CHECK(m.enters - m0.enters >= 1);
	CHECK_EQ(m.sqes_entered, m0.sqes_entered + 64);
	CHECK_EQ(m.completed, 65);
	CHECK_EQ(m.inflight, 0);
	hoop_engine_destroy(e);
}

int main(void)
{
	int fds = t_fd_count();
	hoop_engine *probe = make(0, 0);
	int backend = hoop_engine_backend(probe);
	hoop_engine_destroy(probe);
	if (backend != HOOP_BACKEND_URING)
		SKIP("batching holds SQEs in the ring; this engine is served "
		     "by "
		     "the thread pool");
	test_count_only();
	test_noflush();
	test_deadline();
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
