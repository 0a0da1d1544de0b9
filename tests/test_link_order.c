/* Three linked NOPs complete, in order, each with res 0. */
#include "helpers.h"

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 3; i++) {
			struct hoop_sqe *sqe = t_sqe(ring);
			hoop_prep_nop(sqe);
			hoop_sqe_set_data(sqe, (uint64_t)(i + 1));
			if (i < 2) /* the last member ends the chain */
				hoop_sqe_set_flags(sqe, round ? HOOP_SQE_IO_HARDLINK
				                              : HOOP_SQE_IO_LINK);
		}
		CHECK_EQ(hoop_ring_submit(ring), 3);
		for (int i = 0; i < 3; i++) {
			struct hoop_cqe c = t_wait_one(ring);
			CHECK_EQ(c.user_data, (uint64_t)(i + 1));
			CHECK_EQ(c.res, 0);
		}
		CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	}
	hoop_ring_destroy(ring);
	return T_PASS;
}
