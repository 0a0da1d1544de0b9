/*
 * hoop_engine_wait's timeout keeps the slot reserved; hoop_engine_release
 * frees a slot when its completion arrives; a stale token never reaches a
 * reused slot.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAXF 4

static hoop_engine *e;

static struct hoop_engine_metrics metrics(void)
{
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	return m;
}

static uint64_t submit1(const struct hoop_op *op, unsigned flags, int expect)
{
	uint64_t tok = 0;
	CHECK_EQ(hoop_engine_submit(e, op, 1, &tok, flags), expect);
	return tok;
}

/* Wait (bounded) until metrics.inflight drops to `n`. */
static void wait_inflight(uint64_t n)
{
	uint64_t until = t_now_ns() + 5000000000ull;
	while (metrics().inflight != n) {
		CHECK(t_now_ns() < until);
		usleep(200);
	}
}

int main(void)
{
	int fds = t_fd_count();
	hoop_engine_params prm;
	memset(&prm, 0, sizeof(prm));
	prm.sq_entries = 8;
	prm.cq_entries = 16;
	prm.max_inflight = MAXF;
	e = t_engine(&prm);
	CHECK_EQ(hoop_engine_max_inflight(e), MAXF);

	int p[MAXF][2];
	for (int i = 0; i < MAXF; i++)
		CHECK_EQ(pipe2(p[i], O_CLOEXEC), 0);
	unsigned char buf[MAXF];
	struct hoop_op op, nop;
	struct hoop_completion c;
	hoop_op_nop(&nop);
	nop.user_data = 9;

	/* 1 ms timeout on a blocked read: -ETIME, the slot stays reserved,
	 * and waiting again after the write gets the result. */
	hoop_op_read(&op, p[0][0], &buf[0], 1, (uint64_t)-1);
	op.user_data = 1;
	uint64_t tok = submit1(&op, 0, 1);
	memset(&c, 0xab, sizeof(c));
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 1000000), -ETIME);
	CHECK_EQ(c.res, (int32_t)0xabababab);
	CHECK_EQ(metrics().inflight, 1);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 0), -ETIME);
	CHECK_EQ(write(p[0][1], "A", 1), 1);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);
	CHECK_EQ(c.res, 1);
	CHECK_EQ(c.user_data, 1);
	CHECK_EQ(buf[0], 'A');
	CHECK_EQ(metrics().inflight, 0);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 0), -ENOENT);

	/* Release every slot while its read is pending: still reserved, so a
	 * NOWAIT submit finds no room and consumes nothing. */
	uint64_t rel[MAXF];
	for (int i = 0; i < MAXF; i++) {
		hoop_op_read(&op, p[i][0], &buf[i], 1, (uint64_t)-1);
		op.user_data = 100 + i;
		rel[i] = submit1(&op, 0, 1);
	}
	for (int i = 0; i < MAXF; i++)
		CHECK_EQ(hoop_engine_release(e, rel[i]), 0);
	CHECK_EQ(hoop_engine_release(e, rel[0]), -ENOENT);
	CHECK_EQ(hoop_engine_wait(e, rel[0], &c, 0), -ENOENT);
	struct hoop_engine_metrics m = metrics();
	CHECK_EQ(m.inflight, MAXF);
	uint64_t sub = m.submitted;
	submit1(&nop, HOOP_SUBMIT_NOWAIT, -EBUSY);
	CHECK_EQ(metrics().submitted, sub);
	/* The completions free the released slots. */
	for (int i = 0; i < MAXF; i++)
		CHECK_EQ(write(p[i][1], "B", 1), 1);
	wait_inflight(0);
	m = metrics();
	CHECK_EQ(m.completed, m.submitted);
	/* The reads took the bytes. (buf[] is not looked at: nothing in the
	 * API tells the owner of a released op when its buffer is free, so
	 * reading it here would race as far as the memory model goes.) */
	for (int i = 0; i < MAXF; i++) {
		int left = -1;
		CHECK_EQ(ioctl(p[i][0], FIONREAD, &left), 0);
		CHECK_EQ(left, 0);
	}
	/* All MAXF slots are usable again, without waiting. */
	struct hoop_op nops[MAXF];
	uint64_t toks[MAXF];
	for (int i = 0; i < MAXF; i++) {
		hoop_op_nop(&nops[i]);
		nops[i].user_data = 200 + i;
	}
	CHECK_EQ(hoop_engine_submit(e, nops, MAXF, toks, HOOP_SUBMIT_NOWAIT), MAXF);
	for (int i = 0; i < MAXF; i++) {
		CHECK_EQ(hoop_engine_wait(e, toks[i], &c, 5000000000ll), 0);
		CHECK_EQ(c.res, 0);
		CHECK_EQ(c.user_data, 200 + i);
	}

	/* Release of a completed, uncollected token frees its slot at once. */
	tok = submit1(&nop, 0, 1);
	wait_inflight(0);
	CHECK_EQ(hoop_engine_release(e, tok), 0);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 0), -ENOENT);
	CHECK_EQ(hoop_engine_submit(e, nops, MAXF, toks, HOOP_SUBMIT_NOWAIT), MAXF);
	for (int i = 0; i < MAXF; i++)
		CHECK_EQ(hoop_engine_wait(e, toks[i], &c, 5000000000ll), 0);

	/* Stale tokens: each slot has been reused since rel[] and toks[] of
	 * the first round were handed out; they must match nothing. */
	uint64_t stale = toks[0];
	for (int round = 0; round < 3; round++) {
		CHECK_EQ(hoop_engine_submit(e, nops, MAXF, toks, 0), MAXF);
		for (int i = 0; i < MAXF; i++) {
			CHECK(toks[i] != stale);
			CHECK_EQ(hoop_engine_wait(e, stale, &c, 0), -ENOENT);
			CHECK_EQ(hoop_engine_release(e, stale), -ENOENT);
			CHECK_EQ(hoop_engine_cancel(e, stale), -ENOENT);
		}
		for (int i = 0; i < MAXF; i++) {
			CHECK_EQ(hoop_engine_wait(e, toks[i], &c, 5000000000ll), 0);
			CHECK_EQ(c.user_data, 200 + i);
		}
	}
	for (int i = 0; i < MAXF; i++) {
		CHECK_EQ(hoop_engine_wait(e, rel[i], &c, 0), -ENOENT);
		CHECK_EQ(hoop_engine_release(e, rel[i]), -ENOENT);
	}
	/* Out-of-range tokens. */
	CHECK_EQ(hoop_engine_wait(e, 0, &c, 0), -ENOENT);
	CHECK_EQ(hoop_engine_wait(e, MAXF + 1, &c, 0), -ENOENT);
	CHECK_EQ(hoop_engine_release(e, ~0ull), -ENOENT);

	m = metrics();
	CHECK_EQ(m.inflight, 0);
	CHECK_EQ(m.submitted, m.completed);
	CHECK_EQ(m.submitted, 1 + MAXF + MAXF + 1 + MAXF + 3 * MAXF);
	CHECK_EQ(m.unknown_cqes, 0);
	hoop_engine_destroy(e);
	for (int i = 0; i < MAXF; i++) {
		close(p[i][0]);
		close(p[i][1]);
	}
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
