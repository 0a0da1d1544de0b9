/*
 * One multishot accept serves four connections: four CQEs, each a new fd
 * with HOOP_CQE_F_MORE. Cancelling it ends it with a final CQE
 * (-ECANCELED, no MORE).
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
	uint16_t port;
	int lfd = t_tcp_listener(&port);
	CHECK(lfd >= 0);

	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_multishot_accept(sqe, lfd, NULL, NULL, SOCK_CLOEXEC);
	hoop_sqe_set_data(sqe, 1);
	CHECK_EQ(hoop_ring_submit(ring), 1);

	struct sockaddr_in to;
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int clients[4], accepted[4];
	for (int i = 0; i < 4; i++) {
		clients[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		CHECK(clients[i] >= 0);
		CHECK_EQ(connect(clients[i], (struct sockaddr *)&to, sizeof(to)),
		         0);
		struct hoop_cqe c = t_wait_one(ring);
		CHECK_EQ(c.user_data, 1);
		CHECK(c.res >= 0);
		CHECK_EQ(hoop_cqe_has_more(&c), 1);
		accepted[i] = c.res;
		for (int j = 0; j < i; j++)
			CHECK(accepted[j] != accepted[i]);
	}
	/* Each accepted fd is the peer of its client. */
	for (int i = 0; i < 4; i++) {
		char b = (char)('a' + i), r = 0;
		CHECK_EQ(send(clients[i], &b, 1, MSG_NOSIGNAL), 1);
		CHECK_EQ(recv(accepted[i], &r, 1, 0), 1);
		CHECK_EQ(r, b);
	}
	CHECK_EQ(t_fd_count(), fds0 + 1 + 1 + 8);

	sqe = t_sqe(ring);
	hoop_prep_cancel(sqe, 1, 0);
	hoop_sqe_set_data(sqe, 2);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	int final = 0, cancel_ok = 0;
	for (int i = 0; i < 2; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		if (c.user_data == 2) {
			CHECK_EQ(c.res, 0);
			cancel_ok++;
		} else {
			CHECK_EQ(c.user_data, 1);
			CHECK_EQ(c.res, -ECANCELED);
			CHECK_EQ(hoop_cqe_has_more(&c), 0);
			final++;
		}
	}
	CHECK_EQ(final, 1);
	CHECK_EQ(cancel_ok, 1);

	for (int i = 0; i < 4; i++) {
		close(clients[i]);
		close(accepted[i]);
	}
	close(lfd);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
