/*
 * Cancel by fd: without ALL the first matching request is cancelled (res
 * 0); with ALL every request on that fd (res = the count). Requests on
 * another fd are untouched and complete normally.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void read_on(hoop_ring *ring, int fd, char *buf, uint64_t ud)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read(sqe, fd, buf, 8, 0);
	hoop_sqe_set_data(sqe, ud);
}

int main(void)
{
	int fds0 = t_fd_count();
	int a[2], b[2];
	CHECK_EQ(pipe(a), 0);
	CHECK_EQ(pipe(b), 0);
	hoop_ring *ring = t_ring(16, 0);
	static char bufs[8][8];

	read_on(ring, a[0], bufs[0], 1);
	read_on(ring, a[0], bufs[1], 2);
	read_on(ring, a[0], bufs[2], 3);
	read_on(ring, b[0], bufs[3], 4);
	CHECK_EQ(hoop_ring_submit(ring), 4);

	/* One of the three on a[0]. */
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_cancel_fd(sqe, a[0], 0);
	hoop_sqe_set_data(sqe, 100);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	int cancelled = 0, cancel_res = 1;
	for (int i = 0; i < 2; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		if (c.user_data == 100) {
			cancel_res = c.res;
		} else {
			CHECK(c.user_data >= 1 && c.user_data <= 3);
			CHECK_EQ(c.res, -ECANCELED);
			cancelled++;
		}
	}
	CHECK_EQ(cancel_res, 0);
	CHECK_EQ(cancelled, 1);

	/* The other two on a[0]. */
	sqe = t_sqe(ring);
	hoop_prep_cancel_fd(sqe, a[0], HOOP_ASYNC_CANCEL_ALL);
	hoop_sqe_set_data(sqe, 101);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	cancelled = 0;
	cancel_res = -1;
	for (int i = 0; i < 3; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		if (c.user_data == 101) {
			cancel_res = c.res;
		} else {
			CHECK(c.user_data >= 1 && c.user_data <= 3);
			CHECK_EQ(c.res, -ECANCELED);
			cancelled++;
		}
	}
	CHECK_EQ(cancel_res, 2);
	CHECK_EQ(cancelled, 2);

	/* Nothing is left on a[0]; the read on b[0] is still pending. */
	sqe = t_sqe(ring);
	hoop_prep_cancel_fd(sqe, a[0], 0);
	hoop_sqe_set_data(sqe, 102);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 102);
	CHECK_EQ(c.res, -ENOENT);
	CHECK_EQ(write(b[1], "data", 4), 4);
	c = t_wait_one(ring);
	CHECK_EQ(c.user_data, 4);
	CHECK_EQ(c.res, 4);
	CHECK(memcmp(bufs[3], "data", 4) == 0);

	hoop_ring_destroy(ring);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
