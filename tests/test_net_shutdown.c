/*
 * HOOP_OP_SHUTDOWN: SHUT_WR on one end gives 0, the peer's recv then sees
 * 0 (end of stream) while the other direction still works; a send on the
 * shut end gives -EPIPE (MSG_NOSIGNAL: no SIGPIPE); shutdown of a non-socket
 * gives -ENOTSOCK and of an unconnected socket -ENOTCONN.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int one_op(hoop_ring *ring, struct hoop_sqe *sqe, uint64_t ud)
{
	hoop_sqe_set_data(sqe, ud);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, ud);
	return c.res;
}

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	int c, s;
	CHECK_EQ(t_tcp_pair(&c, &s), 0);

	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_shutdown(sqe, c, SHUT_WR);
	int r = one_op(ring, sqe, 1);
	if (r == -EINVAL || r == -EOPNOTSUPP)
		SKIP("kernel lacks HOOP_OP_SHUTDOWN: %s", hoop_strerror(r));
	CHECK_EQ(r, 0);

	char buf[16];
	sqe = t_sqe(ring);
	hoop_prep_recv(sqe, s, buf, sizeof(buf), 0);
	CHECK_EQ(one_op(ring, sqe, 2), 0);

	sqe = t_sqe(ring);
	hoop_prep_send(sqe, c, "x", 1, MSG_NOSIGNAL);
	CHECK_EQ(one_op(ring, sqe, 3), -EPIPE);

	/* The other direction is still open. */
	sqe = t_sqe(ring);
	hoop_prep_send(sqe, s, "back", 4, MSG_NOSIGNAL);
	CHECK_EQ(one_op(ring, sqe, 4), 4);
	sqe = t_sqe(ring);
	hoop_prep_recv(sqe, c, buf, sizeof(buf), 0);
	CHECK_EQ(one_op(ring, sqe, 5), 4);
	CHECK(memcmp(buf, "back", 4) == 0);

	int p[2];
	CHECK_EQ(pipe(p), 0);
	sqe = t_sqe(ring);
	hoop_prep_shutdown(sqe, p[0], SHUT_RDWR);
	CHECK_EQ(one_op(ring, sqe, 6), -ENOTSOCK);
	close(p[0]);
	close(p[1]);

	int u = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(u >= 0);
	sqe = t_sqe(ring);
	hoop_prep_shutdown(sqe, u, SHUT_RDWR);
	CHECK_EQ(one_op(ring, sqe, 7), -ENOTCONN);
	close(u);

	close(c);
	close(s);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
