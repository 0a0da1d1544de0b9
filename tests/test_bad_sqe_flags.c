/*
 * An SQE flag bit the kernel does not know (0x80) gets -EINVAL in the CQE,
 * alone or next to a valid one; HOOP_SQE_FIXED_FILE with no registered
 * files gets -EBADF. The ring keeps working.
 */
#include "helpers.h"

#include <errno.h>

static int one(hoop_ring *ring, uint8_t flags, uint64_t ud)
{
	char buf[8];
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read(sqe, 0, buf, sizeof(buf), 0);
	sqe->flags = flags;
	hoop_sqe_set_data(sqe, ud);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	struct hoop_cqe c = t_wait_one(ring);
	CHECK_EQ(c.user_data, ud);
	return c.res;
}

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	CHECK_EQ(one(ring, 0x80, 1), -EINVAL);
	CHECK_EQ(one(ring, 0x80 | HOOP_SQE_IO_LINK, 2), -EINVAL);
	CHECK_EQ(one(ring, HOOP_SQE_FIXED_FILE, 3), -EBADF);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 4);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 4);
	CHECK_EQ(c.res, 0);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
