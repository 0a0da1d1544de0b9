/*
 * Entry counts: rounded up to a power of two; above 32768 SQ entries
 * refused with -EINVAL unless HOOP_SETUP_CLAMP, which clamps to 32768 SQ
 * and 65536 CQ entries.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>

static int create(hoop_ring **ring, unsigned entries, uint32_t flags)
{
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = flags;
	return hoop_ring_create(ring, entries, &p);
}

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring *ring = NULL;

	CHECK_EQ(create(&ring, 5, 0), 0);
	CHECK_EQ(hoop_ring_sq_entries(ring), 8);
	CHECK_EQ(hoop_ring_cq_entries(ring), 16);
	hoop_ring_destroy(ring);

	CHECK_EQ(create(&ring, 1, 0), 0);
	CHECK_EQ(hoop_ring_sq_entries(ring), 1);
	CHECK_EQ(hoop_ring_cq_entries(ring), 2);
	hoop_ring_destroy(ring);

	CHECK_EQ(create(&ring, 32768, 0), 0);
	CHECK_EQ(hoop_ring_sq_entries(ring), 32768);
	hoop_ring_destroy(ring);

	ring = NULL;
	CHECK_EQ(create(&ring, 32769, 0), -EINVAL);
	CHECK_EQ(create(&ring, 1u << 20, 0), -EINVAL);
	CHECK(ring == NULL);

	CHECK_EQ(create(&ring, 1u << 20, HOOP_SETUP_CLAMP), 0);
	CHECK_EQ(hoop_ring_sq_entries(ring), 32768);
	CHECK_EQ(hoop_ring_cq_entries(ring), 65536);
	/* A clamped ring works. */
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 3);
	CHECK_EQ(t_submit_wait_one(ring).user_data, 3);
	hoop_ring_destroy(ring);

	CHECK_EQ(create(&ring, 0xffffffffu, HOOP_SETUP_CLAMP), 0);
	CHECK_EQ(hoop_ring_sq_entries(ring), 32768);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
