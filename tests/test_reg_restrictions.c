/*
 * Restrictions: a ring created disabled accepts a whitelist once, then is
 * enabled; allowed operations run, others fail with -EACCES, both for SQE
 * opcodes and for register opcodes.
 */
#include "helpers.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

static int submit_op(hoop_ring *ring, int op, int fd, void *buf)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	if (op == HOOP_OP_NOP)
		hoop_prep_nop(sqe);
	else
		hoop_prep_read(sqe, fd, buf, 8, 0);
	hoop_sqe_set_data(sqe, 7);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 7);
	return c.res;
}

int main(void)
{
	int fds_before = t_fd_count();
	int fd = t_tmpfile(64, NULL);
	char buf[8];
	struct hoop_restriction only_nop[1] = {
	        {.opcode = HOOP_RESTRICTION_SQE_OP, .op = HOOP_OP_NOP}};

	/* An enabled ring cannot take restrictions any more. */
	hoop_ring *plain = t_ring(4, 0);
	CHECK_EQ(hoop_ring_register_restrictions(plain, only_nop, 1), -EBADFD);
	CHECK_EQ(submit_op(plain, HOOP_OP_READ, fd, buf), 8);
	hoop_ring_destroy(plain);

	hoop_ring *ring = t_ring(4, HOOP_SETUP_R_DISABLED);
	CHECK_EQ(hoop_ring_register_restrictions(ring, NULL, 1), -EFAULT);
	struct hoop_restriction bad = {.opcode = 99};
	CHECK_EQ(hoop_ring_register_restrictions(ring, &bad, 1), -EINVAL);
	CHECK_EQ(hoop_ring_register_restrictions(ring, only_nop, 1), 0);
	CHECK_EQ(hoop_ring_register_restrictions(ring, only_nop, 1), -EBUSY);
	CHECK_EQ(hoop_ring_enable(ring), 0);
	CHECK_EQ(submit_op(ring, HOOP_OP_NOP, -1, NULL), 0);
	CHECK_EQ(submit_op(ring, HOOP_OP_READ, fd, buf), -EACCES);
	CHECK_EQ(submit_op(ring, HOOP_OP_NOP, -1, NULL), 0);
	/* No register opcode was allowed. */
	CHECK_EQ(hoop_ring_probe_ops(ring, NULL, 0), -EACCES);
	hoop_ring_destroy(ring);

	/* Register opcodes: allow the probe, nothing else. */
	ring = t_ring(4, HOOP_SETUP_R_DISABLED);
	struct hoop_restriction probe_only[2] = {
	        {.opcode = HOOP_RESTRICTION_REGISTER_OP, .op = HOOP_REGISTER_PROBE},
	        {.opcode = HOOP_RESTRICTION_SQE_OP, .op = HOOP_OP_READ}};
	CHECK_EQ(hoop_ring_register_restrictions(ring, probe_only, 2), 0);
	CHECK_EQ(hoop_ring_enable(ring), 0);
	CHECK(hoop_ring_probe_ops(ring, NULL, 0) > HOOP_OP_READ);
	int efd = eventfd(0, EFD_CLOEXEC);
	CHECK(efd >= 0);
	CHECK_EQ(hoop_ring_register_eventfd(ring, efd), -EACCES);
	CHECK_EQ(submit_op(ring, HOOP_OP_READ, fd, buf), 8);
	CHECK_EQ(submit_op(ring, HOOP_OP_NOP, -1, NULL), -EACCES);
	hoop_ring_destroy(ring);

	close(efd);
	close(fd);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
