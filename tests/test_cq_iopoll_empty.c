/*
 * On an IOPOLL ring with an empty CQ the calls that do not wait return at
 * once, as on any ring: hoop_ring_peek_cqe gives -EAGAIN,
 * hoop_ring_wait_cqe_nr(.., 0) and hoop_ring_wait_cqes(.., 0, ..) give 0 with
 * no CQE, hoop_ring_copy_cqes(.., 0) and hoop_ring_peek_batch_cqe give 0.
 * (IOPOLL always asks for an enter to reap, and hoop used to re-enter
 * without bound: peek spun at 100% CPU forever.) No I/O is needed, only a
 * ring created with IOPOLL; a NOP completes without polling and is then
 * found by peek. alarm() ends a hang with SIGALRM, a failure.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Each call must be quick: well under this. */
#define QUICK_NS 500000000ull

static void check_empty(hoop_ring *ring)
{
	struct hoop_cqe *cqe = (struct hoop_cqe *)&cqe; /* not NULL */
	struct hoop_cqe out[4];
	struct hoop_cqe *batch[4];

	uint64_t t0 = t_now_ns();
	CHECK_EQ(hoop_ring_peek_cqe(ring, &cqe), -EAGAIN);
	CHECK(t_now_ns() - t0 < QUICK_NS);

	cqe = (struct hoop_cqe *)&cqe;
	t0 = t_now_ns();
	CHECK_EQ(hoop_ring_wait_cqe_nr(ring, &cqe, 0), 0);
	CHECK(cqe == NULL);
	CHECK(t_now_ns() - t0 < QUICK_NS);

	cqe = (struct hoop_cqe *)&cqe;
	t0 = t_now_ns();
	CHECK_EQ(hoop_ring_wait_cqes(ring, &cqe, 0, NULL, NULL), 0);
	CHECK(cqe == NULL);
	CHECK(t_now_ns() - t0 < QUICK_NS);

	t0 = t_now_ns();
	CHECK_EQ(hoop_ring_copy_cqes(ring, out, 4, 0), 0);
	CHECK_EQ(hoop_ring_peek_batch_cqe(ring, batch, 4), 0);
	CHECK_EQ(hoop_ring_submit(ring), 0);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	CHECK(t_now_ns() - t0 < QUICK_NS);
}

int main(void)
{
	alarm(20);
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = HOOP_SETUP_IOPOLL;
	hoop_ring *ring = NULL;
	int r = hoop_ring_create(&ring, 8, &p);
	if (r == -ENOSYS || r == -EPERM)
		SKIP("io_uring unavailable here: %s", hoop_strerror(r));
	if (r == -EINVAL || r == -EOPNOTSUPP)
		SKIP("IOPOLL ring refused by this kernel: %s", hoop_strerror(r));
	CHECK_EQ(r, 0);
	CHECK(hoop_ring_setup_flags(ring) & HOOP_SETUP_IOPOLL);

	check_empty(ring);

	/* A NOP does not go through polling: it completes at submit, and
	 * peek finds it (a few peeks at most: each one reaps). */
	for (int round = 0; round < 3; round++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, 77 + (uint64_t)round);
		CHECK_EQ(hoop_ring_submit(ring), 1);
		struct hoop_cqe *cqe = NULL;
		int tries = 0;
		while ((r = hoop_ring_peek_cqe(ring, &cqe)) == -EAGAIN)
			CHECK(++tries < 1000);
		CHECK_EQ(r, 0);
		CHECK_EQ(cqe->user_data, 77 + (uint64_t)round);
		CHECK(cqe->res == 0 || cqe->res == -EOPNOTSUPP);
		hoop_ring_cqe_seen(ring, cqe);
		check_empty(ring);
	}
	hoop_ring_destroy(ring);
	return T_PASS;
}
