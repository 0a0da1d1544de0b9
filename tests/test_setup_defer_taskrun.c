/*
 * DEFER_TASKRUN (with SINGLE_ISSUER) runs completion work only when the
 * owner enters the kernel to get events. A poll that fires after a write:
 *   - without TASKRUN_FLAG, peek cannot know and keeps giving -EAGAIN;
 *     hoop_ring_get_events runs the work and the CQE (POLLIN) appears;
 *   - with TASKRUN_FLAG the kernel raises HOOP_SQ_TASKRUN, and
 *     hoop_ring_peek_cqe enters by itself and returns the CQE.
 * A plain wait works in both cases.
 */
#include "helpers.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

static void arm(hoop_ring *ring, int fd, uint64_t ud)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_poll_add(sqe, fd, POLLIN);
	hoop_sqe_set_data(sqe, ud);
	CHECK_EQ(hoop_ring_submit(ring), 1);
}

int main(void)
{
	int fds0 = t_fd_count();
	int p[2];
	CHECK_EQ(pipe(p), 0);
	char b;
	const uint32_t base = HOOP_SETUP_SINGLE_ISSUER | HOOP_SETUP_DEFER_TASKRUN;

	hoop_ring *ring = t_ring(8, base);
	arm(ring, p[0], 1);
	CHECK_EQ(write(p[1], "x", 1), 1);
	struct hoop_cqe *cqe = NULL;
	for (int i = 0; i < 5; i++)
		CHECK_EQ(hoop_ring_peek_cqe(ring, &cqe), -EAGAIN);
	CHECK_EQ(hoop_ring_get_events(ring), 0);
	CHECK_EQ(hoop_ring_peek_cqe(ring, &cqe), 0);
	CHECK_EQ(cqe->user_data, 1);
	CHECK_EQ(cqe->res, POLLIN);
	hoop_ring_cqe_seen(ring, cqe);
	CHECK_EQ(read(p[0], &b, 1), 1);

	arm(ring, p[0], 2);
	CHECK_EQ(write(p[1], "y", 1), 1);
	struct hoop_cqe c = t_wait_one(ring);
	CHECK_EQ(c.user_data, 2);
	CHECK_EQ(c.res, POLLIN);
	CHECK_EQ(read(p[0], &b, 1), 1);
	hoop_ring_destroy(ring);

	ring = t_ring(8, base | HOOP_SETUP_TASKRUN_FLAG);
	arm(ring, p[0], 3);
	CHECK_EQ(write(p[1], "z", 1), 1);
	/* The wakeup that sets the flag is synchronous with the write. */
	CHECK_EQ(hoop_ring_peek_cqe(ring, &cqe), 0);
	CHECK_EQ(cqe->user_data, 3);
	CHECK_EQ(cqe->res, POLLIN);
	hoop_ring_cqe_seen(ring, cqe);
	hoop_ring_destroy(ring);

	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
