/*
 * hoop_loop basics: parameters, the ring's tier, raw SQEs with callbacks and
 * ids, cancel by id (-ENOENT for unknown and finished ids), pending counts,
 * run_once with a timeout, bad arguments to every helper, NULL handling.
 */
#include "test_net_util.h"

static int calls;
static int32_t last_res;
static uint32_t last_flags;

static void on_cb(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	CHECK(arg == &calls);
	calls++;
	last_res = res;
	last_flags = flags;
}

int main(void)
{
	int fds = t_fd_count();
	hoop_loop *l = NULL;
	hoop_loop_params p;
	memset(&p, 0, sizeof(p));
	p.resv[2] = 1;
	CHECK_EQ(hoop_loop_create(&l, &p), -EINVAL);
	p.resv[2] = 0;
	p.entries = 65536;
	CHECK_EQ(hoop_loop_create(&l, &p), -EINVAL);
	CHECK_EQ(hoop_loop_create(NULL, NULL), -EINVAL);
	CHECK(l == NULL);

	/* Explicit flags are used as given. */
	p.entries = 8;
	p.setup_flags = HOOP_SETUP_COOP_TASKRUN;
	int r = hoop_loop_create(&l, &p);
	if (r == -EPERM || r == -ENOSYS)
		SKIP("io_uring unavailable");
	CHECK_EQ(r, 0);
	CHECK_EQ(hoop_ring_setup_flags(hoop_loop_ring(l)) &
	                 (HOOP_SETUP_COOP_TASKRUN | HOOP_SETUP_SINGLE_ISSUER |
	                  HOOP_SETUP_CQSIZE),
	         HOOP_SETUP_COOP_TASKRUN | HOOP_SETUP_CQSIZE);
	CHECK_EQ(hoop_ring_cq_entries(hoop_loop_ring(l)), 32);
	hoop_loop_destroy(l);

	/* Default: the best single-owner tier (this kernel has it all). */
	l = tn_loop();
	hoop_ring *ring = hoop_loop_ring(l);
	struct hoop_probe pr = {.size = sizeof(struct hoop_probe)};
	CHECK_EQ(hoop_probe_run(&pr), 0);
	uint32_t want = 0;
	CHECK_EQ(hoop_probe_tier_flags(&pr, pr.tier, 1, &want), 0);
	CHECK_EQ(hoop_ring_setup_flags(ring) & want, want);
	CHECK_EQ(hoop_ring_sq_entries(ring), 256);
	CHECK_EQ(hoop_ring_cq_entries(ring), 1024);

	/* A raw NOP. */
	CHECK(hoop_loop_sqe(l, NULL, NULL) == NULL);
	struct hoop_sqe *sqe = hoop_loop_sqe(l, on_cb, &calls);
	CHECK(sqe != NULL);
	uint64_t id = hoop_loop_sqe_id(sqe);
	CHECK(id != 0);
	hoop_prep_nop(sqe); /* clears user_data: the loop sets it again */
	CHECK_EQ(hoop_loop_pending(l), 1);
	CHECK_EQ(hoop_loop_run_once(l, 1000000000ll), 1);
	CHECK_EQ(calls, 1);
	CHECK_EQ(last_res, 0);
	CHECK_EQ(last_flags & HOOP_CQE_F_MORE, 0);
	CHECK_EQ(hoop_loop_pending(l), 0);
	CHECK_EQ(hoop_loop_cancel(l, id), -ENOENT); /* finished */
	CHECK_EQ(hoop_loop_cancel(l, 12345), -ENOENT);
	CHECK_EQ(hoop_loop_cancel(l, 0), -ENOENT);

	/* A raw long timeout, cancelled by id. */
	struct hoop_timespec ts = {30, 0};
	sqe = hoop_loop_sqe(l, on_cb, &calls);
	uint64_t id2 = hoop_loop_sqe_id(sqe);
	CHECK(id2 != id); /* the slot's generation moved on */
	hoop_prep_timeout(sqe, &ts, 0, 0);
	CHECK_EQ(hoop_loop_run_once(l, 0), 0);
	CHECK_EQ(hoop_loop_cancel(l, id2), 0);
	CHECK_EQ(hoop_loop_cancel(l, id2), 0); /* already being cancelled */
	TN_RUN_UNTIL(l, calls == 2);
	CHECK_EQ(last_res, -ECANCELED);
	CHECK_EQ(hoop_loop_pending(l), 0);

	/* Nothing to do: run_once times out with 0. */
	uint64_t t0 = t_now_ns();
	CHECK_EQ(hoop_loop_run_once(l, 20000000ll), 0);
	CHECK(t_now_ns() - t0 >= 19000000ull);
	CHECK_EQ(hoop_loop_run_once(l, 0), 0);

	/* Bad arguments. */
	hoop_bufgroup *g;
	hoop_ring *other = t_ring(4, 0);
	CHECK_EQ(hoop_bufgroup_create(&g, other, 1, 4, 64, 0), 0);
	CHECK_EQ(hoop_loop_timer(l, 0, 0, on_cb, &calls, NULL), -EINVAL);
	CHECK_EQ(hoop_loop_timer(l, 1, 0x80, on_cb, &calls, NULL), -EINVAL);
	CHECK_EQ(hoop_loop_timer(l, 1, 0, NULL, NULL, NULL), -EINVAL);
	CHECK_EQ(hoop_loop_accept(l, -1, 0, on_cb, &calls, NULL), -EINVAL);
	CHECK_EQ(hoop_loop_accept(l, 0, 0x80, on_cb, &calls, NULL), -EINVAL);
	CHECK_EQ(hoop_loop_recv(l, 0, NULL, 0, on_cb, &calls, NULL), -EINVAL);
	CHECK_EQ(hoop_loop_recv(l, 0, g, 0, on_cb, &calls, NULL), -EINVAL);
	CHECK_EQ(hoop_loop_send(l, -1, "x", 1, 0, NULL, NULL), -EINVAL);
	CHECK_EQ(hoop_loop_send(l, 0, NULL, 1, 0, NULL, NULL), -EINVAL);
	CHECK_EQ(hoop_loop_send(l, 0, "x", 1, 0x80, NULL, NULL), -EINVAL);
	CHECK_EQ(hoop_loop_send(l, 0, "x", (size_t)INT32_MAX + 1, 0, NULL, NULL),
	         -EINVAL);
	CHECK_EQ(hoop_loop_close(l, -1, 0, NULL, NULL), -EINVAL);
	CHECK_EQ(hoop_loop_close(l, 0, 0x80, NULL, NULL), -EINVAL);
	CHECK_EQ(hoop_loop_pending(l), 0);
	hoop_bufgroup_destroy(g);
	hoop_ring_destroy(other);

	/* NULL handling. */
	CHECK_EQ(hoop_loop_run_once(NULL, 0), -EINVAL);
	CHECK_EQ(hoop_loop_run(NULL), -EINVAL);
	CHECK_EQ(hoop_loop_stop(NULL), -EINVAL);
	CHECK_EQ(hoop_loop_cancel(NULL, 1), -EINVAL);
	CHECK_EQ(hoop_loop_pending(NULL), 0);
	CHECK(hoop_loop_ring(NULL) == NULL);
	CHECK_EQ(hoop_loop_sqe_id(NULL), 0);
	hoop_loop_destroy(NULL);

	/* The loop is full: -EBUSY, NULL. */
	unsigned n = 0;
	while (hoop_loop_timer(l, 30000000000ull, 0, on_cb, &calls, NULL) == 0)
		n++;
	CHECK_EQ(n, 1024);
	CHECK_EQ(hoop_loop_timer(l, 1, 0, on_cb, &calls, NULL), -EBUSY);
	CHECK(hoop_loop_sqe(l, on_cb, &calls) == NULL);
	calls = 0;
	hoop_loop_destroy(l); /* runs 1024 final callbacks */
	CHECK_EQ(calls, 1024);
	CHECK_EQ(last_res, -ECANCELED);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
