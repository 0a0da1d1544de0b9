/*
 * With SQPOLL every submit variant returns the number of SQEs that call
 * handed over, whatever the kernel thread has consumed by then: 1 for one
 * NOP, k for a batch of k, 0 when nothing was prepared. (hoop used to
 * return "published minus what the thread had consumed when hoop looked":
 * 0 when the thread was quick, or more than this call's count when an
 * earlier batch was still unconsumed.) The thread is kept awake (long idle
 * time) so that it races the caller on every call; each call's count is
 * checked exactly, for about a second per variant.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>

#define ROUND_NS 400000000ull /* per variant */

static void prep_nops(hoop_ring *ring, unsigned n, uint64_t *tag)
{
	for (unsigned i = 0; i < n; i++) {
		/* The thread frees SQ slots when its batch is done, which
		 * may be after the CQEs are out: wait for one if need be. */
		struct hoop_sqe *sqe;
		while ((sqe = hoop_ring_get_sqe(ring)) == NULL)
			CHECK(hoop_ring_sqring_wait(ring) >= 0);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, ++*tag);
	}
}

/* Reap `n` completions; their tags must be the next `n` in order. */
static void reap(hoop_ring *ring, unsigned n, uint64_t *seen)
{
	struct hoop_cqe out[16];
	unsigned got = 0;
	while (got < n) {
		unsigned want = n - got > 16 ? 16 : n - got;
		int r = hoop_ring_copy_cqes(ring, out, want, 1);
		CHECK(r >= 1);
		for (int i = 0; i < r; i++) {
			CHECK_EQ(out[i].res, 0);
			CHECK_EQ(out[i].user_data, ++*seen);
		}
		got += (unsigned)r;
	}
}

int main(void)
{
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = HOOP_SETUP_SQPOLL;
	p.sq_thread_idle = 2000; /* stays awake and polling */
	hoop_ring *ring = NULL;
	int r = hoop_ring_create(&ring, 16, &p);
	if (r == -EPERM || r == -ENOSYS)
		SKIP("SQPOLL not permitted here: %s", hoop_strerror(r));
	CHECK_EQ(r, 0);
	CHECK(hoop_ring_setup_flags(ring) & HOOP_SETUP_SQPOLL);

	uint64_t tag = 0, seen = 0;
	unsigned long calls = 0;

	/* Nothing prepared: every variant reports 0. */
	CHECK_EQ(hoop_ring_submit(ring), 0);
	struct hoop_timespec zero = {0, 0};
	CHECK_EQ(hoop_ring_submit_and_wait_timeout(ring, NULL, 1, &zero, NULL),
	         -ETIME);

	for (int variant = 0; variant < 3; variant++) {
		uint64_t end = t_now_ns() + ROUND_NS;
		unsigned k = 1;
		while (t_now_ns() < end) {
			/* Two submits back to back: the second must not count
			 * the first's SQEs even if the thread has not taken
			 * them yet, nor miss its own if it has. */
			for (int twice = 0; twice < 2; twice++) {
				prep_nops(ring, k, &tag);
				switch (variant) {
				case 0:
					r = hoop_ring_submit(ring);
					break;
				case 1:
					r = hoop_ring_submit_and_wait(ring, k);
					break;
				default:
					r = hoop_ring_submit_and_wait_timeout(
					        ring, NULL, k, NULL, NULL);
					break;
				}
				if (r != (int)k)
					fprintf(stderr,
					        "variant %d call %lu: %d for "
					        "%u\n",
					        variant, calls, r, k);
				CHECK_EQ(r, (int)k);
				calls++;
				if (variant != 0)
					reap(ring, k, &seen);
			}
			if (variant == 0)
				reap(ring, 2 * k, &seen);
			k = k % 6 + 1;
		}
	}
	CHECK_EQ(hoop_ring_submit(ring), 0);
	CHECK_EQ(seen, tag);
	CHECK_EQ(hoop_ring_sq_ready(ring), 0);
	fprintf(stderr, "%lu submit calls, each counted exactly\n", calls);
	hoop_ring_destroy(ring);
	return T_PASS;
}
