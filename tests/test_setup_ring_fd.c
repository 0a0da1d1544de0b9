/*
 * Registered ring fd: HOOP_RING_REGISTER_RING_FD registers it at creation
 * (registering again reports 0, "already"); unregister gives 1 and the ring
 * keeps working through its plain fd; a second unregister is -EINVAL;
 * registering by hand gives 1. Raw hoop_ring_enter works in both states.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>

static void nop_round_trip(hoop_ring *ring, uint64_t ud)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, ud);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, ud);
	CHECK_EQ(c.res, 0);
}

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.hoop_flags = HOOP_RING_REGISTER_RING_FD;
	hoop_ring *ring = NULL;
	CHECK_EQ(hoop_ring_create(&ring, 8, &p), 0);
	nop_round_trip(ring, 1);
	/* Registered already: -EEXIST, as the kernel answers a taken slot. */
	CHECK_EQ(hoop_ring_register_ring_fd(ring), -EEXIST);
	/* A raw enter (GETEVENTS, nothing to wait for) goes through the index. */
	CHECK_EQ(hoop_ring_enter(ring, 0, 0, HOOP_ENTER_GETEVENTS, NULL, 0), 0);

	CHECK_EQ(hoop_ring_unregister_ring_fd(ring), 1);
	CHECK_EQ(hoop_ring_unregister_ring_fd(ring), -EINVAL);
	nop_round_trip(ring, 2);
	CHECK_EQ(hoop_ring_enter(ring, 0, 0, HOOP_ENTER_GETEVENTS, NULL, 0), 0);

	CHECK_EQ(hoop_ring_register_ring_fd(ring), 1);
	nop_round_trip(ring, 3);
	hoop_ring_destroy(ring); /* unregisters and closes */
	CHECK_EQ(t_fd_count(), fds0);

	/* Many rings, each with a registered fd, destroyed in turn. */
	hoop_ring *rings[8];
	for (int i = 0; i < 8; i++) {
		rings[i] = NULL;
		CHECK_EQ(hoop_ring_create(&rings[i], 2, &p), 0);
	}
	for (int i = 0; i < 8; i++)
		nop_round_trip(rings[i], (uint64_t)(100 + i));
	for (int i = 0; i < 8; i++)
		hoop_ring_destroy(rings[i]);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
