/*
 * HOOP_ASYNC_CANCEL_ALL: 8 reads pending with the same user_data are all
 * cancelled by one request, whose res is 8. With ANY (match everything)
 * plus ALL, 8 reads with distinct user_data likewise.
 */
#include "helpers.h"

#include <errno.h>
#include <unistd.h>

static void round_trip(hoop_ring *ring, int fd, int distinct, int flags,
                       uint64_t target)
{
	static char bufs[8][8];
	for (int i = 0; i < 8; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_read(sqe, fd, bufs[i], 8, 0);
		hoop_sqe_set_data(sqe, distinct ? (uint64_t)(1 + i) : 42);
	}
	CHECK_EQ(hoop_ring_submit(ring), 8);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_cancel(sqe, target, flags);
	hoop_sqe_set_data(sqe, 1000);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	int cancelled = 0, cancel_res = -1, cancels = 0;
	unsigned mask = 0;
	for (int i = 0; i < 9; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		if (c.user_data == 1000) {
			cancel_res = c.res;
			cancels++;
			continue;
		}
		CHECK_EQ(c.res, -ECANCELED);
		if (distinct) {
			CHECK(c.user_data >= 1 && c.user_data <= 8);
			mask |= 1u << (c.user_data - 1);
		} else {
			CHECK_EQ(c.user_data, 42);
		}
		cancelled++;
	}
	CHECK_EQ(cancels, 1);
	CHECK_EQ(cancel_res, 8);
	CHECK_EQ(cancelled, 8);
	if (distinct)
		CHECK_EQ(mask, 0xff);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
}

int main(void)
{
	int fds0 = t_fd_count();
	int p[2];
	CHECK_EQ(pipe(p), 0);
	hoop_ring *ring = t_ring(16, 0);
	round_trip(ring, p[0], 0, HOOP_ASYNC_CANCEL_ALL, 42);
	round_trip(ring, p[0], 1, HOOP_ASYNC_CANCEL_ALL | HOOP_ASYNC_CANCEL_ANY, 0);

	/* ALL with nothing matching reports the count: 0 (not -ENOENT). */
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_cancel(sqe, 42, HOOP_ASYNC_CANCEL_ALL);
	hoop_sqe_set_data(sqe, 7);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 7);
	CHECK_EQ(c.res, 0);

	hoop_ring_destroy(ring);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
