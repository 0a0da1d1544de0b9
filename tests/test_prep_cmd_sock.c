/*
 * hoop_prep_cmd_sock: socket commands through HOOP_OP_URING_CMD reach the
 * kernel with level, optname, optval and optlen where it reads them.
 * GETSOCKOPT returns the option length and fills optval; SETSOCKOPT takes
 * effect (getsockopt(2) sees it); SIOCINQ counts queued bytes; an unknown
 * option is -ENOPROTOOPT.
 */
#include "helpers.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	if (hoop_opcode_supported(HOOP_OP_URING_CMD) != 1)
		SKIP("this kernel lacks IORING_OP_URING_CMD");
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	int c, s;
	CHECK_EQ(t_tcp_pair(&c, &s), 0);

	int val = -1;
	hoop_prep_cmd_sock(t_sqe(ring), HOOP_SOCKET_OP_GETSOCKOPT, c,
	                   SOL_SOCKET, SO_TYPE, &val, sizeof(val));
	int r = t_submit_wait_one(ring).res;
	if (r == -EOPNOTSUPP || r == -EINVAL)
		SKIP("socket uring_cmd unsupported here: %s", hoop_strerror(r));
	CHECK_EQ(r, (int)sizeof(int));
	CHECK_EQ(val, SOCK_STREAM);

	/* set TCP_NODELAY through the ring, read it back with getsockopt(2) */
	int one = 1;
	hoop_prep_cmd_sock(t_sqe(ring), HOOP_SOCKET_OP_SETSOCKOPT, c,
	                   IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	CHECK_EQ(t_submit_wait_one(ring).res, 0);
	int got = 0;
	socklen_t len = sizeof(got);
	CHECK_EQ(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &got, &len), 0);
	CHECK_EQ(got, 1);

	/* bytes waiting on the receiving side */
	CHECK_EQ(write(c, "12345", 5), 5);
	int inq = -1;
	for (int i = 0; i < 1000 && inq != 5; i++) {
		hoop_prep_cmd_sock(t_sqe(ring), HOOP_SOCKET_OP_SIOCINQ, s, 0, 0,
		                   NULL, 0);
		inq = t_submit_wait_one(ring).res;
		if (inq != 5)
			usleep(1000);
	}
	CHECK_EQ(inq, 5);

	hoop_prep_cmd_sock(t_sqe(ring), HOOP_SOCKET_OP_GETSOCKOPT, c,
	                   SOL_SOCKET, 12345, &val, sizeof(val));
	CHECK_EQ(t_submit_wait_one(ring).res, -ENOPROTOOPT);

	close(c);
	close(s);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
