/*
 * hoop_loop_stop: from another thread while hoop_loop_run sleeps in the
 * kernel; from a signal handler (the signal lands on the loop's thread);
 * before run (run returns at once); and run_once after a stop returns
 * promptly with 0, using the stop up. Timers keep the loop busy meanwhile.
 */
#include "test_net_util.h"

#include <pthread.h>
#include <signal.h>

static hoop_loop *loop;
static volatile sig_atomic_t handled;

static void on_sig(int sig)
{
	(void)sig;
	hoop_loop_stop(loop); /* async-signal-safe */
	handled = 1;
}

static void *stopper(void *arg)
{
	(void)arg;
	usleep(50000);
	CHECK_EQ(hoop_loop_stop(loop), 0);
	return NULL;
}

static void *signaller(void *arg)
{
	pthread_t target = *(pthread_t *)arg;
	usleep(50000);
	pthread_kill(target, SIGUSR1);
	return NULL;
}

static int ticks;
static void on_tick(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	(void)arg;
	(void)flags;
	if (res == -ETIME)
		ticks++;
}

int main(void)
{
	int fds = t_fd_count();
	loop = tn_loop();
	uint64_t id;
	CHECK_EQ(hoop_loop_timer(loop, 20000000ull, HOOP_LOOP_TIMER_REPEAT,
	                         on_tick, NULL, &id),
	         0);

	/* From another thread. */
	pthread_t th;
	uint64_t t0 = t_now_ns();
	CHECK_EQ(pthread_create(&th, NULL, stopper, NULL), 0);
	CHECK_EQ(hoop_loop_run(loop), 0);
	CHECK(t_now_ns() - t0 < 5000000000ull);
	pthread_join(th, NULL);

	/* From a signal handler on the loop's thread. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	pthread_t self = pthread_self();
	CHECK_EQ(pthread_create(&th, NULL, signaller, &self), 0);
	CHECK_EQ(hoop_loop_run(loop), 0);
	pthread_join(th, NULL);
	CHECK_EQ(handled, 1);

	/* Stopped before running: run returns at once. */
	CHECK_EQ(hoop_loop_stop(loop), 0);
	CHECK_EQ(hoop_loop_run(loop), 0);

	/* run_once after a stop: prompt, 0 waited for; the stop is used up. */
	CHECK_EQ(hoop_loop_cancel(loop, id), 0);
	TN_RUN_UNTIL(loop, hoop_loop_pending(loop) == 0);
	CHECK_EQ(hoop_loop_stop(loop), 0);
	t0 = t_now_ns();
	CHECK_EQ(hoop_loop_run_once(loop, 10000000000ll), 0);
	CHECK(t_now_ns() - t0 < 2000000000ull);
	t0 = t_now_ns();
	CHECK_EQ(hoop_loop_run_once(loop, 20000000ll), 0); /* waits again */
	CHECK(t_now_ns() - t0 >= 19000000ull);
	CHECK(ticks >= 1);

	hoop_loop_destroy(loop);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
