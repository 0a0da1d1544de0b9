/*
 * Waiting with a minimum timeout (hoop_ring_wait_cqes_min_timeout,
 * hoop_ring_submit_and_wait_min_timeout; the kernel's MIN_TIMEOUT):
 *
 * - the whole batch ready inside the minimum: returns at once;
 * - one of two ready: returns when the minimum has passed, not before, with
 *   that one, well before the overall timeout;
 * - none ready: the overall timeout gives -ETIME and no CQE;
 * - none ready at the minimum, one later (a 150 ms timer): returns with it
 *   once it comes, before the overall timeout, and also with no overall
 *   timeout at all;
 * - the submit variant returns the number submitted;
 * - bad input (wait_nr 0, above the CQ size, a bad timespec) is -EINVAL and
 *   submits nothing.
 *
 * Run on a plain ring and on a DEFER_TASKRUN ring. A kernel without
 * HOOP_FEAT_MIN_TIMEOUT must give -EOPNOTSUPP, submitting nothing; that
 * is checked, then the test skips.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define MS 1000000ull

static char buf[8];

static void nops(hoop_ring *ring, int n, uint64_t data)
{
	for (int i = 0; i < n; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, data + (uint64_t)i);
	}
}

static void pipe_read(hoop_ring *ring, int fd, uint64_t data)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read(sqe, fd, buf, sizeof(buf), 0);
	hoop_sqe_set_data(sqe, data);
}

static struct hoop_timespec timer150 = {0, 150 * MS};

static void timer(hoop_ring *ring, uint64_t data)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_timeout(sqe, &timer150, 0, 0);
	hoop_sqe_set_data(sqe, data);
}

/* Cancel the pipe read with `data` and reap its completion. */
static void drop_read(hoop_ring *ring, uint64_t data)
{
	struct hoop_sync_cancel sc = {0};
	sc.user_data = data;
	CHECK_EQ(hoop_ring_register_sync_cancel(ring, &sc), 0);
	struct hoop_cqe c = t_wait_one(ring);
	CHECK_EQ(c.user_data, data);
	CHECK_EQ(c.res, -ECANCELED);
}

static void run(uint32_t setup_flags)
{
	hoop_ring *ring = t_ring(8, setup_flags);
	int p[2];
	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
	struct hoop_cqe *cqe = NULL;
	struct hoop_timespec ts = {5, 0};

	if (!(hoop_ring_features(ring) & HOOP_FEAT_MIN_TIMEOUT)) {
		nops(ring, 1, 1);
		CHECK_EQ(hoop_ring_wait_cqes_min_timeout(ring, &cqe, 1, &ts,
		                                         1000, NULL),
		         -EOPNOTSUPP);
		CHECK_EQ(hoop_ring_submit_and_wait_min_timeout(ring, &cqe, 1,
		                                               &ts, 1000, NULL),
		         -EOPNOTSUPP);
		CHECK_EQ(hoop_ring_sq_ready(ring), 1);
		SKIP("kernel lacks HOOP_FEAT_MIN_TIMEOUT (6.12): -EOPNOTSUPP "
		     "checked");
	}
	printf("kernel has HOOP_FEAT_MIN_TIMEOUT\n");

	/* Bad input: nothing submitted. */
	nops(ring, 1, 1);
	struct hoop_timespec bad = {0, 1000000000};
	CHECK_EQ(hoop_ring_wait_cqes_min_timeout(ring, &cqe, 0, &ts, 1000, NULL),
	         -EINVAL);
	CHECK_EQ(hoop_ring_submit_and_wait_min_timeout(
	                 ring, &cqe, hoop_ring_cq_entries(ring) + 1, &ts, 1000, NULL),
	         -EINVAL);
	CHECK_EQ(hoop_ring_wait_cqes_min_timeout(ring, &cqe, 1, &bad, 1000, NULL),
	         -EINVAL);
	bad.tv_nsec = 0;
	bad.tv_sec = -1;
	CHECK_EQ(hoop_ring_submit_and_wait_min_timeout(ring, &cqe, 1, &bad,
	                                               1000, NULL),
	         -EINVAL);
	CHECK_EQ(hoop_ring_sq_ready(ring), 1);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);

	/* The submit variant: the NOP above plus two, all ready at once. */
	nops(ring, 2, 2);
	uint64_t t0 = t_now_ns();
	CHECK_EQ(hoop_ring_submit_and_wait_min_timeout(ring, &cqe, 3, &ts,
	                                               2000000, NULL),
	         3);
	CHECK(t_now_ns() - t0 < 1000 * MS);
	CHECK(cqe != NULL);
	CHECK_EQ(cqe->user_data, 1);
	CHECK_EQ(hoop_ring_cq_ready(ring), 3);
	hoop_ring_cq_advance(ring, 3);

	/* One of two: back after the 50 ms minimum, with one. */
	pipe_read(ring, p[0], 10);
	nops(ring, 1, 11);
	t0 = t_now_ns();
	CHECK_EQ(hoop_ring_wait_cqes_min_timeout(ring, &cqe, 2, &ts, 50000, NULL),
	         0);
	uint64_t el = t_now_ns() - t0;
	CHECK(el >= 45 * MS);
	CHECK(el < 2500 * MS);
	CHECK(cqe != NULL);
	CHECK_EQ(cqe->user_data, 11);
	CHECK_EQ(hoop_ring_cq_ready(ring), 1);
	hoop_ring_cqe_seen(ring, cqe);

	/* None: -ETIME at the 200 ms overall timeout, not at the 20 ms
	 * minimum. */
	struct hoop_timespec short_ts = {0, 200 * MS};
	cqe = (struct hoop_cqe *)1;
	t0 = t_now_ns();
	CHECK_EQ(hoop_ring_wait_cqes_min_timeout(ring, &cqe, 2, &short_ts,
	                                         20000, NULL),
	         -ETIME);
	el = t_now_ns() - t0;
	CHECK(cqe == NULL);
	CHECK(el >= 190 * MS);
	CHECK(el < 3000 * MS);

	/* None at the minimum, a timer at 150 ms: back with it. */
	timer(ring, 20);
	t0 = t_now_ns();
	CHECK_EQ(hoop_ring_submit_and_wait_min_timeout(ring, &cqe, 2, &ts,
	                                               20000, NULL),
	         1);
	el = t_now_ns() - t0;
	CHECK(cqe != NULL);
	CHECK_EQ(cqe->user_data, 20);
	CHECK_EQ(cqe->res, -ETIME);
	CHECK(el >= 140 * MS);
	CHECK(el < 4000 * MS);
	hoop_ring_cqe_seen(ring, cqe);

	/* The same without an overall timeout (the kernel alone would
	 * return at the minimum with nothing; hoop waits on for one). */
	timer(ring, 21);
	t0 = t_now_ns();
	CHECK_EQ(hoop_ring_wait_cqes_min_timeout(ring, &cqe, 2, NULL, 20000, NULL),
	         0);
	el = t_now_ns() - t0;
	CHECK(cqe != NULL);
	CHECK_EQ(cqe->user_data, 21);
	CHECK(el >= 140 * MS);
	hoop_ring_cqe_seen(ring, cqe);

	/* A minimum of 0 is a plain wait for the batch. */
	nops(ring, 1, 30);
	CHECK_EQ(hoop_ring_wait_cqes_min_timeout(ring, &cqe, 1, &ts, 0, NULL), 0);
	CHECK_EQ(cqe->user_data, 30);
	hoop_ring_cqe_seen(ring, cqe);

	drop_read(ring, 10);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	hoop_ring_destroy(ring);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	int fds_before = t_fd_count();
	run(0);
	run(HOOP_SETUP_SINGLE_ISSUER | HOOP_SETUP_DEFER_TASKRUN);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
