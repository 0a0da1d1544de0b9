/*
 * A one-shot poll on a pipe's read end does not fire while the pipe is
 * empty and fires with exactly POLLIN after a write. POLLOUT on the write
 * end fires at once.
 */
#include "helpers.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

int main(void)
{
	int fds0 = t_fd_count();
	int p[2];
	CHECK_EQ(pipe(p), 0);
	hoop_ring *ring = t_ring(8, 0);

	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_poll_add(sqe, p[0], POLLIN);
	hoop_sqe_set_data(sqe, 1);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	struct hoop_cqe *cqe;
	struct hoop_timespec ts = {0, 20 * 1000000};
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &ts), -ETIME);

	CHECK_EQ(write(p[1], "x", 1), 1);
	struct hoop_cqe c = t_wait_one(ring);
	CHECK_EQ(c.user_data, 1);
	CHECK_EQ(c.res, POLLIN);
	CHECK_EQ(c.flags & HOOP_CQE_F_MORE, 0);

	sqe = t_sqe(ring);
	hoop_prep_poll_add(sqe, p[1], POLLOUT);
	hoop_sqe_set_data(sqe, 2);
	c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 2);
	CHECK_EQ(c.res, POLLOUT);

	/* Already readable: fires at once. */
	sqe = t_sqe(ring);
	hoop_prep_poll_add(sqe, p[0], POLLIN);
	hoop_sqe_set_data(sqe, 3);
	c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 3);
	CHECK_EQ(c.res, POLLIN);

	/* Closing the write end: POLLHUP is always reported. */
	char b;
	CHECK_EQ(read(p[0], &b, 1), 1);
	sqe = t_sqe(ring);
	hoop_prep_poll_add(sqe, p[0], POLLIN);
	hoop_sqe_set_data(sqe, 4);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	close(p[1]);
	c = t_wait_one(ring);
	CHECK_EQ(c.user_data, 4);
	CHECK_EQ(c.res, POLLHUP);

	hoop_ring_destroy(ring);
	close(p[0]);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
