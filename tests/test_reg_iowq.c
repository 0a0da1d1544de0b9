/*
 * io-wq limits: max workers set and read back (values[] returns the previous
 * limits), 0 leaves a limit alone; CPU affinity set and removed.
 */
#include "helpers.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	hoop_ring *ring = t_ring(4, 0);

	unsigned v[2] = {0, 0};
	CHECK_EQ(hoop_ring_register_iowq_max_workers(ring, v), 0);
	unsigned orig_bounded = v[0], orig_unbounded = v[1];
	CHECK(orig_bounded > 0);
	CHECK(orig_unbounded > 0);

	v[0] = 3;
	v[1] = 5;
	CHECK_EQ(hoop_ring_register_iowq_max_workers(ring, v), 0);
	CHECK_EQ(v[0], orig_bounded);
	CHECK_EQ(v[1], orig_unbounded);
	v[0] = v[1] = 0;
	CHECK_EQ(hoop_ring_register_iowq_max_workers(ring, v), 0);
	CHECK_EQ(v[0], 3);
	CHECK_EQ(v[1], 5);
	/* Change only the unbounded limit. */
	v[0] = 0;
	v[1] = 2;
	CHECK_EQ(hoop_ring_register_iowq_max_workers(ring, v), 0);
	CHECK_EQ(v[0], 3);
	CHECK_EQ(v[1], 5);
	v[0] = v[1] = 0;
	CHECK_EQ(hoop_ring_register_iowq_max_workers(ring, v), 0);
	CHECK_EQ(v[0], 3);
	CHECK_EQ(v[1], 2);
	CHECK_EQ(hoop_ring_register_iowq_max_workers(ring, NULL), -EFAULT);

	/* Work still runs on io-wq with the limits in place. */
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_flags(sqe, HOOP_SQE_ASYNC);
	hoop_sqe_set_data(sqe, 9);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 9);
	CHECK_EQ(c.res, 0);

	/* Affinity: the CPUs this process may use; then removed. */
	cpu_set_t set;
	CPU_ZERO(&set);
	CHECK_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
	CHECK_EQ(hoop_ring_register_iowq_aff(ring, sizeof(set), &set), 0);
	sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_flags(sqe, HOOP_SQE_ASYNC);
	CHECK_EQ(t_submit_wait_one(ring).res, 0);
	CHECK_EQ(hoop_ring_unregister_iowq_aff(ring), 0);
	CHECK_EQ(hoop_ring_register_iowq_aff(ring, 0, &set), -EINVAL);
	CHECK_EQ(hoop_ring_register_iowq_aff(ring, sizeof(set), NULL), -EINVAL);

	hoop_ring_destroy(ring);
	return T_PASS;
}
