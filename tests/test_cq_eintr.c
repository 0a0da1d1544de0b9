/*
 * A signal during hoop_ring_wait_cqe (SIGALRM, handler installed without
 * SA_RESTART) ends the wait with -EINTR; the pending read is unaffected and
 * a later wait gets its completion.
 */
#include "helpers.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

int main(void)
{
	int fds0 = t_fd_count();
	int p[2];
	CHECK_EQ(pipe(p), 0);
	hoop_ring *ring = t_ring(8, 0);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART */
	CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);

	char buf[8];
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read(sqe, p[0], buf, sizeof(buf), 0);
	hoop_sqe_set_data(sqe, 1);
	CHECK_EQ(hoop_ring_submit(ring), 1);

	/*
	 * A repeating 20 ms timer: if this thread is descheduled past the
	 * first expiry before it enters the wait, the next one still ends it.
	 */
	struct itimerval it, off;
	memset(&it, 0, sizeof(it));
	memset(&off, 0, sizeof(off));
	it.it_value.tv_usec = 20000;
	it.it_interval.tv_usec = 20000;
	CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
	struct hoop_cqe *cqe = NULL;
	int r = hoop_ring_wait_cqe(ring, &cqe);
	CHECK_EQ(setitimer(ITIMER_REAL, &off, NULL), 0);
	CHECK_EQ(r, -EINTR);
	CHECK(alarms >= 1);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);

	/* Also through the timed wait. */
	int before = alarms;
	CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
	struct hoop_timespec ts = {5, 0};
	r = hoop_ring_wait_cqe_timeout(ring, &cqe, &ts);
	CHECK_EQ(setitimer(ITIMER_REAL, &off, NULL), 0);
	CHECK_EQ(r, -EINTR);
	CHECK(alarms > before);

	CHECK_EQ(write(p[1], "abc", 3), 3);
	struct hoop_cqe c = t_wait_one(ring);
	CHECK_EQ(c.user_data, 1);
	CHECK_EQ(c.res, 3);
	CHECK(memcmp(buf, "abc", 3) == 0);

	hoop_ring_destroy(ring);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
