/*
 * SQPOLL with a 1 ms idle time: after the kernel thread went to sleep
 * (20 ms pause), a new submission must still be picked up: hoop sees
 * NEED_WAKEUP and wakes the thread. Each round's completion must arrive
 * within a generous 1 s (without the wakeup it never would).
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <time.h>

static void sleep_ms(long ms)
{
	struct timespec ts = {0, ms * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = HOOP_SETUP_SQPOLL;
	p.sq_thread_idle = 1;
	hoop_ring *ring = NULL;
	int r = hoop_ring_create(&ring, 8, &p);
	if (r == -EPERM || r == -ENOSYS)
		SKIP("SQPOLL not permitted here: %s", hoop_strerror(r));
	CHECK_EQ(r, 0);
	CHECK(hoop_ring_setup_flags(ring) & HOOP_SETUP_SQPOLL);

	for (int round = 0; round < 6; round++) {
		sleep_ms(20); /* longer than the 1 ms idle time */
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, (uint64_t)(round + 1));
		/* The number this call submitted, however fast the kernel
		 * thread took it (see test_sqpoll_submit_count). */
		r = hoop_ring_submit(ring);
		CHECK_EQ(r, 1);
		struct hoop_cqe *cqe = NULL;
		struct hoop_timespec ts = {1, 0};
		CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &ts), 0);
		CHECK_EQ(cqe->user_data, (uint64_t)(round + 1));
		CHECK_EQ(cqe->res, 0);
		hoop_ring_cqe_seen(ring, cqe);
	}
	CHECK_EQ(hoop_ring_sq_ready(ring), 0);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
