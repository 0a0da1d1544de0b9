/*
 * A client that vanishes mid-message: it sends half of a request and closes
 * while data the server sent it is still unread, so its kernel answers
 * with a reset. The server's receive delivers the half it got, then ends;
 * its 4 MiB send ends too. The kernel hands the reset's error
 * (-ECONNRESET) to whichever of the two looks first and clears it; the
 * other then sees a shut-down socket: the receive 0, the send -EPIPE. A
 * send that had already moved some bytes reports the count instead of the
 * error (the loop then sends the rest and gets -EPIPE), so at most one of
 * them reports -ECONNRESET. The server closes; nothing hangs; no fd is
 * left.
 */
#include "test_net_util.h"

static hoop_bufgroup *G;
static size_t got;
static int32_t recv_final = 1, send_res = 1, close_res = 1;

static void on_recv(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	(void)arg;
	if (res > 0) {
		got += (size_t)res;
		CHECK_EQ(hoop_bufgroup_return(G, (unsigned)hoop_bufgroup_cqe_bid(
		                                         flags)),
		         0);
	}
	if (!(flags & HOOP_CQE_F_MORE))
		recv_final = res;
}

static void on_sent(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	(void)arg;
	(void)flags;
	send_res = res;
}

static void on_closed(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	(void)arg;
	(void)flags;
	close_res = res;
}

int main(void)
{
	int fds = t_fd_count();
	hoop_loop *l = tn_loop();
	CHECK_EQ(hoop_bufgroup_create(&G, hoop_loop_ring(l), 1, 8, 1024, 0), 0);
	int c, s;
	CHECK_EQ(t_tcp_pair(&c, &s), 0);
	size_t big = 4 << 20;
	unsigned char *data = calloc(1, big);
	CHECK_EQ(hoop_loop_recv(l, s, G, 0, on_recv, NULL, NULL), 0);
	CHECK_EQ(hoop_loop_send(l, s, data, big, 0, on_sent, NULL), 0);
	char half[100];
	memset(half, 'h', sizeof(half));
	CHECK_EQ(tn_send_all(c, half, sizeof(half)), 0);
	TN_RUN_UNTIL(l, got == sizeof(half));
	close(c); /* unread data: the client's kernel resets */
	TN_RUN_UNTIL(l, recv_final != 1 && send_res != 1);
	CHECK(recv_final == -ECONNRESET || recv_final == 0);
	CHECK(send_res == -ECONNRESET || send_res == -EPIPE);
	CHECK((recv_final == -ECONNRESET) + (send_res == -ECONNRESET) <= 1);
	CHECK_EQ(hoop_loop_close(l, s, 0, on_closed, NULL), 0);
	TN_RUN_UNTIL(l, close_res != 1);
	CHECK_EQ(close_res, 0);
	CHECK_EQ(hoop_loop_pending(l), 0);
	hoop_loop_destroy(l);
	hoop_bufgroup_destroy(G);
	free(data);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
