/*
 * hoop_ring_cq_eventfd_toggle / hoop_ring_cq_eventfd_enabled (liburing's
 * io_uring_cq_eventfd_toggle / _enabled): with an eventfd registered,
 * notifications are on by default (enabled 1, a NOP signals the eventfd);
 * toggled off (enabled 0, the CQ flag HOOP_CQ_EVENTFD_DISABLED set), a NOP
 * completes with the eventfd left silent; toggled on again, it signals
 * again. Toggling twice the same way changes nothing.
 */
#include "helpers.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

static uint64_t drain(int efd, int wait_ms)
{
	struct pollfd p = {.fd = efd, .events = POLLIN};
	if (poll(&p, 1, wait_ms) != 1)
		return 0;
	uint64_t v = 0;
	CHECK_EQ(read(efd, &v, sizeof(v)), sizeof(v));
	return v;
}

static void nop(hoop_ring *ring)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 7);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 7);
	CHECK_EQ(c.res, 0);
}

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK(efd >= 0);
	CHECK_EQ(hoop_ring_register_eventfd(ring, efd), 0);
	CHECK_EQ(hoop_ring_cq_eventfd_enabled(ring), 1);
	nop(ring);
	CHECK_EQ(drain(efd, 1000), 1);

	int r = hoop_ring_cq_eventfd_toggle(ring, 0);
	if (r == -EOPNOTSUPP)
		SKIP("the CQ ring has no flags word here (before 5.8): "
		     "toggle refused with -EOPNOTSUPP, enabled stays 1");
	CHECK_EQ(r, 0);
	CHECK_EQ(hoop_ring_cq_eventfd_toggle(ring, 0), 0);
	CHECK_EQ(hoop_ring_cq_eventfd_enabled(ring), 0);
	nop(ring);
	nop(ring);
	CHECK_EQ(drain(efd, 50), 0);

	CHECK_EQ(hoop_ring_cq_eventfd_toggle(ring, 1), 0);
	CHECK_EQ(hoop_ring_cq_eventfd_toggle(ring, 1), 0);
	CHECK_EQ(hoop_ring_cq_eventfd_enabled(ring), 1);
	nop(ring);
	CHECK_EQ(drain(efd, 1000), 1);

	CHECK_EQ(hoop_ring_unregister_eventfd(ring), 0);
	close(efd);
	hoop_ring_destroy(ring);
	return T_PASS;
}
