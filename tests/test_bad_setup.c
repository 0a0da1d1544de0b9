/*
 * Bad setup parameters are refused with -EINVAL, leave *out untouched and
 * leak no fd: 0 entries, 1<<20 entries without CLAMP, an unknown flag bit
 * (1<<31), CQSIZE with cq_entries 0, a NULL out pointer,
 * REGISTERED_FD_ONLY without NO_MMAP, SQ_AFF without SQPOLL, TASKRUN_FLAG
 * without COOP_TASKRUN or DEFER_TASKRUN, DEFER_TASKRUN without
 * SINGLE_ISSUER. (Memory leaks are checked by the ASan build.)
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>

static int create(hoop_ring **out, unsigned entries, uint32_t flags, unsigned cq)
{
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = flags;
	p.cq_entries = cq;
	return hoop_ring_create(out, entries, &p);
}

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring *const sentinel = (hoop_ring *)0x1;
	hoop_ring *ring = sentinel;

	CHECK_EQ(create(&ring, 0, 0, 0), -EINVAL);
	CHECK_EQ(hoop_ring_create(&ring, 0, NULL), -EINVAL);
	CHECK_EQ(create(&ring, 1u << 20, 0, 0), -EINVAL);
	CHECK_EQ(create(&ring, 8, 0x80000000u, 0), -EINVAL);
	CHECK_EQ(create(&ring, 8, HOOP_SETUP_CQSIZE, 0), -EINVAL);
	CHECK_EQ(hoop_ring_create(NULL, 8, NULL), -EINVAL);
	CHECK_EQ(create(NULL, 8, 0, 0), -EINVAL);
	CHECK_EQ(create(&ring, 8, HOOP_SETUP_REGISTERED_FD_ONLY, 0), -EINVAL);
	CHECK_EQ(create(&ring, 8, HOOP_SETUP_SQ_AFF, 0), -EINVAL);
	CHECK_EQ(create(&ring, 8, HOOP_SETUP_TASKRUN_FLAG, 0), -EINVAL);
	CHECK_EQ(create(&ring, 8, HOOP_SETUP_DEFER_TASKRUN, 0), -EINVAL);
	CHECK(ring == sentinel);
	CHECK_EQ(t_fd_count(), fds0);

	/* Each refusal left the library usable. */
	ring = t_ring(4, 0);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 1);
	CHECK_EQ(t_submit_wait_one(ring).user_data, 1);
	hoop_ring_destroy(ring);
	hoop_ring_destroy(NULL); /* accepted, does nothing */
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
