/*
 * A connect through the ring to a port nobody listens on completes with
 * -ECONNREFUSED; a recv on an unconnected TCP socket with -ENOTCONN.
 */
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	/* A port that was just in use and is now closed. */
	uint16_t port;
	int l = t_tcp_listener(&port);
	CHECK(l >= 0);
	close(l);

	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	struct sockaddr_in to;
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_connect(sqe, fd, (struct sockaddr *)&to, sizeof(to));
	hoop_sqe_set_data(sqe, 1);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 1);
	CHECK_EQ(c.res, -ECONNREFUSED);
	close(fd);

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	char buf[8];
	sqe = t_sqe(ring);
	hoop_prep_recv(sqe, fd, buf, sizeof(buf), 0);
	hoop_sqe_set_data(sqe, 2);
	c = t_submit_wait_one(ring);
	CHECK_EQ(c.user_data, 2);
	CHECK_EQ(c.res, -ENOTCONN);
	close(fd);

	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
