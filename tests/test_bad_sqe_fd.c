/*
 * Operations on bad file descriptors report -EBADF in their CQE: fd -1,
 * a closed fd, and a huge fd number. The ring is unaffected.
 */
#include "helpers.h"

#include <errno.h>
#include <unistd.h>

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	int p[2];
	CHECK_EQ(pipe(p), 0);
	int closed = p[0];
	close(p[0]);
	close(p[1]);
	char buf[16];
	const int bad[] = {-1, closed, 1 << 30};
	for (unsigned i = 0; i < 3; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_read(sqe, bad[i], buf, sizeof(buf), 0);
		hoop_sqe_set_data(sqe, 10 + i);
		sqe = t_sqe(ring);
		hoop_prep_write(sqe, bad[i], buf, sizeof(buf), 0);
		hoop_sqe_set_data(sqe, 20 + i);
	}
	CHECK_EQ(hoop_ring_submit(ring), 6);
	for (int i = 0; i < 6; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		CHECK((c.user_data >= 10 && c.user_data <= 12) ||
		      (c.user_data >= 20 && c.user_data <= 22));
		CHECK_EQ(c.res, -EBADF);
	}
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 1);
	CHECK_EQ(t_submit_wait_one(ring).res, 0);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
