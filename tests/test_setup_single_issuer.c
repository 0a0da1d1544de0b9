/*
 * HOOP_SETUP_SINGLE_ISSUER (with and without DEFER_TASKRUN): the creating
 * thread submits and waits; another thread's submission is refused with
 * -EEXIST (RELIABILITY.md row 7), and the ring still works for its owner.
 */
#include "helpers.h"

#include <errno.h>
#include <pthread.h>

static void *other_thread(void *arg)
{
	hoop_ring *ring = arg;
	struct hoop_sqe *sqe = hoop_ring_get_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 2);
	return (void *)(intptr_t)hoop_ring_submit_and_wait(ring, 1);
}

static void run(uint32_t flags)
{
	hoop_ring *ring = t_ring(8, flags);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 1);
	CHECK_EQ(t_submit_wait_one(ring).user_data, 1);

	pthread_t th;
	void *ret = NULL;
	CHECK_EQ(pthread_create(&th, NULL, other_thread, ring), 0);
	CHECK_EQ(pthread_join(th, &ret), 0);
	CHECK_EQ((intptr_t)ret, -EEXIST);

	/* The owner submits the SQE the other thread prepared. */
	CHECK_EQ(hoop_ring_sq_ready(ring), 1);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 2);
	CHECK_EQ(c.res, 0);
	hoop_ring_destroy(ring);
}

int main(void)
{
	int fds0 = t_fd_count();
	run(HOOP_SETUP_SINGLE_ISSUER);
	run(HOOP_SETUP_SINGLE_ISSUER | HOOP_SETUP_DEFER_TASKRUN);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
