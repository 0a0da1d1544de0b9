/*
 * Resets and closes through the loop:
 *  - the peer resets (SO_LINGER 0, close): the armed receive ends with
 *    -ECONNRESET (what Linux reports for a reset with nothing unread);
 *  - hoop_loop_close ABORT with a receive armed: the receive gets
 *    -ECANCELED first, close's callback (0) comes last, the peer reads
 *    ECONNRESET;
 *  - graceful close with a receive armed and a send in flight: the receive
 *    is cancelled, the send finishes with all its bytes, close's callback is
 *    last, and the peer reads everything, then end of stream.
 */
#include "test_net_util.h"

static int seq;
struct rec {
	int order, calls;
	int32_t res;
};

static void on_any(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	struct rec *r = arg;
	if (flags & HOOP_CQE_F_MORE)
		return;
	r->calls++;
	r->res = res;
	r->order = ++seq;
}

static hoop_bufgroup *G;

static void on_recv(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	if (res > 0)
		CHECK_EQ(hoop_bufgroup_return(G, (unsigned)hoop_bufgroup_cqe_bid(
		                                         flags)),
		         0);
	on_any(l, arg, res, flags);
}

int main(void)
{
	int fds = t_fd_count();
	hoop_loop *l = tn_loop();
	CHECK_EQ(hoop_bufgroup_create(&G, hoop_loop_ring(l), 1, 8, 4096, 0), 0);
	int c, s;

	/* The peer resets. */
	CHECK_EQ(t_tcp_pair(&c, &s), 0);
	struct rec rv = {0}, cl = {0};
	CHECK_EQ(hoop_loop_recv(l, s, G, 0, on_recv, &rv, NULL), 0);
	CHECK_EQ(hoop_loop_run_once(l, 0), 0);
	struct linger lg = {1, 0};
	CHECK_EQ(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(c);
	TN_RUN_UNTIL(l, rv.calls == 1);
	CHECK_EQ(rv.res, -ECONNRESET);
	CHECK_EQ(hoop_loop_close(l, s, 0, on_any, &cl), 0);
	TN_RUN_UNTIL(l, cl.calls == 1);
	CHECK_EQ(cl.res, 0);

	/* We abort. */
	CHECK_EQ(t_tcp_pair(&c, &s), 0);
	tn_timeout(c);
	memset(&rv, 0, sizeof(rv));
	memset(&cl, 0, sizeof(cl));
	CHECK_EQ(hoop_loop_recv(l, s, G, 0, on_recv, &rv, NULL), 0);
	CHECK_EQ(hoop_loop_run_once(l, 0), 0);
	CHECK_EQ(hoop_loop_close(l, s, HOOP_LOOP_ABORT, on_any, &cl), 0);
	CHECK_EQ(hoop_loop_close(l, s, 0, on_any, &cl), -EALREADY);
	CHECK_EQ(hoop_loop_send(l, s, "x", 1, 0, NULL, NULL), -EBADF);
	TN_RUN_UNTIL(l, cl.calls == 1);
	CHECK_EQ(rv.calls, 1);
	CHECK_EQ(rv.res, -ECANCELED);
	CHECK_EQ(cl.res, 0);
	CHECK(rv.order < cl.order);
	char b[8];
	CHECK_EQ(recv(c, b, sizeof(b), 0), -1);
	CHECK_EQ(errno, ECONNRESET);
	close(c);

	/* Graceful, with a send of 4 MiB in flight (the peer reads later). */
	CHECK_EQ(t_tcp_pair(&c, &s), 0);
	tn_timeout(c);
	memset(&rv, 0, sizeof(rv));
	memset(&cl, 0, sizeof(cl));
	struct rec sd = {0};
	size_t big = 4 << 20;
	unsigned char *data = malloc(big), *in = malloc(big + 1);
	for (size_t i = 0; i < big; i++)
		data[i] = (unsigned char)(i * 5 + (i >> 12));
	CHECK_EQ(hoop_loop_recv(l, s, G, 0, on_recv, &rv, NULL), 0);
	CHECK_EQ(hoop_loop_send(l, s, data, big, 0, on_any, &sd), 0);
	CHECK_EQ(hoop_loop_run_once(l, 0), 0);
	CHECK_EQ(hoop_loop_close(l, s, 0, on_any, &cl), 0);
	TN_RUN_UNTIL(l, rv.calls == 1);
	CHECK_EQ(rv.res, -ECANCELED);
	CHECK_EQ(sd.calls, 0); /* the peer has not read yet */
	CHECK_EQ(cl.calls, 0);
	CHECK_EQ(hoop_loop_pending(l), 2);
	/* The peer reads in the loop's thread, between rounds. */
	size_t got = 0;
	uint64_t until = t_now_ns() + 10000000000ull;
	while (cl.calls == 0) {
		CHECK(t_now_ns() < until);
		ssize_t r = recv(c, in + got, big + 1 - got, MSG_DONTWAIT);
		if (r > 0)
			got += (size_t)r;
		hoop_loop_run_once(l, 1000000ll);
	}
	CHECK_EQ(sd.res, (int32_t)big);
	CHECK_EQ(cl.res, 0);
	CHECK(sd.order < cl.order);
	CHECK_EQ(tn_recv_all(c, in + got, big + 1 - got), (ssize_t)(big - got));
	CHECK(memcmp(in, data, big) == 0);
	close(c);
	free(data);
	free(in);

	CHECK_EQ(hoop_loop_pending(l), 0);
	hoop_loop_destroy(l);
	hoop_bufgroup_destroy(G);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
