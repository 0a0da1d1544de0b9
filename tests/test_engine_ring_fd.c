/*
 * hoop_engine_ring_fd: the io_uring instance's fd on the io_uring backend
 * (an anon inode named [io_uring], pollable beside the queue's eventfd),
 * -EOPNOTSUPP on the thread pool, -EINVAL for NULL; a completion of a queue
 * is collected after a poll of both fds says one is readable.
 */
#include "helpers.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	hoop_engine *e;
	e = t_engine(NULL);
	CHECK_EQ(hoop_engine_ring_fd(NULL), -EINVAL);

	int fd = hoop_engine_ring_fd(e);
	if (hoop_engine_backend(e) == HOOP_BACKEND_THREADS) {
		CHECK_EQ(fd, -EOPNOTSUPP);
	} else {
		CHECK(fd >= 0);
		char path[64], link[64] = {0};
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		CHECK(readlink(path, link, sizeof(link) - 1) > 0);
		CHECK_EQ(strcmp(link, "anon_inode:[io_uring]"), 0);
		CHECK_EQ(hoop_engine_ring_fd(e), fd); /* stable */
	}

	hoop_queue *q;
	CHECK_EQ(hoop_queue_create(&q, e, 4), 0);
	struct hoop_op op;
	hoop_op_nop(&op);
	op.user_data = 42;
	CHECK_EQ(hoop_queue_add(q, &op, 1, NULL, 0), 1);
	struct pollfd pfd[2] = {{hoop_queue_fd(q), POLLIN, 0},
	                        {fd >= 0 ? fd : -1, POLLIN, 0}};
	CHECK(poll(pfd, 2, 5000) >= 1);
	struct hoop_completion c;
	CHECK_EQ(hoop_queue_wait(q, &c, 1, 1, 5000000000LL), 1);
	CHECK_EQ(c.user_data, 42u);
	CHECK_EQ(c.res, 0);
	hoop_queue_destroy(q);
	hoop_engine_destroy(e);
	return 0;
}
