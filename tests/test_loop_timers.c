/*
 * hoop_loop timers: a one-shot fires once with -ETIME and no MORE; a
 * REPEAT timer fires with MORE until cancelled, then -ECANCELED without
 * MORE; cancelling before expiry; a repeat timer that cancels itself from
 * its callback; the order of two one-shots.
 */
#include "test_net_util.h"

struct t {
	int fires, finals;
	int32_t final_res;
	uint64_t id;
	int cancel_at;
	hoop_loop *loop;
	int order;
};

static int order_counter;

static void on_timer(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	struct t *t = arg;
	CHECK(l == t->loop);
	if (flags & HOOP_CQE_F_MORE) {
		CHECK_EQ(res, -ETIME);
		CHECK_EQ(t->finals, 0);
		t->fires++;
		if (t->cancel_at && t->fires == t->cancel_at)
			CHECK_EQ(hoop_loop_cancel(l, t->id), 0);
		return;
	}
	t->finals++;
	t->final_res = res;
	t->order = ++order_counter;
}

int main(void)
{
	int fds = t_fd_count();
	hoop_loop *l = tn_loop();
	struct t a = {0}, b = {0}, c = {0}, d = {0}, e = {0};
	a.loop = b.loop = c.loop = d.loop = e.loop = l;

	/* One-shot after 5 ms; another after 1 ms fires first. */
	CHECK_EQ(hoop_loop_timer(l, 5000000, 0, on_timer, &a, &a.id), 0);
	CHECK_EQ(hoop_loop_timer(l, 1000000, 0, on_timer, &e, &e.id), 0);
	/* Repeating every 2 ms; cancelled from outside after 5 fires. */
	CHECK_EQ(hoop_loop_timer(l, 2000000, HOOP_LOOP_TIMER_REPEAT, on_timer,
	                         &b, &b.id),
	         0);
	/* Repeating every 1 ms; cancels itself at its 3rd fire. */
	c.cancel_at = 3;
	CHECK_EQ(hoop_loop_timer(l, 1000000, HOOP_LOOP_TIMER_REPEAT, on_timer,
	                         &c, &c.id),
	         0);
	/* A long one-shot, cancelled before it fires. */
	CHECK_EQ(hoop_loop_timer(l, 60000000000ull, 0, on_timer, &d, &d.id), 0);
	CHECK_EQ(hoop_loop_pending(l), 5);
	CHECK_EQ(hoop_loop_cancel(l, d.id), 0);

	TN_RUN_UNTIL(l, a.finals && e.finals && c.finals && d.finals &&
	                        b.fires >= 5);
	CHECK_EQ(a.fires, 0);
	CHECK_EQ(a.finals, 1);
	CHECK_EQ(a.final_res, -ETIME);
	CHECK_EQ(e.final_res, -ETIME);
	CHECK(e.order < a.order);
	/* Fires already on their way when the callback cancelled are still
	 * delivered (hoop_loop_cancel's contract): on a slow machine the 1 ms
	 * timer can post several before the cancel reaches the kernel (8 seen
	 * under ASan at load 8). */
	CHECK(c.fires >= 3);
	CHECK_EQ(c.finals, 1);
	CHECK_EQ(c.final_res, -ECANCELED);
	CHECK_EQ(d.fires, 0);
	CHECK_EQ(d.final_res, -ECANCELED);
	CHECK_EQ(b.finals, 0);
	CHECK_EQ(hoop_loop_pending(l), 1);

	CHECK_EQ(hoop_loop_cancel(l, b.id), 0);
	TN_RUN_UNTIL(l, b.finals == 1);
	CHECK_EQ(b.final_res, -ECANCELED);
	int fires = b.fires;
	CHECK(fires >= 5);
	CHECK_EQ(hoop_loop_cancel(l, b.id), -ENOENT);
	CHECK_EQ(hoop_loop_pending(l), 0);
	/* Nothing more arrives for it. */
	CHECK_EQ(hoop_loop_run_once(l, 10000000ll), 0);
	CHECK_EQ(b.fires, fires);
	CHECK_EQ(b.finals, 1);
	hoop_loop_destroy(l);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
