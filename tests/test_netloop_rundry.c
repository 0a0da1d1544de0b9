/*
 * A 1-buffer group running out in the middle of a stream, through the loop,
 * in both modes: the receive ends with -ENOBUFS (no MORE), the data that
 * arrived meanwhile waits in the socket, and after the buffer is given back
 * a new receive delivers everything, in order, intact.
 */
#include "test_net_util.h"

static hoop_bufgroup *G;
static unsigned char got[4096];
static size_t ngot;
static int held = -1; /* a buffer kept out on purpose */
static bool hold, dry, eof;

static void on_recv(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	if (res > 0) {
		int bid = hoop_bufgroup_cqe_bid(flags);
		CHECK_EQ(bid, 0);
		CHECK(ngot + (size_t)res <= sizeof(got));
		memcpy(got + ngot, hoop_bufgroup_buf(G, 0), (size_t)res);
		ngot += (size_t)res;
		if (hold)
			held = bid;
		else
			CHECK_EQ(hoop_bufgroup_return(G, (unsigned)bid), 0);
	}
	if (flags & HOOP_CQE_F_MORE)
		return;
	if (res == -ENOBUFS && !hold) /* one buffer runs dry all the time */
		CHECK_EQ(hoop_loop_recv(l, *(int *)arg, G, 0, on_recv, arg, NULL),
		         0);
	else if (res == -ENOBUFS)
		dry = true;
	else if (res == 0)
		eof = true;
	else
		CHECK(res > 0 && 0); /* nothing else ends it here */
}

static void run(unsigned mode_flags, int mode)
{
	hoop_loop *l = tn_loop();
	int c, s;
	CHECK_EQ(t_tcp_pair(&c, &s), 0);
	CHECK_EQ(hoop_bufgroup_create(&G, hoop_loop_ring(l), 7, 1, 64, mode_flags),
	         0);
	CHECK_EQ(hoop_bufgroup_mode(G), mode);
	ngot = 0;
	held = -1;
	hold = true;
	dry = eof = false;
	unsigned char msg[1000];
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 29 + 1);

	CHECK_EQ(hoop_loop_recv(l, s, G, 0, on_recv, &s, NULL), 0);
	CHECK_EQ(tn_send_all(c, msg, 40), 0);
	TN_RUN_UNTIL(l, held == 0);
	CHECK_EQ(ngot, 40);
	CHECK_EQ(hoop_bufgroup_available(G), 0);
	/* Mid-stream, the only buffer is out. */
	CHECK_EQ(tn_send_all(c, msg + 40, 60), 0);
	TN_RUN_UNTIL(l, dry);
	CHECK_EQ(ngot, 40);
	CHECK_EQ(hoop_loop_pending(l), 0);

	/* Give it back and receive again: the rest, intact. */
	hold = false;
	CHECK_EQ(hoop_bufgroup_return(G, 0), 0);
	CHECK_EQ(hoop_bufgroup_return(G, 0), -EALREADY);
	CHECK_EQ(hoop_loop_recv(l, s, G, 0, on_recv, &s, NULL), 0);
	CHECK_EQ(tn_send_all(c, msg + 100, sizeof(msg) - 100), 0);
	shutdown(c, SHUT_WR);
	TN_RUN_UNTIL(l, eof);
	CHECK_EQ(ngot, sizeof(msg));
	CHECK(memcmp(got, msg, sizeof(msg)) == 0);
	CHECK_EQ(hoop_bufgroup_available(G), 1);
	hoop_bufgroup_destroy(G);
	hoop_loop_destroy(l);
	close(c);
	close(s);
}

int main(void)
{
	int fds = t_fd_count();
	run(0, HOOP_BUFGROUP_MODE_RING);
	run(HOOP_BUFGROUP_LEGACY, HOOP_BUFGROUP_MODE_PROVIDE);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
