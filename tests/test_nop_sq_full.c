/*
 * hoop_ring_get_sqe hands out exactly sq_entries distinct slots, then NULL;
 * after a submit the slots are free again.
 */
#include "helpers.h"

int main(void)
{
	hoop_ring *ring = t_ring(4, 0);
	struct hoop_sqe *s[4];
	CHECK_EQ(hoop_ring_sq_entries(ring), 4);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 4; i++) {
			s[i] = hoop_ring_get_sqe(ring);
			CHECK(s[i] != NULL);
			for (int j = 0; j < i; j++)
				CHECK(s[i] != s[j]);
			hoop_prep_nop(s[i]);
			hoop_sqe_set_data(s[i], (uint64_t)(round * 10 + i));
		}
		CHECK_EQ(hoop_ring_sq_space_left(ring), 0);
		CHECK_EQ(hoop_ring_sq_ready(ring), 4);
		CHECK(hoop_ring_get_sqe(ring) == NULL);
		CHECK(hoop_ring_get_sqe(ring) == NULL); /* still NULL */
		CHECK_EQ(hoop_ring_submit(ring), 4);
		CHECK_EQ(hoop_ring_sq_space_left(ring), 4);
		for (int i = 0; i < 4; i++) {
			struct hoop_cqe c = t_wait_one(ring);
			CHECK_EQ(c.user_data, (uint64_t)(round * 10 + i));
			CHECK_EQ(c.res, 0);
		}
	}
	/* One more after the rounds: the ring keeps working. */
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 99);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 99);
	hoop_ring_destroy(ring);
	return T_PASS;
}
