/*
 * hoop_loop_destroy with operations in flight: an armed accept, an armed
 * receive, an 8 MiB send the peer never reads with two sends queued behind
 * it and a graceful close behind those, a repeating timer, a raw timeout.
 * Every callback runs exactly once with its final result (-ECANCELED; the
 * close still closes its fd: 0), in the order the header promises for the
 * fd (close last), and no fd is left open.
 */
#include "test_net_util.h"

enum { ACC, RCV, BIG, Q1, Q2, CLS, TMR, RAW, N };
static int calls[N], order[N], seq;
static int32_t res_of[N];

static void on_cb(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	int i = (int)(intptr_t)arg;
	if (flags & HOOP_CQE_F_MORE)
		return;
	calls[i]++;
	res_of[i] = res;
	order[i] = ++seq;
	/* Nothing new can start during destroy. */
	CHECK_EQ(hoop_loop_timer(l, 1, 0, on_cb, arg, NULL), -ESHUTDOWN);
}

int main(void)
{
	int fds = t_fd_count();
	hoop_loop *l = tn_loop();
	hoop_bufgroup *g;
	CHECK_EQ(hoop_bufgroup_create(&g, hoop_loop_ring(l), 1, 4, 256, 0), 0);
	uint16_t port;
	int lfd = t_tcp_listener(&port);
	int c, s;
	CHECK_EQ(t_tcp_pair(&c, &s), 0);
	size_t big = 8 << 20;
	unsigned char *data = calloc(1, big);

	CHECK_EQ(hoop_loop_accept(l, lfd, 0, on_cb, (void *)ACC, NULL), 0);
	CHECK_EQ(hoop_loop_recv(l, s, g, 0, on_cb, (void *)RCV, NULL), 0);
	CHECK_EQ(hoop_loop_send(l, s, data, big, 0, on_cb, (void *)BIG), 0);
	CHECK_EQ(hoop_loop_send(l, s, data, 10, 0, on_cb, (void *)Q1), 0);
	CHECK_EQ(hoop_loop_send(l, s, data, 10, HOOP_LOOP_ZC, on_cb, (void *)Q2),
	         0);
	CHECK_EQ(hoop_loop_timer(l, 1000000, HOOP_LOOP_TIMER_REPEAT, on_cb,
	                         (void *)TMR, NULL),
	         0);
	struct hoop_timespec ts = {60, 0};
	struct hoop_sqe *sqe = hoop_loop_sqe(l, on_cb, (void *)RAW);
	hoop_prep_timeout(sqe, &ts, 0, 0);
	for (int i = 0; i < 5; i++)
		CHECK(hoop_loop_run_once(l, 2000000ll) >= 0);
	/* The close cancels the receive; its cancel goes in with destroy. */
	CHECK_EQ(hoop_loop_close(l, s, 0, on_cb, (void *)CLS), 0);
	CHECK_EQ(hoop_loop_pending(l), 8);
	for (int i = 0; i < N; i++)
		CHECK_EQ(calls[i], 0);

	hoop_loop_destroy(l);
	for (int i = 0; i < N; i++)
		CHECK_EQ(calls[i], 1);
	CHECK_EQ(res_of[ACC], -ECANCELED);
	CHECK_EQ(res_of[RCV], -ECANCELED);
	CHECK_EQ(res_of[BIG], -ECANCELED);
	CHECK_EQ(res_of[Q1], -ECANCELED);
	CHECK_EQ(res_of[Q2], -ECANCELED);
	CHECK_EQ(res_of[TMR], -ECANCELED);
	CHECK_EQ(res_of[RAW], -ECANCELED);
	CHECK_EQ(res_of[CLS], 0);
	for (int i = 0; i < N; i++)
		if (i != CLS && i != ACC && i != TMR && i != RAW)
			CHECK(order[i] < order[CLS]);
	/* s was closed by the loop: the peer sees the end of the stream
	 * after whatever part of the big send got through. */
	char buf[65536];
	tn_timeout(c);
	ssize_t r;
	while ((r = recv(c, buf, sizeof(buf), 0)) > 0)
		;
	CHECK_EQ(r, 0);
	hoop_bufgroup_destroy(g);
	close(c);
	close(lfd);
	free(data);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
