/*
 * user_data round trip: 200 NOPs with distinct 64-bit values (including 0,
 * all ones and values with the top bit set) each come back exactly once.
 */
#include "helpers.h"

#include <string.h>

#define N 200

static uint64_t value(unsigned i)
{
	if (i == 0)
		return 0;
	if (i == 1)
		return UINT64_MAX;
	/* A multiplicative hash: distinct for distinct i, spread over 64 bits. */
	return (uint64_t)i * 0x9e3779b97f4a7c15ULL;
}

int main(void)
{
	hoop_ring *ring = t_ring(16, 0);
	static unsigned seen[N];
	struct hoop_cqe out[16];
	unsigned sent = 0, got = 0;

	memset(seen, 0, sizeof(seen));
	while (got < N) {
		while (sent < N && hoop_ring_sq_space_left(ring) > 0 &&
		       sent - got < 16) {
			struct hoop_sqe *sqe = t_sqe(ring);
			hoop_prep_nop(sqe);
			hoop_sqe_set_data(sqe, value(sent));
			sent++;
		}
		int n = hoop_ring_copy_cqes(ring, out, 16, 1);
		CHECK(n >= 1);
		for (int k = 0; k < n; k++) {
			CHECK_EQ(out[k].res, 0);
			unsigned idx = N;
			for (unsigned i = 0; i < N; i++)
				if (value(i) == out[k].user_data)
					idx = i;
			CHECK(idx < N);
			seen[idx]++;
		}
		got += (unsigned)n;
	}
	CHECK_EQ(got, N);
	for (unsigned i = 0; i < N; i++)
		CHECK_EQ(seen[i], 1);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);

	/* hoop_cqe_get_data reads the same field. */
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 0x8000000000000001ULL);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(hoop_cqe_get_data(&c), 0x8000000000000001ULL);
	hoop_ring_destroy(ring);
	return T_PASS;
}
