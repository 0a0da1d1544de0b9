/*
 * Features this kernel (6.x) reports and hoop passes on: SINGLE_MMAP,
 * NODROP, SUBMIT_STABLE, FAST_POLL, EXT_ARG, NATIVE_WORKERS, CQE_SKIP and
 * REG_REG_RING (6.3+). hoop adds NO_SQARRAY by default (the kernel knows it
 * since 6.6) unless asked to keep the array.
 */
#include "helpers.h"

#include <string.h>

int main(void)
{
	hoop_ring *ring = t_ring(4, 0);
	uint32_t f = hoop_ring_features(ring);
	fprintf(stderr, "features: %#x, setup flags in force: %#x\n", f,
	        hoop_ring_setup_flags(ring));
	uint32_t want = HOOP_FEAT_SINGLE_MMAP | HOOP_FEAT_NODROP |
	                HOOP_FEAT_SUBMIT_STABLE | HOOP_FEAT_FAST_POLL |
	                HOOP_FEAT_EXT_ARG | HOOP_FEAT_NATIVE_WORKERS |
	                HOOP_FEAT_CQE_SKIP;
	if (t_kernel_at_least(6, 3))
		want |= HOOP_FEAT_REG_REG_RING;
	CHECK_EQ(f & want, want);
	/* Before 6.6 the kernel refuses NO_SQARRAY: hoop retried without. */
	CHECK_EQ(hoop_ring_setup_flags(ring),
	         t_kernel_at_least(6, 6) ? HOOP_SETUP_NO_SQARRAY : 0);
	hoop_ring_destroy(ring);

	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.hoop_flags = HOOP_RING_KEEP_SQARRAY;
	CHECK_EQ(hoop_ring_create(&ring, 4, &p), 0);
	CHECK_EQ(hoop_ring_setup_flags(ring), 0);
	hoop_ring_destroy(ring);

	/* CQE_SKIP: a successful NOP with CQE_SKIP_SUCCESS posts nothing. */
	ring = t_ring(4, 0);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 1);
	hoop_sqe_set_flags(sqe, HOOP_SQE_CQE_SKIP_SUCCESS);
	sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 2);
	CHECK_EQ(hoop_ring_submit(ring), 2);
	struct hoop_cqe c = t_wait_one(ring);
	CHECK_EQ(c.user_data, 2);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	hoop_ring_destroy(ring);
	return T_PASS;
}
