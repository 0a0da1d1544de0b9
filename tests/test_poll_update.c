/*
 * poll_update changes a pending poll: its user_data (the event then arrives
 * under the new value) and its event mask (POLLIN on a pipe's write end
 * never fires; updated to POLLOUT it fires at once). Updating an unknown
 * poll gives -ENOENT; a new user_data without the flag for it, -EINVAL.
 */
#include "helpers.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

/* Submit one update and return its result. */
static int update(hoop_ring *ring, uint64_t old_ud, uint64_t new_ud,
                  unsigned mask, unsigned flags)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_poll_update(sqe, old_ud, new_ud, mask, flags);
	hoop_sqe_set_data(sqe, 500);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	struct hoop_cqe c = t_wait_one(ring);
	CHECK_EQ(c.user_data, 500);
	return c.res;
}

int main(void)
{
	int fds0 = t_fd_count();
	int p[2];
	CHECK_EQ(pipe(p), 0);
	hoop_ring *ring = t_ring(8, 0);

	/* New user_data. */
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_poll_add(sqe, p[0], POLLIN);
	hoop_sqe_set_data(sqe, 1);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	CHECK_EQ(update(ring, 1, 2, 0, HOOP_POLL_UPDATE_USER_DATA), 0);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	struct hoop_cqe c = t_wait_one(ring);
	CHECK_EQ(c.user_data, 2);
	CHECK_EQ(c.res, POLLIN);
	char b;
	CHECK_EQ(read(p[0], &b, 1), 1);

	/* New events. */
	sqe = t_sqe(ring);
	hoop_prep_poll_add(sqe, p[1], POLLIN);
	hoop_sqe_set_data(sqe, 10);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	struct hoop_cqe *cqe;
	struct hoop_timespec ts = {0, 20 * 1000000};
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &ts), -ETIME);
	sqe = t_sqe(ring);
	hoop_prep_poll_update(sqe, 10, 0, POLLOUT, HOOP_POLL_UPDATE_EVENTS);
	hoop_sqe_set_data(sqe, 500);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	int upd = 0, fired = 0;
	for (int i = 0; i < 2; i++) {
		c = t_wait_one(ring);
		if (c.user_data == 500) {
			CHECK_EQ(c.res, 0);
			upd++;
		} else {
			CHECK_EQ(c.user_data, 10);
			CHECK_EQ(c.res, POLLOUT);
			fired++;
		}
	}
	CHECK_EQ(upd, 1);
	CHECK_EQ(fired, 1);

	/* Both at once, then remove under the new user_data. */
	sqe = t_sqe(ring);
	hoop_prep_poll_add(sqe, p[0], POLLIN);
	hoop_sqe_set_data(sqe, 20);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	CHECK_EQ(update(ring, 20, 21, POLLIN,
	                HOOP_POLL_UPDATE_EVENTS | HOOP_POLL_UPDATE_USER_DATA),
	         0);
	sqe = t_sqe(ring);
	hoop_prep_poll_remove(sqe, 20);
	hoop_sqe_set_data(sqe, 600);
	c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 600);
	CHECK_EQ(c.res, -ENOENT); /* it is 21 now */
	sqe = t_sqe(ring);
	hoop_prep_poll_remove(sqe, 21);
	hoop_sqe_set_data(sqe, 601);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	for (int i = 0; i < 2; i++) {
		c = t_wait_one(ring);
		if (c.user_data == 601)
			CHECK_EQ(c.res, 0);
		else {
			CHECK_EQ(c.user_data, 21);
			CHECK_EQ(c.res, -ECANCELED);
		}
	}

	/* Unknown poll. */
	CHECK_EQ(update(ring, 999, 1000, POLLIN,
	                HOOP_POLL_UPDATE_EVENTS | HOOP_POLL_UPDATE_USER_DATA),
	         -ENOENT);
	/* A new user_data without HOOP_POLL_UPDATE_USER_DATA is refused. */
	CHECK_EQ(update(ring, 999, 1000, POLLIN, HOOP_POLL_UPDATE_EVENTS), -EINVAL);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);

	hoop_ring_destroy(ring);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
