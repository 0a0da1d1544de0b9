/*
 * CQEs the engine never asked for (RELIABILITY.md row 15), posted for real
 * into the engine's ring from another ring with MSG_RING: a user_data that
 * names no slot, one that names a slot out of range, and the stale token of
 * an operation already collected (same slot, old generation). Each is
 * counted in unknown_cqes and dropped; no owner sees any of them; the
 * engine keeps working and a new op on the reused slot gets its own result.
 */
#include "helpers.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

/* The engine's ring fd: the io_uring fd that is not `mine`. */
static int find_engine_ring(int mine)
{
	for (int fd = 3; fd < 1024; fd++) {
		char p[64], l[64];
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(p, l, sizeof(l) - 1);
		if (n <= 0)
			continue;
		l[n] = 0;
		if (fd != mine && strcmp(l, "anon_inode:[io_uring]") == 0)
			return fd;
	}
	return -1;
}

static void post(hoop_ring *r, int target, uint64_t ud)
{
	struct hoop_sqe *sqe = t_sqe(r);
	hoop_prep_msg_ring(sqe, target, 77, ud, 0);
	hoop_sqe_set_data(sqe, 1);
	struct hoop_cqe c = t_submit_wait_one(r);
	CHECK_EQ(c.res, 0);
}

int main(void)
{
	int fds0 = t_fd_count();
	hoop_engine_params ep;
	memset(&ep, 0, sizeof(ep));
	ep.backend = HOOP_BACKEND_URING;
	hoop_engine *e;
	int err = hoop_engine_create(&e, &ep);
	if (err == -EPERM || err == -ENOSYS)
		SKIP("io_uring unavailable: %s", hoop_strerror(err));
	CHECK_EQ(err, 0);
	hoop_ring *mine = t_ring(4, 0);
	int target = find_engine_ring(hoop_ring_fd(mine));
	CHECK(target >= 0);

	/* One op, collected: its token is now stale. */
	struct hoop_op op;
	uint64_t tok, tok2;
	struct hoop_completion c;
	hoop_op_nop(&op);
	op.user_data = 9;
	CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok, 0), 1);
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 5000000000ll), 0);

	post(mine, target, 0);                  /* no slot */
	post(mine, target, (uint64_t)UINT_MAX); /* slot out of range */
	post(mine, target, tok);                /* stale generation */
	CHECK_EQ(hoop_engine_wait(e, tok, &c, 0), -ENOENT);

	/*
	 * With nothing in flight the engine thread sleeps and nobody reaps:
	 * the stray CQEs wait in the CQ until the next operation's reap. The
	 * engine still works; the slot's next owner gets its own result.
	 */
	op.user_data = 10;
	CHECK_EQ(hoop_engine_submit(e, &op, 1, &tok2, 0), 1);
	CHECK_EQ(hoop_engine_wait(e, tok2, &c, 5000000000ll), 0);
	CHECK_EQ(c.user_data, 10);
	CHECK_EQ(c.res, 0);
	struct hoop_engine_metrics m;
	for (int i = 0; i < 5000; i++) {
		CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
		if (m.unknown_cqes == 3)
			break;
		usleep(1000);
	}
	CHECK_EQ(hoop_engine_get_metrics(e, &m, sizeof(m)), 0);
	CHECK_EQ(m.submitted, 2);
	CHECK_EQ(m.completed, 2);
	CHECK_EQ(m.unknown_cqes, 3);

	hoop_ring_destroy(mine);
	hoop_engine_destroy(e);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
