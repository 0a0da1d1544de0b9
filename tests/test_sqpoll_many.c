/*
 * 1000 NOPs in batches of up to 32 through an SQPOLL ring: each completes
 * exactly once. The SQ may be full while the kernel thread catches up;
 * hoop_ring_sqring_wait waits for room.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>

#define N 1000

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = HOOP_SETUP_SQPOLL;
	p.sq_thread_idle = 10;
	hoop_ring *ring = NULL;
	int r = hoop_ring_create(&ring, 32, &p);
	if (r == -EPERM || r == -ENOSYS)
		SKIP("SQPOLL not permitted here: %s", hoop_strerror(r));
	CHECK_EQ(r, 0);
	CHECK_EQ(hoop_ring_sq_entries(ring), 32);
	CHECK_EQ(hoop_ring_cq_entries(ring), 64);

	static unsigned char seen[N];
	memset(seen, 0, sizeof(seen));
	unsigned sent = 0, got = 0;
	uint64_t t0 = t_now_ns();
	while (got < N) {
		/* At most 64 in flight: never more than the CQ holds. */
		unsigned batch = 0;
		while (sent < N && batch < 32 && sent - got < 64) {
			struct hoop_sqe *sqe = hoop_ring_get_sqe(ring);
			if (!sqe) {
				CHECK(hoop_ring_sqring_wait(ring) >= 0);
				continue;
			}
			hoop_prep_nop(sqe);
			hoop_sqe_set_data(sqe, sent);
			sent++;
			batch++;
		}
		if (batch)
			CHECK(hoop_ring_submit(ring) >= 0);
		struct hoop_cqe out[64];
		int n = hoop_ring_copy_cqes(ring, out, 64, 1);
		CHECK(n >= 1);
		for (int i = 0; i < n; i++) {
			CHECK_EQ(out[i].res, 0);
			CHECK(out[i].user_data < N);
			seen[out[i].user_data]++;
		}
		got += (unsigned)n;
		CHECK(t_now_ns() - t0 < 20000000000ull);
	}
	CHECK_EQ(got, N);
	for (unsigned i = 0; i < N; i++)
		CHECK_EQ(seen[i], 1);
	CHECK_EQ(hoop_ring_cq_has_overflow(ring), 0);

	/* sqring_wait on a ring with room returns at once. */
	CHECK(hoop_ring_sqring_wait(ring) >= 0);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);

	/* Without SQPOLL sqring_wait is refused. */
	ring = t_ring(4, 0);
	CHECK_EQ(hoop_ring_sqring_wait(ring), -EINVAL);
	hoop_ring_destroy(ring);
	return T_PASS;
}
