/*
 * Multishot accept through the loop: connections arrive with MORE; a full
 * fd table (RLIMIT_NOFILE) ends the kernel's multishot with -EMFILE, which
 * the loop reports with MORE and re-arms, so the waiting connection is
 * accepted once the limit is raised; cancel ends it (-ECANCELED, no MORE);
 * accept on a socket that does not listen ends at once (-EINVAL, no MORE);
 * DIRECT accepts into registered file slots.
 */
#include "test_net_util.h"

#include <sys/resource.h>

struct acc {
	int conns[8];
	int nconn, emfile, finals;
	int32_t final_res;
};

static void on_accept(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	struct acc *a = arg;
	if (!(flags & HOOP_CQE_F_MORE)) {
		a->finals++;
		a->final_res = res;
		return;
	}
	if (res == -EMFILE) {
		a->emfile++;
		return;
	}
	CHECK(res >= 0);
	CHECK(a->nconn < 8);
	a->conns[a->nconn++] = res;
}

static int raw_done;
static void on_raw(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	(void)arg;
	(void)flags;
	CHECK_EQ(res, 0);
	raw_done++;
}

int main(void)
{
	int fds = t_fd_count();
	hoop_loop *l = tn_loop();
	uint16_t port;
	int lfd = t_tcp_listener(&port);
	CHECK(lfd >= 0);

	/* Plain: three connections. */
	struct acc a;
	memset(&a, 0, sizeof(a));
	uint64_t id;
	CHECK_EQ(hoop_loop_accept(l, lfd, 0, on_accept, &a, &id), 0);
	int cl[4];
	for (int i = 0; i < 3; i++)
		cl[i] = tn_connect(port);
	TN_RUN_UNTIL(l, a.nconn == 3);
	CHECK_EQ(a.finals, 0);

	/* Cancel: the last call, without MORE. */
	CHECK_EQ(hoop_loop_cancel(l, id), 0);
	TN_RUN_UNTIL(l, a.finals == 1);
	CHECK_EQ(a.final_res, -ECANCELED);
	CHECK_EQ(hoop_loop_pending(l), 0);

	/* A full fd table: -EMFILE ends the kernel's multishot, the loop
	 * re-arms, and the connection is taken once there is room. */
	struct acc b;
	memset(&b, 0, sizeof(b));
	int pre = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(pre >= 0);
	struct rlimit old, low;
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)pre + 1; /* no fd above `pre` can be made */
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
	CHECK_EQ(hoop_loop_accept(l, lfd, 0, on_accept, &b, &id), 0);
	/* Prepared under the limit: the kernel takes an fd before it looks
	 * for a connection, so -EMFILE comes even before one arrives. */
	CHECK(hoop_loop_run_once(l, 0) >= 0);
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_EQ(connect(pre, (struct sockaddr *)&sa, sizeof(sa)), 0);
	TN_RUN_UNTIL(l, b.emfile >= 1);
	CHECK_EQ(b.nconn, 0);
	CHECK_EQ(b.finals, 0);
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &old), 0);
	TN_RUN_UNTIL(l, b.nconn == 1);
	CHECK_EQ(b.finals, 0);
	cl[3] = tn_connect(port);
	TN_RUN_UNTIL(l, b.nconn == 2);
	CHECK_EQ(hoop_loop_cancel(l, id), 0);
	TN_RUN_UNTIL(l, b.finals == 1);
	CHECK_EQ(b.final_res, -ECANCELED);

	/* Not listening: fatal, ends at once. */
	struct acc c;
	memset(&c, 0, sizeof(c));
	int nl = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ(hoop_loop_accept(l, nl, 0, on_accept, &c, NULL), 0);
	TN_RUN_UNTIL(l, c.finals == 1);
	CHECK_EQ(c.final_res, -EINVAL);
	CHECK_EQ(c.nconn, 0);

	/* DIRECT: into slots of a sparse file table. */
	struct acc d;
	memset(&d, 0, sizeof(d));
	CHECK_EQ(hoop_ring_register_files_sparse(hoop_loop_ring(l), 4), 0);
	CHECK_EQ(hoop_loop_accept(l, lfd, HOOP_LOOP_DIRECT, on_accept, &d, &id), 0);
	int dc = tn_connect(port);
	TN_RUN_UNTIL(l, d.nconn == 1);
	CHECK(d.conns[0] >= 0 && d.conns[0] < 4);
	struct hoop_sqe *sqe = hoop_loop_sqe(l, on_raw, NULL);
	hoop_prep_close_direct(sqe, (unsigned)d.conns[0]);
	TN_RUN_UNTIL(l, raw_done == 1);
	CHECK_EQ(hoop_loop_cancel(l, id), 0);
	TN_RUN_UNTIL(l, d.finals == 1);

	hoop_loop_destroy(l);
	for (int i = 0; i < 3; i++)
		close(a.conns[i]);
	for (int i = 0; i < 2; i++)
		close(b.conns[i]);
	for (int i = 0; i < 4; i++)
		close(cl[i]);
	close(pre);
	close(nl);
	close(dc);
	close(lfd);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
