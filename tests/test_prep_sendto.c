/*
 * hoop_prep_sendto: the destination address and its 16-bit length reach the
 * kernel (addr2 and the addr_len half of file_index), so an unconnected UDP
 * socket delivers to the named receiver; a wrong length is -EINVAL.
 */
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	int rx, tx;
	struct sockaddr_in a;
	CHECK_EQ(t_udp_pair(&rx, &tx, &a), 0);

	hoop_prep_sendto(t_sqe(ring), tx, "datagram", 8, 0,
	                 (struct sockaddr *)&a, sizeof(a));
	struct hoop_cqe cqe = t_submit_wait_one(ring);
	CHECK_EQ(cqe.res, 8);
	char b[16] = {0};
	CHECK_EQ(recv(rx, b, sizeof(b), 0), 8);
	CHECK(memcmp(b, "datagram", 8) == 0);

	/* a length too short for an IPv4 address */
	hoop_prep_sendto(t_sqe(ring), tx, "x", 1, 0, (struct sockaddr *)&a, 4);
	cqe = t_submit_wait_one(ring);
	CHECK_EQ(cqe.res, -EINVAL);

	close(rx);
	close(tx);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
