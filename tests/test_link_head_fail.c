/*
 * A chain whose head fails cancels the rest: the head reports its own error,
 * every later member -ECANCELED. Two heads: a read on fd -1 (fails when it
 * runs) and an unknown opcode (fails when the kernel reads the SQE).
 */
#include "helpers.h"

#include <errno.h>

static void chain(hoop_ring *ring, int bad_opcode)
{
	char buf[8];
	struct hoop_sqe *sqe = t_sqe(ring);
	if (bad_opcode) {
		hoop_prep_nop(sqe);
		sqe->opcode = HOOP_OP_LAST + 10;
	} else {
		hoop_prep_read(sqe, -1, buf, sizeof(buf), 0);
	}
	hoop_sqe_set_data(sqe, 1);
	hoop_sqe_set_flags(sqe, HOOP_SQE_IO_LINK);
	for (int i = 2; i <= 3; i++) {
		sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, (uint64_t)i);
		if (i == 2)
			hoop_sqe_set_flags(sqe, HOOP_SQE_IO_LINK);
	}
	CHECK_EQ(hoop_ring_submit(ring), 3);
	int res[4] = {0, 1, 1, 1}, count[4] = {0};
	for (int i = 0; i < 3; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		CHECK(c.user_data >= 1 && c.user_data <= 3);
		count[c.user_data]++;
		res[c.user_data] = c.res;
	}
	for (int i = 1; i <= 3; i++)
		CHECK_EQ(count[i], 1);
	CHECK_EQ(res[1], bad_opcode ? -EINVAL : -EBADF);
	CHECK_EQ(res[2], -ECANCELED);
	CHECK_EQ(res[3], -ECANCELED);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
}

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	chain(ring, 0);
	chain(ring, 1);
	/* The ring is fine afterwards. */
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 9);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 9);
	CHECK_EQ(c.res, 0);
	hoop_ring_destroy(ring);
	return T_PASS;
}
