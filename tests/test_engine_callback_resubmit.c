/*
 * Callbacks may submit: a callback that resubmits a NOP from inside its
 * callback, forever (until told to stop), keeps the completion queue
 * non-empty, since the NOP completes inside the enter that submits it.
 * The thread draining the completions must still leave the drain after a
 * bounded number of passes, so that the engine's other work goes on:
 * here another thread submits and waits on its own ops meanwhile, and a
 * watchdog stops the chains if it has not finished after a long time
 * (that is the failure; without the stop the test would hang). Both
 * backends.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHAINS 2
#define OPS 2000
#define WATCHDOG_S 30

static hoop_engine *eng;
static atomic_int stop, finished, fired;
static atomic_uint cb_live, wrong;

static void chain(void *arg, const struct hoop_completion *c)
{
	(void)arg;
	if (c->res != 0)
		atomic_fetch_add(&wrong, 1);
	if (!atomic_load(&stop)) {
		struct hoop_op op;
		hoop_op_nop(&op);
		if (hoop_engine_submit_cb(eng, &op, 1, NULL, HOOP_SUBMIT_NOWAIT,
		                          chain, NULL) == 1)
			return;
	}
	atomic_fetch_sub(&cb_live, 1);
}

static void *watchdog(void *arg)
{
	(void)arg;
	for (int i = 0; i < WATCHDOG_S * 100 && !atomic_load(&finished); i++)
		usleep(10000);
	if (!atomic_load(&finished)) {
		atomic_store(&fired, 1);
		atomic_store(&stop, 1); /* lets a stuck drain end */
	}
	return NULL;
}

int main(void)
{
	eng = t_engine(NULL);
	pthread_t wd;
	CHECK_EQ(pthread_create(&wd, NULL, watchdog, NULL), 0);
	for (int i = 0; i < CHAINS; i++) {
		struct hoop_op op;
		hoop_op_nop(&op);
		atomic_fetch_add(&cb_live, 1);
		CHECK_EQ(hoop_engine_submit_cb(eng, &op, 1, NULL, 0, chain, NULL),
		         1);
	}
	/* Meanwhile: ops of our own, each waited for. */
	for (unsigned i = 0; i < OPS && !atomic_load(&fired); i++) {
		struct hoop_op op;
		uint64_t tok;
		struct hoop_completion c;
		hoop_op_nop(&op);
		op.user_data = i;
		CHECK_EQ(hoop_engine_submit(eng, &op, 1, &tok, 0), 1);
		CHECK_EQ(hoop_engine_wait(eng, tok, &c, -1), 0);
		CHECK_EQ(c.user_data, i);
		CHECK_EQ(c.res, 0);
	}
	atomic_store(&finished, 1);
	atomic_store(&stop, 1);
	CHECK_EQ(pthread_join(wd, NULL), 0);
	while (atomic_load(&cb_live))
		usleep(1000);
	if (atomic_load(&fired)) {
		fprintf(stderr,
		        "FAIL: our ops did not finish in %d s while "
		        "callbacks resubmitted\n",
		        WATCHDOG_S);
		return T_FAIL;
	}
	CHECK_EQ(atomic_load(&wrong), 0);
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(eng, &m, sizeof m), 0);
	CHECK_EQ(m.submitted, m.completed);
	CHECK_EQ(m.inflight, 0);
	hoop_engine_destroy(eng);
	return T_PASS;
}
