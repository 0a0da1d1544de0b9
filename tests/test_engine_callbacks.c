/*
 * Callback delivery: each result once with its tag; a callback that submits
 * another op (NOWAIT); hoop_engine_submit_sqes filling SQEs in place, for
 * waiting and for callbacks; a linked chain whose head fails.
 */
#include "helpers.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define N 64

static hoop_engine *e;

struct record {
	atomic_int count[4 * N];
	int32_t res[4 * N];
	uint64_t token[4 * N];
	atomic_int total;
	atomic_int bad;
};
static struct record rec;

static void reset(void) { memset(&rec, 0, sizeof(rec)); }

static void on_done(void *arg, const struct hoop_completion *c)
{
	CHECK(arg == &rec);
	if (c->user_data >= 4 * N || (c->flags & HOOP_CQE_F_MORE)) {
		atomic_fetch_add(&rec.bad, 1);
		return;
	}
	rec.res[c->user_data] = c->res;
	rec.token[c->user_data] = c->token;
	atomic_fetch_add(&rec.count[c->user_data], 1);
	atomic_fetch_add(&rec.total, 1); /* last: publishes the above */
}

/* Wait (bounded) until `n` callbacks have run. */
static void wait_total(int n)
{
	uint64_t until = t_now_ns() + 5000000000ull;
	while (atomic_load(&rec.total) < n) {
		CHECK(t_now_ns() < until);
		usleep(100);
	}
	usleep(1000);
	CHECK_EQ(atomic_load(&rec.total), n); /* and no more */
	CHECK_EQ(atomic_load(&rec.bad), 0);
}

/* A callback that submits a follow-up NOP (tag + N) from inside. */
static atomic_int chained_ret = 12345;

static void on_done_submit(void *arg, const struct hoop_completion *c)
{
	on_done(arg, c);
	if (c->user_data < N) {
		struct hoop_op op;
		uint64_t tok;
		hoop_op_nop(&op);
		op.user_data = c->user_data + N;
		int r = hoop_engine_submit_cb(e, &op, 1, &tok,
		                              HOOP_SUBMIT_NOWAIT, on_done, &rec);
		if (r != 1)
			atomic_store(&chained_ret, r);
		else if (c->user_data == 0)
			atomic_store(&chained_ret, 1);
	}
}

/* N NOPs tagged 0..N-1, and a clean record. */
static void nops_fresh(struct hoop_op *ops)
{
	reset();
	for (int i = 0; i < N; i++) {
		hoop_op_nop(&ops[i]);
		ops[i].user_data = (uint64_t)i;
	}
}

static void test_tags(void)
{
	struct hoop_op ops[N];
	uint64_t tok[N];
	nops_fresh(ops);
	CHECK_EQ(hoop_engine_submit_cb(e, ops, N, tok, 0, on_done, &rec), N);
	wait_total(N);
	for (int i = 0; i < N; i++) {
		CHECK_EQ(atomic_load(&rec.count[i]), 1);
		CHECK_EQ(rec.res[i], 0);
		CHECK_EQ(rec.token[i], tok[i]);
	}
	/* A delivered callback token is gone; a NULL callback is refused. */
	struct hoop_completion c;
	CHECK_EQ(hoop_engine_wait(e, tok[0], &c, 0), -ENOENT);
	CHECK_EQ(hoop_engine_submit_cb(e, ops, 1, tok, 0, NULL, NULL), -EINVAL);
}

static void test_submit_from_callback(void)
{
	struct hoop_op ops[N];
	uint64_t tok[N];
	nops_fresh(ops);
	/* Submitted one at a time so each follow-up finds room. */
	for (int i = 0; i < N; i++)
		CHECK_EQ(hoop_engine_submit_cb(e, &ops[i], 1, &tok[i], 0,
		                               on_done_submit, &rec),
		         1);
	wait_total(2 * N);
	CHECK_EQ(atomic_load(&chained_ret), 1);
	for (int i = 0; i < 2 * N; i++) {
		CHECK_EQ(atomic_load(&rec.count[i]), 1);
		CHECK_EQ(rec.res[i], 0);
	}
}

/* submit_sqes: op i reads 100 bytes at offset i * 100 into bufs[i]. */
static int file_fd;
static unsigned char bufs[8][100];

static void fill_read(void *arg, struct hoop_sqe *sqe, unsigned i)
{
	uint64_t base = *(uint64_t *)arg;
	hoop_prep_read(sqe, file_fd, bufs[i], 100, (uint64_t)i * 100);
	sqe->user_data = base + i;
}

static void check_bufs(void)
{
	for (int i = 0; i < 8; i++)
		for (int k = 0; k < 100; k++)
			CHECK_EQ(bufs[i][k], t_pattern((uint64_t)i * 100 + k));
}

static void test_submit_sqes(void)
{
	uint64_t tok[8], base = 2 * N;
	struct hoop_completion c;
	file_fd = t_tmpfile(8192, NULL);
	memset(bufs, 0, sizeof(bufs));
	CHECK_EQ(hoop_engine_submit_sqes(e, 8, fill_read, &base, tok, 0, NULL, NULL),
	         8);
	for (int i = 0; i < 8; i++) {
		CHECK_EQ(hoop_engine_wait(e, tok[i], &c, 5000000000ll), 0);
		CHECK_EQ(c.res, 100);
		CHECK_EQ(c.user_data, base + i);
	}
	check_bufs();

	reset();
	memset(bufs, 0, sizeof(bufs));
	CHECK_EQ(hoop_engine_submit_sqes(e, 8, fill_read, &base, tok, 0,
	                                 on_done, &rec),
	         8);
	wait_total(8);
	for (int i = 0; i < 8; i++) {
		CHECK_EQ(atomic_load(&rec.count[base + i]), 1);
		CHECK_EQ(rec.res[base + i], 100);
		CHECK_EQ(rec.token[base + i], tok[i]);
	}
	check_bufs();
	CHECK_EQ(hoop_engine_submit_sqes(e, 1, NULL, NULL, tok, 0, NULL, NULL),
	         -EINVAL);
	CHECK_EQ(hoop_engine_submit_sqes(e, 1, fill_read, &base, NULL, 0, NULL, NULL),
	         -EINVAL);
	close(file_fd);
}

/* read(-1) -> NOP -> NOP, linked: -EBADF, then -ECANCELED twice. */
static void prep_chain(struct hoop_op ops[3], uint64_t base)
{
	static unsigned char b[8];
	hoop_op_read(&ops[0], -1, b, sizeof(b), 0);
	hoop_op_nop(&ops[1]);
	hoop_op_nop(&ops[2]);
	ops[0].sqe_flags |= HOOP_SQE_IO_LINK;
	ops[1].sqe_flags |= HOOP_SQE_IO_LINK;
	for (int i = 0; i < 3; i++)
		ops[i].user_data = base + i;
}

static void test_chain(void)
{
	static const int32_t want[3] = {-EBADF, -ECANCELED, -ECANCELED};
	struct hoop_op ops[3];
	uint64_t tok[3];
	struct hoop_completion c;
	prep_chain(ops, 7);
	CHECK_EQ(hoop_engine_submit(e, ops, 3, tok, 0), 3);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(hoop_engine_wait(e, tok[i], &c, 5000000000ll), 0);
		CHECK_EQ(c.user_data, 7 + i);
		CHECK_EQ(c.res, want[i]);
	}
	reset();
	prep_chain(ops, 3 * N);
	CHECK_EQ(hoop_engine_submit_cb(e, ops, 3, tok, 0, on_done, &rec), 3);
	wait_total(3);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(atomic_load(&rec.count[3 * N + i]), 1);
		CHECK_EQ(rec.res[3 * N + i], want[i]);
	}
}

int main(void)
{
	int fds = t_fd_count();
	e = t_engine(NULL);
	test_tags();
	test_submit_from_callback();
	test_submit_sqes();
	test_chain();
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.submitted, N + 2 * N + 8 + 8 + 3 + 3);
	CHECK_EQ(m.completed, m.submitted);
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.unknown_cqes, 0);
	hoop_engine_destroy(e);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
