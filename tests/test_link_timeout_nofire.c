/*
 * A link timeout that does not fire: the operation reports its real result
 * and the timer -ECANCELED. Once with a NOP, once with a pipe read whose
 * data arrives before the (long) timer.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void run(hoop_ring *ring, int rfd, int wfd)
{
	char buf[16];
	struct hoop_timespec ts = {5, 0};
	struct hoop_sqe *sqe = t_sqe(ring);
	if (rfd >= 0)
		hoop_prep_read(sqe, rfd, buf, sizeof(buf), 0);
	else
		hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 1);
	hoop_sqe_set_flags(sqe, HOOP_SQE_IO_LINK);
	sqe = t_sqe(ring);
	hoop_prep_link_timeout(sqe, &ts, 0);
	hoop_sqe_set_data(sqe, 2);
	uint64_t t0 = t_now_ns();
	CHECK_EQ(hoop_ring_submit(ring), 2);
	if (wfd >= 0)
		CHECK_EQ(write(wfd, "hello", 5), 5);

	int res[3] = {1, 1, 1}, count[3] = {0};
	for (int i = 0; i < 2; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		CHECK(c.user_data == 1 || c.user_data == 2);
		count[c.user_data]++;
		res[c.user_data] = c.res;
	}
	CHECK_EQ(count[1], 1);
	CHECK_EQ(count[2], 1);
	CHECK_EQ(res[1], rfd >= 0 ? 5 : 0);
	CHECK_EQ(res[2], -ECANCELED);
	if (rfd >= 0)
		CHECK(memcmp(buf, "hello", 5) == 0);
	/* Well before the 5 s timer. */
	CHECK(t_now_ns() - t0 < 4000000000ull);
}

int main(void)
{
	int fds0 = t_fd_count();
	int p[2];
	CHECK_EQ(pipe(p), 0);
	hoop_ring *ring = t_ring(8, 0);
	run(ring, -1, -1);
	run(ring, p[0], p[1]);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	hoop_ring_destroy(ring);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
