/*
 * Injected io_uring_enter failures on a hoop_ring (RELIABILITY.md row 10):
 *   EINTR on a plain submit is retried inside: the call returns the count;
 *   EINTR while waiting is the caller's (-EINTR, like read(2)), and a second
 *   wait gets the completion;
 *   EBUSY / EAGAIN on submit are returned as documented (reap and retry);
 *   the SQEs stay published and the next submit passes them: nothing lost.
 */
#include "helpers.h"
#include "sys.h"

#include <errno.h>

static void nops(hoop_ring *ring, unsigned n, uint64_t base)
{
	for (unsigned i = 0; i < n; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, base + i);
	}
}

/* Collect exactly n completions with tags base..base+n-1, each once. */
static void collect(hoop_ring *ring, unsigned n, uint64_t base)
{
	unsigned long seen = 0;
	for (unsigned i = 0; i < n; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		CHECK(c.user_data >= base && c.user_data < base + n);
		CHECK_EQ(c.res, 0);
		unsigned long bit = 1ul << (c.user_data - base);
		CHECK((seen & bit) == 0);
		seen |= bit;
	}
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
}

static void set(int call, int err, unsigned skip, unsigned count)
{
	struct hoop_fault_rule r = {err, skip, count, 1, -1};
	CHECK_EQ(hoop__fault_set(call, &r), 0);
}

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring *ring = t_ring(16, 0);

	/* EINTR three times in a row: submit retries and succeeds. */
	set(HOOP_FAULT_ENTER, EINTR, 0, 3);
	nops(ring, 4, 100);
	CHECK_EQ(hoop_ring_submit(ring), 4);
	CHECK_EQ(hoop__fault_hits(HOOP_FAULT_ENTER), 3);
	CHECK_EQ(hoop__fault_calls(HOOP_FAULT_ENTER), 4);
	collect(ring, 4, 100);

	/* EINTR while waiting: -EINTR to the caller, nothing lost. */
	hoop__fault_clear();
	nops(ring, 2, 200);
	CHECK_EQ(hoop_ring_submit(ring), 2);
	while (hoop_ring_cq_ready(ring) < 2)
		CHECK_EQ(hoop_ring_get_events(ring), 0);
	struct hoop_cqe *cqe;
	/* Take both, then a wait with nothing ready meets the EINTR. */
	collect(ring, 2, 200);
	set(HOOP_FAULT_ENTER, EINTR, 0, 1);
	CHECK_EQ(hoop_ring_wait_cqe(ring, &cqe), -EINTR);
	CHECK_EQ(hoop__fault_hits(HOOP_FAULT_ENTER), 1);
	hoop__fault_clear();

	/* EBUSY and EAGAIN on submit: reported, SQEs kept, next submit
	 * takes them. */
	int errs[2] = {EBUSY, EAGAIN};
	for (int k = 0; k < 2; k++) {
		uint64_t base = 300 + 10 * (uint64_t)k;
		set(HOOP_FAULT_ENTER, errs[k], 0, 1);
		nops(ring, 5, base);
		CHECK_EQ(hoop_ring_submit(ring), -errs[k]);
		CHECK_EQ(hoop_ring_cq_ready(ring), 0);
		CHECK_EQ(hoop_ring_sq_ready(ring), 5);
		CHECK_EQ(hoop_ring_submit(ring), 5);
		CHECK_EQ(hoop__fault_hits(HOOP_FAULT_ENTER), 1);
		collect(ring, 5, base);
	}

	/* ENOMEM / EPERM / ENOSYS from enter (not documented as transient):
	 * returned as they are; the ring stays usable. */
	int other[3] = {ENOMEM, EPERM, ENOSYS};
	for (int k = 0; k < 3; k++) {
		set(HOOP_FAULT_ENTER, other[k], 0, 1);
		nops(ring, 1, 400 + (uint64_t)k);
		CHECK_EQ(hoop_ring_submit(ring), -other[k]);
		CHECK_EQ(hoop_ring_submit(ring), 1);
		collect(ring, 1, 400 + (uint64_t)k);
	}
	hoop__fault_clear();

	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
