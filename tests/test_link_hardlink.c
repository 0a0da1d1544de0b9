/*
 * A hard link keeps the chain going after a member fails: a read on fd -1
 * (-EBADF) and an expiring timeout (-ETIME) are each followed by a NOP that
 * still runs and completes with 0. A soft link in the same place cancels.
 */
#include "helpers.h"

#include <errno.h>

static void pair(hoop_ring *ring, int use_timeout, unsigned link_flag,
                 int want_head, int want_next)
{
	char buf[8];
	struct hoop_timespec ts = {0, 5 * 1000000};
	struct hoop_sqe *sqe = t_sqe(ring);
	if (use_timeout)
		hoop_prep_timeout(sqe, &ts, 0, 0);
	else
		hoop_prep_read(sqe, -1, buf, sizeof(buf), 0);
	hoop_sqe_set_data(sqe, 1);
	hoop_sqe_set_flags(sqe, link_flag);
	sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 2);
	CHECK_EQ(hoop_ring_submit(ring), 2);
	/* The second member starts only after the first finished. */
	struct hoop_cqe a = t_wait_one(ring);
	struct hoop_cqe b = t_wait_one(ring);
	CHECK_EQ(a.user_data, 1);
	CHECK_EQ(a.res, want_head);
	CHECK_EQ(b.user_data, 2);
	CHECK_EQ(b.res, want_next);
}

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	pair(ring, 0, HOOP_SQE_IO_HARDLINK, -EBADF, 0);
	pair(ring, 1, HOOP_SQE_IO_HARDLINK, -ETIME, 0);
	pair(ring, 0, HOOP_SQE_IO_LINK, -EBADF, -ECANCELED);
	pair(ring, 1, HOOP_SQE_IO_LINK, -ETIME, -ECANCELED);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	hoop_ring_destroy(ring);
	return T_PASS;
}
