/*
 * hoop_loop_cancel of a REPEAT timer (a kernel multishot timeout, period
 * >= 100 us) ends it even when the cancel meets the timer's expiry running
 * on another CPU: one final -ECANCELED within 2 s, thousands of tries.
 *
 * The loop's thread re-arms the timer (task work) on the CPU it is on; the
 * test then moves the thread to the other CPU and cancels at a different
 * moment of the period each try. A cancel that finds the timer while its
 * expiry is running elsewhere gets -EALREADY inside the kernel, which an
 * IORING_ASYNC_CANCEL_ALL counts as one cancelled: the loop took that
 * answer as the end and the timer fired on forever (before the fix: a few
 * tries in 1,000; a server's 100 ms tick would then never have stopped).
 */
#include "test_net_util.h"

#include <pthread.h>
#include <sched.h>

#define TRIES 2000
#define TIME_BUDGET_NS 30000000000ull /* stop trying after 30 s (slow hosts) */

struct rt {
	int fires, finals;
	int32_t final_res;
};

static void on_fire(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	struct rt *t = arg;
	if (flags & HOOP_CQE_F_MORE) {
		CHECK_EQ(res, -ETIME);
		CHECK_EQ(t->finals, 0);
		t->fires++;
		return;
	}
	t->finals++;
	t->final_res = res;
}

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	CHECK_EQ(pthread_setaffinity_np(pthread_self(), sizeof(set), &set), 0);
}

int main(void)
{
	cpu_set_t set;
	int cpus[2] = {-1, -1};
	CHECK_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
	for (int c = 0; c < CPU_SETSIZE && cpus[1] < 0; c++)
		if (CPU_ISSET(c, &set))
			cpus[cpus[0] < 0 ? 0 : 1] = c;
	if (cpus[1] < 0)
		SKIP("needs two CPUs (the race is between two of them)");
	hoop_loop *l = tn_loop();
	static const uint64_t periods[] = {100000, 137000};
	uint64_t start = t_now_ns(), seed = 88172645463325252ull;
	int k = 0;
	for (; k < TRIES && t_now_ns() - start < TIME_BUDGET_NS; k++) {
		uint64_t ns = periods[k % 2];
		struct rt t = {0};
		uint64_t id;
		pin(cpus[k & 1]);
		CHECK_EQ(hoop_loop_timer(l, ns, HOOP_LOOP_TIMER_REPEAT, on_fire,
		                         &t, &id),
		         0);
		/* Fired once: re-armed from this CPU. */
		uint64_t t0 = t_now_ns();
		while (t.fires < 1 && t_now_ns() - t0 < 5000000000ull)
			CHECK(hoop_loop_run_once(l, 1000000ll) >= 0);
		CHECK(t.fires >= 1);
		pin(cpus[!(k & 1)]);
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		t0 = t_now_ns();
		while (t_now_ns() - t0 < seed % (2 * ns))
			;
		CHECK_EQ(hoop_loop_cancel(l, id), 0);
		t0 = t_now_ns();
		while (!t.finals && t_now_ns() - t0 < 2000000000ull)
			CHECK(hoop_loop_run_once(l, 1000000ll) >= 0);
		if (!t.finals)
			fprintf(stderr,
			        "try %d (period %llu ns): no final callback 2 "
			        "s "
			        "after the cancel (%d fires)\n",
			        k, (unsigned long long)ns, t.fires);
		CHECK_EQ(t.finals, 1);
		CHECK_EQ(t.final_res, -ECANCELED);
		CHECK_EQ(hoop_loop_pending(l), 0);
	}
	printf("%d timers cancelled from the CPU they were not re-armed on: "
	       "each ended (%.1f s)\n",
	       k, (double)(t_now_ns() - start) / 1e9);
	CHECK(k >= 200);
	hoop_loop_destroy(l);
	return T_PASS;
}
