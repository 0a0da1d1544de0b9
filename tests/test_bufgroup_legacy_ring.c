/*
 * A LEGACY (provide-buffers) group on a plain ring: creating it and giving
 * buffers back submit and wait on the caller's ring, and take only their
 * own results out of the CQ: the caller's completions that were already
 * there stay, in order. A multishot receive selects from the group.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void nops(hoop_ring *ring, uint64_t first, int n)
{
	for (int i = 0; i < n; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, first + (uint64_t)i);
	}
	CHECK_EQ(hoop_ring_submit(ring), n);
}

static struct hoop_cqe take(hoop_ring *ring) { return t_wait_one(ring); }

int main(void)
{
	int fds = t_fd_count();
	hoop_ring *ring = t_ring(16, 0);
	int c, s;
	CHECK_EQ(t_tcp_pair(&c, &s), 0);

	nops(ring, 1, 3);
	hoop_bufgroup *g;
	CHECK_EQ(hoop_bufgroup_create(&g, ring, 1, 2, 32, HOOP_BUFGROUP_LEGACY), 0);
	CHECK_EQ(hoop_bufgroup_mode(g), HOOP_BUFGROUP_MODE_PROVIDE);
	CHECK_EQ(hoop_ring_cq_ready(ring), 3);

	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_recv_multishot(sqe, s, NULL, 0, 0);
	hoop_sqe_set_buf_group(sqe, 1);
	hoop_sqe_set_data(sqe, 100);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	CHECK_EQ(send(c, "abc", 3, 0), 3);

	for (uint64_t i = 1; i <= 3; i++)
		CHECK_EQ(take(ring).user_data, i);
	struct hoop_cqe cqe = take(ring);
	CHECK_EQ(cqe.user_data, 100);
	CHECK_EQ(cqe.res, 3);
	CHECK(cqe.flags & HOOP_CQE_F_MORE);
	int bid = hoop_bufgroup_cqe_bid(cqe.flags);
	CHECK(bid == 0 || bid == 1);
	CHECK(memcmp(hoop_bufgroup_buf(g, (unsigned)bid), "abc", 3) == 0);

	/* No evidence yet that it is out: a LEGACY group refuses. */
	CHECK_EQ(hoop_bufgroup_return(g, (unsigned)bid), -EALREADY);
	struct iovec iov;
	uint16_t b16;
	CHECK_EQ(hoop_bufgroup_bundle(g, (unsigned)bid, 3, &iov, &b16, 1), 1);
	CHECK_EQ(b16, bid);
	CHECK_EQ(hoop_bufgroup_available(g), 1);

	/* Completions waiting in the CQ survive the give-back. */
	nops(ring, 10, 2);
	CHECK_EQ(hoop_bufgroup_return(g, (unsigned)bid), 0);
	CHECK_EQ(hoop_bufgroup_return(g, (unsigned)bid), -EALREADY);
	CHECK_EQ(hoop_bufgroup_available(g), 2);
	CHECK_EQ(hoop_ring_cq_ready(ring), 2);
	CHECK_EQ(take(ring).user_data, 10);
	CHECK_EQ(take(ring).user_data, 11);

	/* The receive goes on with the buffers. */
	CHECK_EQ(send(c, "defg", 4, 0), 4);
	cqe = take(ring);
	CHECK_EQ(cqe.user_data, 100);
	CHECK_EQ(cqe.res, 4);
	bid = hoop_bufgroup_cqe_bid(cqe.flags);
	CHECK(memcmp(hoop_bufgroup_buf(g, (unsigned)bid), "defg", 4) == 0);

	/* Cancel it, then destroy the group. */
	sqe = t_sqe(ring);
	hoop_prep_cancel(sqe, 100, 0);
	hoop_sqe_set_data(sqe, 200);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	int seen = 0;
	for (int i = 0; i < 2; i++) {
		cqe = take(ring);
		if (cqe.user_data == 100) {
			CHECK_EQ(cqe.res, -ECANCELED);
			seen |= 1;
		} else {
			CHECK_EQ(cqe.user_data, 200);
			CHECK_EQ(cqe.res, 0);
			seen |= 2;
		}
	}
	CHECK_EQ(seen, 3);
	hoop_bufgroup_destroy(g);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	hoop_ring_destroy(ring);
	close(c);
	close(s);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
