/*
 * Cancel by user_data: a read on an empty pipe is cancelled (-ECANCELED)
 * and the cancel itself completes with 0; the pipe is untouched.
 */
#include "helpers.h"

#include <errno.h>
#include <unistd.h>

int main(void)
{
	int fds0 = t_fd_count();
	int p[2];
	CHECK_EQ(pipe(p), 0);
	hoop_ring *ring = t_ring(8, 0);
	char buf[16];

	for (int round = 0; round < 2; round++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_read(sqe, p[0], buf, sizeof(buf), 0);
		hoop_sqe_set_data(sqe, 1);
		CHECK_EQ(hoop_ring_submit(ring), 1);
		CHECK_EQ(hoop_ring_cq_ready(ring), 0);

		sqe = t_sqe(ring);
		/* The second round cancels with the explicit USERDATA flag. */
		hoop_prep_cancel(sqe, 1, round ? HOOP_ASYNC_CANCEL_USERDATA : 0);
		hoop_sqe_set_data(sqe, 2);
		CHECK_EQ(hoop_ring_submit(ring), 1);
		int res[3] = {1, 1, 1}, count[3] = {0};
		for (int i = 0; i < 2; i++) {
			struct hoop_cqe c = t_wait_one(ring);
			CHECK(c.user_data == 1 || c.user_data == 2);
			count[c.user_data]++;
			res[c.user_data] = c.res;
		}
		CHECK_EQ(count[1], 1);
		CHECK_EQ(count[2], 1);
		CHECK_EQ(res[1], -ECANCELED);
		CHECK_EQ(res[2], 0);
	}
	/* The data written now stays in the pipe: no read is left. */
	CHECK_EQ(write(p[1], "ab", 2), 2);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 2);

	hoop_ring_destroy(ring);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
