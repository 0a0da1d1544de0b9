/*
 * A read on an empty pipe linked to a 10 ms link timeout: the timer fires,
 * the read gets -ECANCELED and the timer -ETIME (each exactly once).
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
	struct hoop_timespec ts = {0, 10 * 1000000};

	uint64_t t0 = t_now_ns();
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read(sqe, p[0], buf, sizeof(buf), 0);
	hoop_sqe_set_data(sqe, 1);
	hoop_sqe_set_flags(sqe, HOOP_SQE_IO_LINK);
	sqe = t_sqe(ring);
	hoop_prep_link_timeout(sqe, &ts, 0);
	hoop_sqe_set_data(sqe, 2);
	CHECK_EQ(hoop_ring_submit(ring), 2);

	int res[3] = {1, 1, 1}, count[3] = {0};
	for (int i = 0; i < 2; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		CHECK(c.user_data == 1 || c.user_data == 2);
		count[c.user_data]++;
		res[c.user_data] = c.res;
	}
	uint64_t elapsed = t_now_ns() - t0;
	CHECK_EQ(count[1], 1);
	CHECK_EQ(count[2], 1);
	CHECK_EQ(res[1], -ECANCELED);
	CHECK_EQ(res[2], -ETIME);
	CHECK(elapsed >= 8 * 1000000ull);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);

	hoop_ring_destroy(ring);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
