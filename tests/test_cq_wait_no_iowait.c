/*
 * hoop_ring_set_iowait: a thread waiting on a ring with a request in
 * flight counts as waiting for I/O by default (it shows in /proc/stat's
 * procs_blocked, the number of tasks in iowait right now); after
 * hoop_ring_set_iowait(ring, 0) the same wait does not, and after
 * hoop_ring_set_iowait(ring, 1) it does again.
 *
 * procs_blocked is machine-wide: the "off" case is checked only when idle
 * samples just before and after it are quiet (it says so when they never
 * are, after five tries), and CTest runs the test alone. The "on" case is
 * always checked.
 * A kernel without HOOP_FEAT_NO_IOWAIT must give -EOPNOTSUPP; then the test
 * skips.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SAMPLES 200

static int procs_blocked(void)
{
	FILE *f = fopen("/proc/stat", "r");
	CHECK(f != NULL);
	char line[256];
	int n = -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "procs_blocked %d", &n) == 1)
			break;
	fclose(f);
	CHECK(n >= 0);
	return n;
}

/* Share of SAMPLES samples, 0.5 ms apart, with procs_blocked >= 1. */
static double blocked_share(void)
{
	int hits = 0;
	struct timespec pause = {0, 500000};
	for (int i = 0; i < SAMPLES; i++) {
		if (procs_blocked() > 0)
			hits++;
		nanosleep(&pause, NULL);
	}
	return (double)hits / SAMPLES;
}

struct waiter {
	int iowait; /* -1: leave the default */
	int ready_fd, pipe_rd;
	int result;
};

/* Owns its ring: sets iowait, submits a pipe read, waits 800 ms. */
static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	hoop_ring *ring = t_ring(4, 0);
	if (w->iowait >= 0)
		CHECK_EQ(hoop_ring_set_iowait(ring, w->iowait), 0);
	char buf[4];
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read(sqe, w->pipe_rd, buf, sizeof(buf), 0);
	hoop_sqe_set_data(sqe, 1);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	CHECK_EQ(write(w->ready_fd, "x", 1), 1);
	struct hoop_timespec ts = {0, 800000000};
	struct hoop_cqe *cqe;
	w->result = hoop_ring_wait_cqe_timeout(ring, &cqe, &ts);
	hoop_ring_destroy(ring); /* cancels the read */
	return NULL;
}

/* procs_blocked share while a thread waits with the given setting. */
static double share_while_waiting(int iowait, int pipe_rd)
{
	int ready[2];
	CHECK_EQ(pipe2(ready, O_CLOEXEC), 0);
	struct waiter w = {iowait, ready[1], pipe_rd, 1};
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, wait_thread, &w), 0);
	char c;
	CHECK_EQ(read(ready[0], &c, 1), 1);
	struct timespec settle = {0, 20000000};
	nanosleep(&settle, NULL); /* let it get into the kernel's wait */
	double s = blocked_share();
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(w.result, -ETIME);
	close(ready[0]);
	close(ready[1]);
	return s;
}

int main(void)
{
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(4, 0);
	if (!(hoop_ring_features(ring) & HOOP_FEAT_NO_IOWAIT)) {
		CHECK_EQ(hoop_ring_set_iowait(ring, 0), -EOPNOTSUPP);
		CHECK_EQ(hoop_ring_set_iowait(ring, 1), -EOPNOTSUPP);
		hoop_ring_destroy(ring);
		SKIP("kernel lacks HOOP_FEAT_NO_IOWAIT (6.15): -EOPNOTSUPP "
		     "checked");
	}
	/* Toggling is allowed at any time, and NOPs still complete. */
	CHECK_EQ(hoop_ring_set_iowait(ring, 0), 0);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	CHECK_EQ(t_submit_wait_one(ring).res, 0);
	CHECK_EQ(hoop_ring_set_iowait(ring, 7), 0); /* non-zero: on */
	sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	CHECK_EQ(t_submit_wait_one(ring).res, 0);
	hoop_ring_destroy(ring);

	int p[2];
	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
	double on = share_while_waiting(-1, p[0]);
	double on2 = share_while_waiting(1, p[0]);
	CHECK(on >= 0.9);
	CHECK(on2 >= 0.9);
	/* "Off" is checked only between two quiet idle samples: other
	 * tasks' iowait would hide ours. A few tries. */
	int checked = 0;
	for (int tries = 0; tries < 5 && !checked; tries++) {
		double before = blocked_share();
		double off = share_while_waiting(0, p[0]);
		double after = blocked_share();
		printf("procs_blocked > 0 in: %.0f%% default, %.0f%% on "
		       "again; %.0f%% idle, %.0f%% iowait off, %.0f%% idle\n",
		       on * 100, on2 * 100, before * 100, off * 100, after * 100);
		if (before <= 0.05 && after <= 0.05) {
			CHECK(off <= 0.3);
			checked = 1;
		}
	}
	if (!checked)
		printf("note: other tasks kept being in iowait; the \"off\" "
		       "case is not checked\n");
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
