/*
 * IO_DRAIN and CQE_SKIP_SUCCESS are refused by every engine submission path
 * (submit, submit_cb, submit_sqes with and without a callback, queue_add)
 * with -EINVAL and nothing submitted: a drained op would wait behind the
 * engine's own kick poll forever, and a skipped CQE would never reach its
 * owner. A refused call in a batch refuses the whole call; the next call
 * works and reuses the SQEs a refused filler had written.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>

static int cb_calls;

static void on_done(void *arg, const struct hoop_completion *c)
{
	(void)arg;
	(void)c;
	cb_calls++;
}

struct fill {
	unsigned bad_at; /* index of the op given `flag`; >= n: none */
	uint8_t flag;
	unsigned calls;
};

static void fill_nop(void *arg, struct hoop_sqe *sqe, unsigned i)
{
	struct fill *f = arg;
	f->calls++;
	hoop_prep_nop(sqe);
	sqe->user_data = 500 + i;
	if (i == f->bad_at)
		sqe->flags = f->flag;
}

static void check_unchanged(hoop_engine *e, uint64_t submitted)
{
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.submitted, submitted);
	CHECK_EQ(m.inflight, 0);
}

int main(void)
{
	int fds = t_fd_count();
	hoop_engine *e;
	hoop_engine_params prm;
	memset(&prm, 0, sizeof(prm));
	prm.sq_entries = 8;
	e = t_engine(&prm);
	hoop_queue *q;
	CHECK_EQ(hoop_queue_create(&q, e, 4), 0);

	const uint8_t bad[2] = {HOOP_SQE_IO_DRAIN, HOOP_SQE_CQE_SKIP_SUCCESS};
	struct hoop_op ops[3];
	uint64_t tok[3] = {0, 0, 0};
	for (int b = 0; b < 2; b++) {
		for (int i = 0; i < 3; i++) {
			hoop_op_nop(&ops[i]);
			ops[i].user_data = 10 + i;
		}
		/* Alone, and as the middle op of three (with IO_LINK too). */
		ops[1].sqe_flags = bad[b];
		CHECK_EQ(hoop_engine_submit(e, &ops[1], 1, tok, 0), -EINVAL);
		CHECK_EQ(hoop_engine_submit(e, ops, 3, tok, 0), -EINVAL);
		ops[1].sqe_flags = bad[b] | HOOP_SQE_IO_LINK;
		CHECK_EQ(hoop_engine_submit(e, ops, 3, tok, 0), -EINVAL);
		CHECK_EQ(hoop_engine_submit_cb(e, ops, 3, tok, 0, on_done, NULL),
		         -EINVAL);
		CHECK_EQ(hoop_queue_add(q, ops, 3, tok, 0), -EINVAL);
		CHECK_EQ(hoop_queue_outstanding(q), 0);
		/* With NOWAIT and NOFLUSH as well. */
		CHECK_EQ(hoop_engine_submit(e, ops, 3, tok,
		                            HOOP_SUBMIT_NOWAIT | HOOP_SUBMIT_NOFLUSH),
		         -EINVAL);
		struct fill f = {2, bad[b], 0};
		CHECK_EQ(hoop_engine_submit_sqes(e, 3, fill_nop, &f, tok, 0,
		                                 NULL, NULL),
		         -EINVAL);
		CHECK_EQ(f.calls, 3);
		f.bad_at = 0;
		CHECK_EQ(hoop_engine_submit_sqes(e, 3, fill_nop, &f, tok, 0,
		                                 on_done, NULL),
		         -EINVAL);
		CHECK_EQ(tok[0], 0); /* no token handed out */
		check_unchanged(e, 0);
	}
	CHECK_EQ(cb_calls, 0);

	/* The engine still works: the SQEs the refused fillers wrote are
	 * reused, every op completes once with its own tag. */
	struct fill ok = {99, 0, 0};
	CHECK_EQ(hoop_engine_submit_sqes(e, 3, fill_nop, &ok, tok, 0, NULL, NULL),
	         3);
	for (int i = 0; i < 3; i++) {
		struct hoop_completion c;
		CHECK_EQ(hoop_engine_wait(e, tok[i], &c, 5000000000ll), 0);
		CHECK_EQ(c.user_data, 500 + i);
		CHECK_EQ(c.res, 0);
	}
	hoop_op_nop(&ops[0]);
	ops[0].sqe_flags = HOOP_SQE_ASYNC; /* allowed */
	ops[0].user_data = 77;
	CHECK_EQ(hoop_queue_add(q, ops, 1, tok, 0), 1);
	struct hoop_completion qc;
	CHECK_EQ(hoop_queue_wait(q, &qc, 1, 1, 5000000000ll), 1);
	CHECK_EQ(qc.user_data, 77);
	CHECK_EQ(qc.res, 0);
	check_unchanged(e, 4);

	hoop_queue_destroy(q);
	hoop_engine_destroy(e);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
