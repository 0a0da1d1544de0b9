/*
 * hoop_loop_cancel while the SQ is full and the kernel takes no SQE
 * (io_uring_enter failing with EBUSY, as it does while it has completions
 * it cannot post): the cancel cannot be queued then, and must be sent on a
 * later round. Before the fix the loop marked it sent and dropped it, and a
 * 10 s timer ran on until it fired by itself.
 */
#include "helpers.h"
#include "sys.h"

#include <errno.h>
#include <string.h>

struct seen {
	int calls;
	int32_t res;
};

static void on_timer(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	(void)flags;
	struct seen *s = arg;
	s->calls++;
	s->res = res;
}

static void on_nop(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	(void)flags;
	(void)res;
	(*(int *)arg)++;
}

int main(void)
{
	hoop_loop_params p;
	memset(&p, 0, sizeof(p));
	p.entries = 4;
	hoop_loop *l;
	int r = hoop_loop_create(&l, &p);
	if (r == -ENOSYS || r == -EPERM)
		SKIP("io_uring unavailable: %s", hoop_strerror(r));
	CHECK_EQ(r, 0);

	struct seen t = {0, 0};
	uint64_t id;
	CHECK_EQ(hoop_loop_timer(l, 10ull * 1000 * 1000 * 1000, 0, on_timer, &t,
	                         &id),
	         0);
	CHECK(hoop_loop_run_once(l, 0) >= 0); /* the timer is in the kernel */

	/* Fill the SQ with NOPs the loop has not submitted yet. */
	int nops = 0;
	unsigned sq = hoop_ring_sq_space_left(hoop_loop_ring(l));
	CHECK_EQ(sq, hoop_ring_sq_entries(hoop_loop_ring(l)));
	for (unsigned i = 0; i < sq; i++)
		CHECK(hoop_loop_sqe(l, on_nop, &nops) != NULL);

	/* The kernel takes nothing: the cancel finds no room. */
	struct hoop_fault_rule rule = {EBUSY, 0, 0, 1, -1};
	CHECK_EQ(hoop__fault_set(HOOP_FAULT_ENTER, &rule), 0);
	CHECK_EQ(hoop_loop_cancel(l, id), 0);
	CHECK(hoop__fault_hits(HOOP_FAULT_ENTER) >= 1);
	hoop__fault_clear();

	/* Within 2 s (not 10) the timer ends as cancelled, and the NOPs run. */
	uint64_t end = t_now_ns() + 2000000000ull;
	while ((t.calls == 0 || nops < (int)sq) && t_now_ns() < end)
		CHECK(hoop_loop_run_once(l, 100000000) >= 0);
	CHECK_EQ(t.calls, 1);
	CHECK_EQ(t.res, -ECANCELED);
	CHECK_EQ(nops, (int)sq);
	CHECK_EQ(hoop_loop_pending(l), 0);
	hoop_loop_destroy(l);
	return 0;
}
