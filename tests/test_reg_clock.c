/*
 * The wait clock: CLOCK_BOOTTIME and CLOCK_MONOTONIC are accepted, other
 * clocks refused, and timed waits still time out with -ETIME.
 */
#include "helpers.h"

#include <errno.h>
#include <time.h>

static void timed_wait_expires(hoop_ring *ring)
{
	struct hoop_timespec ts = {0, 20 * 1000 * 1000};
	struct hoop_cqe *cqe = NULL;
	uint64_t t0 = t_now_ns();
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &ts), -ETIME);
	CHECK(t_now_ns() - t0 >= 15ull * 1000 * 1000);
}

int main(void)
{
	hoop_ring *ring = t_ring(4, 0);
	int r = hoop_ring_register_clock(ring, CLOCK_BOOTTIME);
	if (r == -EINVAL)
		SKIP("registering a wait clock needs 6.12");
	CHECK_EQ(r, 0);
	timed_wait_expires(ring);
	CHECK_EQ(hoop_ring_register_clock(ring, CLOCK_REALTIME), -EINVAL);
	CHECK_EQ(hoop_ring_register_clock(ring, -1), -EINVAL);
	CHECK_EQ(hoop_ring_register_clock(ring, CLOCK_MONOTONIC), 0);
	timed_wait_expires(ring);
	hoop_ring_destroy(ring);
	return T_PASS;
}
