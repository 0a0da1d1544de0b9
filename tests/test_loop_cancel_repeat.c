/*
 * hoop_loop_cancel of a REPEAT timer ends it, however fast it fires.
 *
 * A firing timeout is off the kernel's timeout list until task work re-arms
 * it, so an ASYNC_CANCEL landing in that window finds nothing while the
 * timer keeps firing (on 1a3fa69: 1, 5 and 20 us periods fired on for 30 s
 * after the cancel). The loop asks again while the op is in the kernel,
 * and re-arms timers under 100 us by hand. Every cancel ends with one final
 * -ECANCELED and nothing after it. Periods from 1 us to 1 ms, 40 tries
 * each, cancelled from outside a callback and from inside one.
 */
#include "test_net_util.h"

struct rt {
	int fires, finals, fires_after_final;
	int32_t final_res;
	uint64_t id;
	int cancel_at; /* cancel from the callback at this fire (0: never) */
};

static void on_fire(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	struct rt *t = arg;
	if (t->finals) {
		t->fires_after_final++;
		return;
	}
	if (flags & HOOP_CQE_F_MORE) {
		CHECK_EQ(res, -ETIME);
		t->fires++;
		if (t->cancel_at && t->fires == t->cancel_at)
			CHECK_EQ(hoop_loop_cancel(l, t->id), 0);
		return;
	}
	t->finals++;
	t->final_res = res;
}

static void one(hoop_loop *l, uint64_t ns, int from_callback)
{
	struct rt t = {0};
	t.cancel_at = from_callback ? 2 : 0;
	CHECK_EQ(hoop_loop_timer(l, ns, HOOP_LOOP_TIMER_REPEAT, on_fire, &t, &t.id),
	         0);
	/* Let it fire at least once, so the cancel meets a running timer. */
	uint64_t t0 = t_now_ns();
	while (t.fires < 2 && t_now_ns() - t0 < 5000000000ull)
		CHECK(hoop_loop_run_once(l, 1000000ll) >= 0);
	CHECK(t.fires >= 1);
	if (!from_callback)
		CHECK_EQ(hoop_loop_cancel(l, t.id), 0);
	t0 = t_now_ns();
	while (!t.finals && t_now_ns() - t0 < 5000000000ull)
		CHECK(hoop_loop_run_once(l, 1000000ll) >= 0);
	if (!t.finals)
		fprintf(stderr,
		        "period %llu ns: no final callback 5 s after the "
		        "cancel (%d fires)\n",
		        (unsigned long long)ns, t.fires);
	CHECK_EQ(t.finals, 1);
	CHECK_EQ(t.final_res, -ECANCELED);
	CHECK_EQ(hoop_loop_pending(l), 0);
	/* Nothing arrives for it afterwards. */
	CHECK(hoop_loop_run_once(l, 2000000ll) >= 0);
	CHECK_EQ(t.fires_after_final, 0);
	CHECK_EQ(t.finals, 1);
	CHECK_EQ(hoop_loop_cancel(l, t.id), -ENOENT);
}

int main(void)
{
	int fds = t_fd_count();
	hoop_loop *l = tn_loop();
	static const uint64_t periods[] = {1000, 5000, 20000, 100000, 1000000};
	for (size_t p = 0; p < sizeof(periods) / sizeof(periods[0]); p++)
		for (int i = 0; i < 40; i++)
			one(l, periods[p], i & 1);
	hoop_loop_destroy(l);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
