/*
 * eventfd notification: a registered eventfd is signalled once per NOP
 * completion; the async variant only for completions from io-wq workers;
 * after unregister nothing is signalled.
 */
#include "helpers.h"

#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* The eventfd's counter (resetting it), or 0 if it is not readable. */
static uint64_t drain(int efd, int wait_ms)
{
	struct pollfd p = {.fd = efd, .events = POLLIN};
	if (poll(&p, 1, wait_ms) != 1)
		return 0;
	uint64_t v = 0;
	CHECK_EQ(read(efd, &v, sizeof(v)), sizeof(v));
	return v;
}

static void nop(hoop_ring *ring, unsigned sqe_flags)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 42);
	hoop_sqe_set_flags(sqe, sqe_flags);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 42);
	CHECK_EQ(c.res, 0);
}

int main(void)
{
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK(efd >= 0);

	CHECK_EQ(hoop_ring_unregister_eventfd(ring), -ENXIO);
	CHECK_EQ(hoop_ring_register_eventfd(ring, -1), -EBADF);
	CHECK_EQ(hoop_ring_register_eventfd(ring, efd), 0);
	CHECK_EQ(hoop_ring_register_eventfd(ring, efd), -EBUSY);
	CHECK_EQ(drain(efd, 0), 0);
	nop(ring, 0);
	CHECK_EQ(drain(efd, 2000), 1);
	nop(ring, 0);
	nop(ring, 0);
	CHECK_EQ(drain(efd, 2000), 2);
	CHECK_EQ(hoop_ring_unregister_eventfd(ring), 0);
	nop(ring, 0);
	CHECK_EQ(drain(efd, 50), 0);
	CHECK_EQ(hoop_ring_unregister_eventfd(ring), -ENXIO);

	/* Async: an inline NOP is silent, a NOP forced to io-wq signals. */
	CHECK_EQ(hoop_ring_register_eventfd_async(ring, efd), 0);
	nop(ring, 0);
	CHECK_EQ(drain(efd, 50), 0);
	nop(ring, HOOP_SQE_ASYNC);
	CHECK_EQ(drain(efd, 2000), 1);
	CHECK_EQ(hoop_ring_unregister_eventfd(ring), 0);
	nop(ring, HOOP_SQE_ASYNC);
	CHECK_EQ(drain(efd, 50), 0);

	hoop_ring_destroy(ring);
	close(efd);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
