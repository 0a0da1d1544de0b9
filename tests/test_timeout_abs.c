/*
 * An absolute CLOCK_MONOTONIC timeout 20 ms ahead completes with -ETIME at
 * or after that instant; one already in the past completes at once.
 */
#include "helpers.h"

#include <errno.h>

static struct hoop_timespec at(uint64_t ns)
{
	struct hoop_timespec ts = {(int64_t)(ns / 1000000000ull),
	                           (int64_t)(ns % 1000000000ull)};
	return ts;
}

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	uint64_t deadline = t_now_ns() + 20 * 1000000ull;
	struct hoop_timespec ts = at(deadline);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_timeout(sqe, &ts, 0, HOOP_TIMEOUT_ABS);
	hoop_sqe_set_data(sqe, 5);
	struct hoop_cqe c = t_submit_wait_one(ring);
	uint64_t now = t_now_ns();
	CHECK_EQ(c.user_data, 5);
	CHECK_EQ(c.res, -ETIME);
	/* The kernel and t_now_ns read the same clock: never early. */
	CHECK(now >= deadline);
	CHECK(now - deadline < 3000000000ull);

	/* A deadline in the past expires immediately. */
	ts = at(t_now_ns() - 1000000ull);
	sqe = t_sqe(ring);
	hoop_prep_timeout(sqe, &ts, 0, HOOP_TIMEOUT_ABS);
	hoop_sqe_set_data(sqe, 6);
	uint64_t t0 = t_now_ns();
	c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 6);
	CHECK_EQ(c.res, -ETIME);
	CHECK(t_now_ns() - t0 < 3000000000ull);
	hoop_ring_destroy(ring);
	return T_PASS;
}
