/*
 * hoop_queue_fd asked for only after completions are waiting: the queue
 * keeps its eventfd up to date only once the fd has been asked for (before
 * that nobody can watch it), so the first hoop_queue_fd must make it
 * readable for what is already there. Then it follows the queue as usual:
 * not readable once collected, readable again on the next completion.
 */
#include "helpers.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

static hoop_engine *e;
static hoop_queue *q;

static int readable(int fd)
{
	struct pollfd pfd = {fd, POLLIN, 0};
	int r = poll(&pfd, 1, 0);
	CHECK(r >= 0);
	return r == 1 && (pfd.revents & POLLIN);
}

/* Wait (up to ~5 s) until n completions are ready, without collecting. */
static void until_ready(unsigned n)
{
	for (unsigned tries = 0; hoop_queue_ready(q) < n; tries++) {
		CHECK(tries < 50000);
		usleep(100);
	}
	CHECK_EQ(hoop_queue_ready(q), n);
}

static void add_nops(unsigned n, uint64_t tag)
{
	struct hoop_op ops[4];
	for (unsigned i = 0; i < n; i++) {
		hoop_op_nop(&ops[i]);
		ops[i].user_data = tag + i;
	}
	CHECK_EQ(hoop_queue_add(q, ops, n, NULL, 0), (int)n);
}

int main(void)
{
	int r = hoop_engine_create(&e, NULL);
	if (r == -ENOSYS || r == -EPERM)
		SKIP("no engine: %s", hoop_strerror(r));
	CHECK_EQ(r, 0);
	CHECK_EQ(hoop_queue_create(&q, e, 4), 0);

	/* A queue whose fd nobody asked for: waits work as always. */
	struct hoop_completion c[4];
	add_nops(2, 10);
	CHECK_EQ(hoop_queue_wait(q, c, 4, 2, 5000000000ll), 2);
	CHECK_EQ(c[0].res, 0);
	CHECK_EQ(c[0].user_data + c[1].user_data, 21);

	/* Two completions wait before the fd is first asked for. */
	add_nops(2, 20);
	until_ready(2);
	int fd = hoop_queue_fd(q);
	CHECK(fd >= 0);
	CHECK_EQ(readable(fd), 1);
	CHECK_EQ(hoop_queue_fd(q), fd); /* the same fd, still readable */
	CHECK_EQ(readable(fd), 1);

	/* One collected, one left: still readable; both: not readable. */
	CHECK_EQ(hoop_queue_wait(q, c, 1, 1, 0), 1);
	CHECK_EQ(readable(fd), 1);
	CHECK_EQ(hoop_queue_wait(q, c, 4, 1, 0), 1);
	CHECK_EQ(readable(fd), 0);
	CHECK_EQ(hoop_queue_ready(q), 0);

	/* From now on it follows the queue: readable on the next one. */
	add_nops(1, 30);
	until_ready(1);
	CHECK_EQ(readable(fd), 1);
	CHECK_EQ(hoop_queue_wait(q, c, 4, 1, 0), 1);
	CHECK_EQ(c[0].user_data, 30);
	CHECK_EQ(readable(fd), 0);

	hoop_queue_destroy(q);
	hoop_engine_destroy(e);
	return T_PASS;
}
