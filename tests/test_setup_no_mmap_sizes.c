/*
 * HOOP_SETUP_NO_MMAP (hoop allocates the ring memory) across sizes: 1, 64,
 * 4096 and 32768 SQ entries, with a larger CQ, and with SQE128|CQE32. Each
 * ring is filled completely once (every SQE slot and, through two rounds,
 * every CQE slot is used) and frees everything on destroy.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>

static void run(unsigned entries, uint32_t flags, unsigned cq)
{
	int fds0 = t_fd_count();
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = HOOP_SETUP_NO_MMAP | flags;
	p.cq_entries = cq;
	hoop_ring *ring = NULL;
	int r = hoop_ring_create(&ring, entries, &p);
	if (r == -EINVAL && !t_kernel_at_least(6, 5))
		SKIP("NO_MMAP needs 6.5 (-EINVAL here)");
	if (r != 0)
		fprintf(stderr, "NO_MMAP %u entries, flags %#x: %s\n", entries,
		        flags, hoop_strerror(r));
	CHECK_EQ(r, 0);
	CHECK_EQ(hoop_ring_sq_entries(ring), entries);
	unsigned cqn = hoop_ring_cq_entries(ring);
	CHECK_EQ(cqn, cq ? cq : 2 * entries);
	/* Two full SQs fill the CQ (2 x entries <= cq). */
	uint64_t next = 0, want = 0;
	for (int round = 0; round < 2; round++) {
		for (unsigned i = 0; i < entries; i++) {
			struct hoop_sqe *sqe = t_sqe(ring);
			hoop_prep_nop(sqe);
			hoop_sqe_set_data(sqe, next++);
		}
		CHECK(hoop_ring_get_sqe(ring) == NULL);
		CHECK_EQ(hoop_ring_submit(ring), entries);
	}
	CHECK_EQ(hoop_ring_cq_ready(ring), 2 * entries);
	CHECK_EQ(hoop_ring_cq_has_overflow(ring), 0);
	struct hoop_cqe out[256];
	while (want < next) {
		int n = hoop_ring_copy_cqes(ring, out, 256, 0);
		CHECK(n > 0);
		for (int i = 0; i < n; i++) {
			CHECK_EQ(out[i].user_data, want++);
			CHECK_EQ(out[i].res, 0);
		}
	}
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
}

int main(void)
{
	hoop_ring_destroy(t_ring(2, 0)); /* skip where io_uring is missing */
	run(1, 0, 0);
	run(64, 0, 0);
	run(4096, 0, 0);
	run(32768, 0, 0);
	run(64, HOOP_SETUP_CQSIZE, 1024);
	run(1024, HOOP_SETUP_SQE128 | HOOP_SETUP_CQE32, 0);
	run(256, HOOP_SETUP_SQE128 | HOOP_SETUP_CQE32 | HOOP_SETUP_CQSIZE, 4096);
	return T_PASS;
}
