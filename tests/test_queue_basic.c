/*
 * hoop_queue: add and wait with min 0, 1 and N, max smaller than what is
 * ready, -ETIME with nothing moved, the capacity limit (-EAGAIN, nothing
 * submitted), the readiness fd, and ready/outstanding at every step.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define CAP 4

static hoop_engine *e;
static hoop_queue *q;

static int fd_readable(void)
{
	struct pollfd pfd = {hoop_queue_fd(q), POLLIN, 0};
	int r = poll(&pfd, 1, 0);
	CHECK(r >= 0);
	return r == 1 && (pfd.revents & POLLIN);
}

static void expect(unsigned ready, unsigned outstanding)
{
	CHECK_EQ(hoop_queue_ready(q), ready);
	CHECK_EQ(hoop_queue_outstanding(q), outstanding);
	CHECK_EQ(fd_readable(), ready > 0);
}

static uint64_t submitted(void)
{
	struct hoop_engine_metrics m;
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	return m.submitted;
}

/* Wait (bounded) until `n` completions are ready, without collecting. */
static void until_ready(unsigned n)
{
	uint64_t until = t_now_ns() + 5000000000ull;
	while (hoop_queue_ready(q) < n) {
		CHECK(t_now_ns() < until);
		usleep(100);
	}
	CHECK_EQ(hoop_queue_ready(q), n);
}

/* out[0..n) hold tags base..base+n-1, each once, in any order (ops of one
 * add may complete in any order); tok (may be NULL) are their tokens. The
 * bits of *seen already set may not appear again. */
static void check_tags(const struct hoop_completion *out, unsigned n,
                       uint64_t base, const uint64_t *tok, unsigned *seen)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t k = out[i].user_data - base;
		CHECK(k < 8);
		CHECK_EQ(*seen & (1u << k), 0);
		*seen |= 1u << k;
		CHECK_EQ(out[i].res, 0);
		if (tok)
			CHECK_EQ(out[i].token, tok[k]);
	}
}

static void nops(struct hoop_op *ops, unsigned n, uint64_t base)
{
	for (unsigned i = 0; i < n; i++) {
		hoop_op_nop(&ops[i]);
		ops[i].user_data = base + i;
	}
}

int main(void)
{
	int fds = t_fd_count();
	e = t_engine(NULL);
	CHECK_EQ(hoop_queue_create(NULL, e, CAP), -EINVAL);
	CHECK_EQ(hoop_queue_create(&q, NULL, CAP), -EINVAL);
	CHECK_EQ(hoop_queue_create(&q, e, 0), -EINVAL);
	CHECK_EQ(hoop_queue_create(&q, e, hoop_engine_max_inflight(e) + 1),
	         -EINVAL);
	CHECK_EQ(hoop_queue_create(&q, e, CAP), 0);
	CHECK_EQ(hoop_queue_cap(q), CAP);
	CHECK(hoop_queue_fd(q) >= 0);
	expect(0, 0);

	struct hoop_completion out[8];
	struct hoop_op ops[8];
	uint64_t tok[8];

	/* min 0 on an empty queue: 0 at once, even with a long timeout. */
	uint64_t t0 = t_now_ns();
	CHECK_EQ(hoop_queue_wait(q, out, 8, 0, 10000000000ll), 0);
	CHECK(t_now_ns() - t0 < 2000000000ull);
	CHECK_EQ(hoop_queue_wait(q, out, 8, 1, 1000000), -ETIME);
	CHECK_EQ(hoop_queue_wait(q, out, 2, 3, 0), -EINVAL); /* min > max */
	CHECK_EQ(hoop_queue_wait(q, out, 8, CAP + 1, 0), -EINVAL);
	CHECK_EQ(hoop_queue_wait(NULL, out, 8, 0, 0), -EINVAL);

	/* min 1. */
	nops(ops, 1, 10);
	CHECK_EQ(hoop_queue_add(q, ops, 1, tok, 0), 1);
	CHECK_EQ(hoop_queue_wait(q, out, 8, 1, 5000000000ll), 1);
	CHECK_EQ(out[0].user_data, 10);
	CHECK_EQ(out[0].token, tok[0]);
	CHECK_EQ(out[0].res, 0);
	expect(0, 0);

	/* min N (all four). */
	unsigned seen = 0;
	nops(ops, CAP, 20);
	CHECK_EQ(hoop_queue_add(q, ops, CAP, tok, 0), CAP);
	CHECK_EQ(hoop_queue_wait(q, out, 8, CAP, 5000000000ll), CAP);
	check_tags(out, CAP, 20, tok, &seen);
	expect(0, 0);

	/* max smaller than what is ready. */
	nops(ops, CAP, 30);
	CHECK_EQ(hoop_queue_add(q, ops, CAP, tok, 0), CAP);
	until_ready(CAP);
	expect(CAP, CAP);
	seen = 0;
	CHECK_EQ(hoop_queue_wait(q, out, 3, 1, 0), 3);
	check_tags(out, 3, 30, tok, &seen);
	expect(1, 1);
	CHECK_EQ(hoop_queue_wait(q, out, 8, 2, 1000000), -ETIME);
	expect(1, 1);
	CHECK_EQ(hoop_queue_wait(q, out, 8, 0, 0), 1);
	check_tags(out, 1, 30, tok, &seen);
	CHECK_EQ(seen, 0xf);
	expect(0, 0);

	/* Capacity: adding beyond it is -EAGAIN and submits nothing. */
	int p[2];
	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
	unsigned char rb[CAP];
	for (int i = 0; i < CAP; i++) {
		hoop_op_read(&ops[i], p[0], &rb[i], 1, (uint64_t)-1);
		ops[i].user_data = 40 + i;
	}
	uint64_t sub = submitted();
	CHECK_EQ(hoop_queue_add(q, ops, CAP + 1, NULL, 0), -EAGAIN);
	CHECK_EQ(submitted(), sub);
	CHECK_EQ(hoop_queue_add(q, ops, 3, NULL, 0), 3);
	CHECK_EQ(hoop_queue_add(q, ops + 3, 2, NULL, 0), -EAGAIN);
	CHECK_EQ(submitted(), sub + 3);
	CHECK_EQ(hoop_queue_add(q, ops + 3, 1, NULL, 0), 1);
	CHECK_EQ(hoop_queue_add(q, ops, 1, NULL, 0), -EAGAIN);
	CHECK_EQ(submitted(), sub + CAP);
	expect(0, CAP);

	/* -ETIME moves nothing. */
	memset(out, 0x77, sizeof(out));
	CHECK_EQ(hoop_queue_wait(q, out, 8, 1, 1000000), -ETIME);
	CHECK_EQ(out[0].user_data, 0x7777777777777777ull);
	expect(0, CAP);

	/* Two reads complete: ready 2, fd readable; collecting one leaves it
	 * readable, collecting the second clears it. */
	CHECK_EQ(write(p[1], "ab", 2), 2);
	until_ready(2);
	expect(2, CAP);
	CHECK_EQ(hoop_queue_wait(q, out, 1, 1, 0), 1);
	CHECK_EQ(out[0].res, 1);
	expect(1, CAP - 1);
	CHECK_EQ(hoop_queue_wait(q, out, 1, 1, 0), 1);
	expect(0, CAP - 2);
	/* Room for two more now, not three. */
	nops(ops, 3, 50);
	CHECK_EQ(hoop_queue_add(q, ops, 3, NULL, 0), -EAGAIN);
	CHECK_EQ(hoop_queue_add(q, ops, 2, NULL, 0), 2);
	CHECK_EQ(hoop_queue_wait(q, out, 8, 2, 5000000000ll), 2);
	seen = 0;
	check_tags(out, 2, 50, NULL, &seen);
	CHECK_EQ(seen, 0x3);
	expect(0, CAP - 2);
	CHECK_EQ(write(p[1], "cd", 2), 2);
	CHECK_EQ(hoop_queue_wait(q, out, 8, 2, 5000000000ll), 2);
	CHECK_EQ(out[0].res, 1);
	CHECK_EQ(out[1].res, 1);
	expect(0, 0);
	seen = 0;
	for (int i = 0; i < CAP; i++)
		seen |= 1u << (rb[i] - 'a');
	CHECK_EQ(seen, 0xf);

	hoop_queue_destroy(q);
	hoop_queue_destroy(NULL);
	hoop_engine_destroy(e);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
