/*
 * The liburing-style prep helpers hoop_prep_send_set_addr,
 * hoop_prep_sendmsg_zc_fixed, hoop_prep_cmd_getsockname,
 * hoop_prep_cmd_discard and hoop_prep_cmd_zone_reset_all, against the
 * kernel:
 *  - send + set_addr on an unconnected UDP socket reaches the address set;
 *  - sendmsg_zc_fixed of an iovec inside a registered buffer sends it (res
 *    the length, then the notification) on a TCP connection;
 *  - getsockname (local) and getpeername (peer) of a connected TCP socket
 *    match getsockname(2)/getpeername(2), `peer` 2 is -EINVAL; on kernels
 *    without the command (before 6.19) each is the clean -EOPNOTSUPP,
 *    and the test says so;
 *  - discard and zone-reset-all on a regular file: the kernel refuses the
 *    command cleanly (-EOPNOTSUPP; no block device is touched), and each
 *    SQE carries what the kernel reads (cmd_op, range in addr/addr3).
 */
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct hoop_cqe run(hoop_ring *ring) { return t_submit_wait_one(ring); }

/* A connected TCP pair over loopback: *c the client, *s the server side. */
static void tcp_pair(int *c, int *s)
{
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(l >= 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_EQ(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(listen(l, 1), 0);
	socklen_t al = sizeof(a);
	CHECK_EQ(getsockname(l, (struct sockaddr *)&a, &al), 0);
	*c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(*c >= 0);
	CHECK_EQ(connect(*c, (struct sockaddr *)&a, sizeof(a)), 0);
	*s = accept(l, NULL, NULL);
	CHECK(*s >= 0);
	close(l);
}

static void send_set_addr(hoop_ring *ring)
{
	int rx, tx;
	struct sockaddr_in a;
	CHECK_EQ(t_udp_pair(&rx, &tx, &a), 0);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_send(sqe, tx, "to-addr", 7, 0);
	hoop_prep_send_set_addr(sqe, (struct sockaddr *)&a, sizeof(a));
	CHECK_EQ(sqe->off, (uint64_t)(uintptr_t)&a);
	struct hoop_cqe c = run(ring);
	CHECK_EQ(c.res, 7);
	char buf[16];
	CHECK_EQ(recv(rx, buf, sizeof(buf), 0), 7);
	CHECK_EQ(memcmp(buf, "to-addr", 7), 0);
	close(rx);
	close(tx);
}

static void sendmsg_zc_fixed(hoop_ring *ring)
{
	static char reg[4096];
	for (unsigned i = 0; i < sizeof(reg); i++)
		reg[i] = (char)('a' + i % 26);
	struct iovec riov = {reg, sizeof(reg)};
	CHECK_EQ(hoop_ring_register_buffers(ring, &riov, 1), 0);
	int c, s;
	tcp_pair(&c, &s);
	struct iovec iov = {reg + 100, 300};
	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_sendmsg_zc_fixed(sqe, c, &mh, 0, 0);
	CHECK_EQ(sqe->opcode, HOOP_OP_SENDMSG_ZC);
	CHECK(sqe->ioprio & HOOP_RECVSEND_FIXED_BUF);
	hoop_sqe_set_data(sqe, 5);
	struct hoop_cqe r = run(ring);
	CHECK_EQ(r.user_data, 5);
	if (r.res == -EINVAL || r.res == -EOPNOTSUPP) {
		printf("sendmsg_zc_fixed: the kernel refuses a registered "
		       "buffer for SENDMSG_ZC here (%s), cleanly\n",
		       hoop_strerror(r.res));
		if (r.flags & HOOP_CQE_F_MORE)
			CHECK_EQ(t_wait_one(ring).flags & HOOP_CQE_F_NOTIF,
			         HOOP_CQE_F_NOTIF);
	} else {
		CHECK_EQ(r.res, 300);
		if (r.flags & HOOP_CQE_F_MORE) {
			struct hoop_cqe n = t_wait_one(ring);
			CHECK_EQ(n.user_data, 5);
			CHECK(n.flags & HOOP_CQE_F_NOTIF);
		}
		char got[300];
		size_t have = 0;
		while (have < sizeof(got)) {
			ssize_t k = recv(s, got + have, sizeof(got) - have, 0);
			CHECK(k > 0);
			have += (size_t)k;
		}
		CHECK_EQ(memcmp(got, reg + 100, 300), 0);
	}
	CHECK_EQ(hoop_ring_unregister_buffers(ring), 0);
	close(c);
	close(s);
}

static void getsockname_cmd(hoop_ring *ring)
{
	int c, s;
	tcp_pair(&c, &s);
	for (int peer = 0; peer <= 2; peer++) {
		struct sockaddr_in got, want;
		socklen_t glen = sizeof(got), wlen = sizeof(want);
		memset(&got, 0, sizeof(got));
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_cmd_getsockname(sqe, c, (struct sockaddr *)&got,
		                          &glen, peer);
		CHECK_EQ(sqe->opcode, HOOP_OP_URING_CMD);
		CHECK_EQ((uint32_t)sqe->off, HOOP_SOCKET_OP_GETSOCKNAME);
		CHECK_EQ(sqe->addr3, (uint64_t)(uintptr_t)&glen);
		struct hoop_cqe r = run(ring);
		if (r.res == -EOPNOTSUPP) {
			printf("getsockname command (peer %d): not in this "
			       "kernel (before 6.19), clean -EOPNOTSUPP\n",
			       peer);
			continue;
		}
		if (peer == 2) {
			CHECK_EQ(r.res, -EINVAL);
			continue;
		}
		CHECK_EQ(r.res, 0);
		if (peer)
			CHECK_EQ(getpeername(c, (struct sockaddr *)&want, &wlen),
			         0);
		else
			CHECK_EQ(getsockname(c, (struct sockaddr *)&want, &wlen),
			         0);
		CHECK_EQ(glen, wlen);
		CHECK_EQ(got.sin_port, want.sin_port);
		CHECK_EQ(got.sin_addr.s_addr, want.sin_addr.s_addr);
	}
	close(c);
	close(s);
}

static void block_cmds(hoop_ring *ring)
{
	int fd = t_tmpfile(8192, NULL);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_cmd_discard(sqe, fd, 4096, 4096);
	CHECK_EQ(sqe->opcode, HOOP_OP_URING_CMD);
	CHECK_EQ((uint32_t)sqe->off, HOOP_BLOCK_CMD_DISCARD);
	CHECK_EQ(sqe->addr, 4096);
	CHECK_EQ(sqe->addr3, 4096);
	struct hoop_cqe r = run(ring);
	CHECK_EQ(r.res, -EOPNOTSUPP);
	sqe = t_sqe(ring);
	hoop_prep_cmd_zone_reset_all(sqe, fd);
	CHECK_EQ((uint32_t)sqe->off, HOOP_BLOCK_CMD_ZONE_RESET_ALL);
	CHECK_EQ(sqe->addr, 0);
	CHECK_EQ(sqe->addr3, 0);
	r = run(ring);
	CHECK_EQ(r.res, -EOPNOTSUPP);
	printf("discard and zone reset all on a regular file: -EOPNOTSUPP (no "
	       "block device here to run them on)\n");
	close(fd);
}

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	send_set_addr(ring);
	sendmsg_zc_fixed(ring);
	getsockname_cmd(ring);
	block_cmds(ring);
	hoop_ring_destroy(ring);
	return T_PASS;
}
