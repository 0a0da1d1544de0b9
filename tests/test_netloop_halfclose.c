/*
 * Half-close: the client shuts down its sending side after a request; the
 * server's receive ends with 0 (no MORE), and the server can still send its
 * answer, then close gracefully; the client reads the answer, then end of
 * stream.
 */
#include "test_net_util.h"

static hoop_bufgroup *G;
static char req[64];
static size_t nreq;
static bool eof, sent, closed;

static void on_closed(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	(void)arg;
	(void)flags;
	CHECK_EQ(res, 0);
	CHECK(sent);
	closed = true;
}

static void on_sent(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	(void)arg;
	(void)flags;
	CHECK_EQ(res, 9);
	sent = true;
}

static void on_recv(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	int fd = *(int *)arg;
	if (res > 0) {
		int bid = hoop_bufgroup_cqe_bid(flags);
		memcpy(req + nreq, hoop_bufgroup_buf(G, (unsigned)bid),
		       (size_t)res);
		nreq += (size_t)res;
		CHECK_EQ(hoop_bufgroup_return(G, (unsigned)bid), 0);
	}
	if (flags & HOOP_CQE_F_MORE)
		return;
	CHECK_EQ(res, 0);
	CHECK_EQ(flags & HOOP_CQE_F_BUFFER, 0);
	eof = true;
	/* The other direction is still open. */
	CHECK_EQ(hoop_loop_send(l, fd, "answer:ok", 9, 0, on_sent, NULL), 0);
	CHECK_EQ(hoop_loop_close(l, fd, 0, on_closed, NULL), 0);
}

int main(void)
{
	int fds = t_fd_count();
	hoop_loop *l = tn_loop();
	CHECK_EQ(hoop_bufgroup_create(&G, hoop_loop_ring(l), 3, 4, 64, 0), 0);
	int c, s;
	CHECK_EQ(t_tcp_pair(&c, &s), 0);
	tn_timeout(c);
	CHECK_EQ(hoop_loop_recv(l, s, G, 0, on_recv, &s, NULL), 0);
	CHECK_EQ(tn_send_all(c, "question", 8), 0);
	CHECK_EQ(shutdown(c, SHUT_WR), 0);
	TN_RUN_UNTIL(l, closed);
	CHECK(eof);
	CHECK_EQ(nreq, 8);
	CHECK(memcmp(req, "question", 8) == 0);
	char in[32];
	CHECK_EQ(tn_recv_all(c, in, sizeof(in)), 9);
	CHECK(memcmp(in, "answer:ok", 9) == 0);
	close(c);
	hoop_bufgroup_destroy(G);
	hoop_loop_destroy(l);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
