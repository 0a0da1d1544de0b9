/*
 * A TCP listener made entirely through the ring: HOOP_OP_SOCKET (5.19+)
 * gives an fd, HOOP_OP_BIND and HOOP_OP_LISTEN (6.11+) give 0; a plain
 * connect() then reaches it and HOOP_OP_CLOSE closes it. Skips with the
 * reason on kernels without these opcodes.
 */
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
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

	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_socket(sqe, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, 0);
	int fd = one_op(ring, sqe, 1);
	if (fd == -EINVAL || fd == -EOPNOTSUPP)
		SKIP("kernel lacks HOOP_OP_SOCKET: %s", hoop_strerror(fd));
	CHECK(fd >= 0);
	CHECK_EQ(t_fd_count(), fds0 + 2);
	int type = 0;
	socklen_t tl = sizeof(type);
	CHECK_EQ(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl), 0);
	CHECK_EQ(type, SOCK_STREAM);

	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sqe = t_sqe(ring);
	hoop_prep_bind(sqe, fd, (struct sockaddr *)&a, sizeof(a));
	int r = one_op(ring, sqe, 2);
	if (r == -EINVAL || r == -EOPNOTSUPP) {
		close(fd);
		SKIP("kernel lacks HOOP_OP_BIND: %s", hoop_strerror(r));
	}
	CHECK_EQ(r, 0);
	sqe = t_sqe(ring);
	hoop_prep_listen(sqe, fd, 16);
	CHECK_EQ(one_op(ring, sqe, 3), 0);

	socklen_t len = sizeof(a);
	CHECK_EQ(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	CHECK(ntohs(a.sin_port) != 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(c >= 0);
	CHECK_EQ(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	int s = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	CHECK(s >= 0);
	close(s);
	close(c);

	/* Binding the same socket again is refused. */
	sqe = t_sqe(ring);
	hoop_prep_bind(sqe, fd, (struct sockaddr *)&a, sizeof(a));
	CHECK_EQ(one_op(ring, sqe, 4), -EINVAL);

	sqe = t_sqe(ring);
	hoop_prep_close(sqe, fd);
	CHECK_EQ(one_op(ring, sqe, 5), 0);
	CHECK_EQ(t_fd_count(), fds0 + 1);

	/* A socket of an unknown family: -EAFNOSUPPORT. */
	sqe = t_sqe(ring);
	hoop_prep_socket(sqe, 12345, SOCK_STREAM, 0, 0);
	CHECK_EQ(one_op(ring, sqe, 6), -EAFNOSUPPORT);

	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
