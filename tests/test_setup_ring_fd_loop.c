/*
 * Registered ring fds are a small per-thread table (16 slots in Linux), so
 * destroy must give the slot back: 100 create/destroy cycles each of
 * HOOP_RING_REGISTER_RING_FD rings and of NO_MMAP|REGISTERED_FD_ONLY rings
 * (whose only handle is the slot) all succeed, and 16 live rings of each
 * kind can coexist with a NOP round trip each.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>

static hoop_ring *make(int reg_only)
{
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	if (reg_only)
		p.flags = HOOP_SETUP_NO_MMAP | HOOP_SETUP_REGISTERED_FD_ONLY;
	else
		p.hoop_flags = HOOP_RING_REGISTER_RING_FD;
	hoop_ring *ring = NULL;
	int r = hoop_ring_create(&ring, 2, &p);
	if (r != 0)
		fprintf(stderr, "create (reg_only %d): %s\n", reg_only,
		        hoop_strerror(r));
	CHECK_EQ(r, 0);
	return ring;
}

static void nop(hoop_ring *ring, uint64_t ud)
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
	hoop_ring_destroy(t_ring(2, 0)); /* skip where io_uring is missing */
	int fds0 = t_fd_count();
	int kinds = 1;
	if (!t_kernel_at_least(6, 5)) {
		/* NO_MMAP and REGISTERED_FD_ONLY need 6.5: refused. */
		hoop_ring_params p;
		memset(&p, 0, sizeof(p));
		p.flags = HOOP_SETUP_NO_MMAP | HOOP_SETUP_REGISTERED_FD_ONLY;
		hoop_ring *ring = NULL;
		CHECK_EQ(hoop_ring_create(&ring, 2, &p), -EINVAL);
		CHECK(ring == NULL);
		printf("SKIP part: NO_MMAP|REGISTERED_FD_ONLY rings need 6.5 "
		       "(refused with -EINVAL, checked)\n");
		kinds = 0;
	}
	for (int kind = 0; kind <= kinds; kind++) {
		for (int i = 0; i < 100; i++) {
			hoop_ring *ring = make(kind);
			nop(ring, (uint64_t)i);
			hoop_ring_destroy(ring);
		}
		hoop_ring *rings[16];
		for (int i = 0; i < 16; i++)
			rings[i] = make(kind);
		for (int i = 0; i < 16; i++)
			nop(rings[i], (uint64_t)(1000 + i));
		for (int i = 0; i < 16; i++)
			hoop_ring_destroy(rings[i]);
		CHECK_EQ(t_fd_count(), fds0);
	}
	return T_PASS;
}
