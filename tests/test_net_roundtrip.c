/*
 * Accept, connect, send and recv on 127.0.0.1 through one ring: the
 * accept and the connect are in flight together; then 64 KiB go each way
 * with send/recv ops (recv looping over short reads) and the bytes match.
 */
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SIZE 65536

/* Send all of buf from `from` and receive it all on `to`, via the ring. */
static void transfer(hoop_ring *ring, int from, int to,
                     const unsigned char *buf, unsigned char *into)
{
	size_t sent = 0, got = 0;
	int send_busy = 0, recv_busy = 0;
	while (sent < SIZE || got < SIZE || send_busy || recv_busy) {
		if (sent < SIZE && !send_busy) {
			struct hoop_sqe *sqe = t_sqe(ring);
			hoop_prep_send(sqe, from, buf + sent, SIZE - sent,
			               MSG_NOSIGNAL);
			hoop_sqe_set_data(sqe, 1);
			send_busy = 1;
		}
		if (got < SIZE && !recv_busy) {
			struct hoop_sqe *sqe = t_sqe(ring);
			hoop_prep_recv(sqe, to, into + got, SIZE - got, 0);
			hoop_sqe_set_data(sqe, 2);
			recv_busy = 1;
		}
		CHECK(hoop_ring_submit(ring) >= 0);
		struct hoop_cqe c = t_wait_one(ring);
		CHECK(c.res > 0);
		if (c.user_data == 1) {
			sent += (size_t)c.res;
			send_busy = 0;
		} else {
			CHECK_EQ(c.user_data, 2);
			got += (size_t)c.res;
			recv_busy = 0;
		}
		CHECK(sent <= SIZE && got <= SIZE);
	}
	CHECK(memcmp(buf, into, SIZE) == 0);
}

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	uint16_t port;
	int lfd = t_tcp_listener(&port);
	CHECK(lfd >= 0);
	int cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(cfd >= 0);

	struct sockaddr_in to, peer;
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t peer_len = sizeof(peer);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_accept(sqe, lfd, (struct sockaddr *)&peer, &peer_len,
	                 SOCK_CLOEXEC);
	hoop_sqe_set_data(sqe, 10);
	sqe = t_sqe(ring);
	hoop_prep_connect(sqe, cfd, (struct sockaddr *)&to, sizeof(to));
	hoop_sqe_set_data(sqe, 11);
	CHECK_EQ(hoop_ring_submit(ring), 2);
	int sfd = -1, connected = 0;
	for (int i = 0; i < 2; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		if (c.user_data == 10) {
			CHECK(c.res >= 0);
			sfd = c.res;
		} else {
			CHECK_EQ(c.user_data, 11);
			CHECK_EQ(c.res, 0);
			connected = 1;
		}
	}
	CHECK(sfd >= 0);
	CHECK_EQ(connected, 1);
	CHECK_EQ(peer_len, sizeof(peer));
	CHECK_EQ(peer.sin_family, AF_INET);
	CHECK_EQ(ntohl(peer.sin_addr.s_addr), INADDR_LOOPBACK);
	struct sockaddr_in mine;
	socklen_t ml = sizeof(mine);
	CHECK_EQ(getsockname(cfd, (struct sockaddr *)&mine, &ml), 0);
	CHECK_EQ(peer.sin_port, mine.sin_port);

	static unsigned char out[SIZE], in[SIZE];
	for (size_t i = 0; i < SIZE; i++)
		out[i] = t_pattern(i);
	transfer(ring, cfd, sfd, out, in);
	for (size_t i = 0; i < SIZE; i++)
		out[i] = (unsigned char)(255 - t_pattern(i));
	memset(in, 0, sizeof(in));
	transfer(ring, sfd, cfd, out, in);

	close(sfd);
	close(cfd);
	close(lfd);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
