/*
 * A pending recv completes with 0 when the peer shuts down its sending
 * side, after the data sent before the shutdown; a recv after the peer
 * closed also gets 0.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	int c, s;
	CHECK_EQ(t_tcp_pair(&c, &s), 0);

	char buf[32];
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_recv(sqe, s, buf, sizeof(buf), 0);
	hoop_sqe_set_data(sqe, 1);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	CHECK_EQ(send(c, "last words", 10, MSG_NOSIGNAL), 10);
	struct hoop_cqe cq = t_wait_one(ring);
	CHECK_EQ(cq.user_data, 1);
	CHECK_EQ(cq.res, 10);
	CHECK(memcmp(buf, "last words", 10) == 0);

	sqe = t_sqe(ring);
	hoop_prep_recv(sqe, s, buf, sizeof(buf), 0);
	hoop_sqe_set_data(sqe, 2);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	struct hoop_cqe *pending;
	CHECK_EQ(hoop_ring_peek_cqe(ring, &pending), -EAGAIN);
	CHECK_EQ(shutdown(c, SHUT_WR), 0);
	cq = t_wait_one(ring);
	CHECK_EQ(cq.user_data, 2);
	CHECK_EQ(cq.res, 0);

	close(c);
	sqe = t_sqe(ring);
	hoop_prep_recv(sqe, s, buf, sizeof(buf), 0);
	hoop_sqe_set_data(sqe, 3);
	cq = t_submit_wait_one(ring);
	CHECK_EQ(cq.user_data, 3);
	CHECK_EQ(cq.res, 0);

	close(s);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
