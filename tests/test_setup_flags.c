/*
 * Every setup flag this kernel accepts, alone or with what it requires:
 * create, check the flags in force, a NOP round trip (a batch of 3, which
 * also steps over SQE128/CQE32 slots), destroy, no fd left behind. IOPOLL
 * rings are only created (a NOP cannot be polled for). A flag newer than
 * the running kernel (6.<since>) must be refused with EINVAL, and the fd
 * of the refused ring must not leak (tests/kernels runs this on 6.1).
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>

struct setup_case {
	const char *name;
	uint32_t flags;
	uint32_t hoop_flags;
	int create_only;
	unsigned since; /* first 6.x kernel that accepts it; 0: older ones */
};

static const struct setup_case cases[] = {
        {"plain", 0, 0, 0, 0},
        {"IOPOLL", HOOP_SETUP_IOPOLL, 0, 1, 0},
        {"SQPOLL", HOOP_SETUP_SQPOLL, 0, 0, 0},
        {"SQPOLL|SQ_AFF", HOOP_SETUP_SQPOLL | HOOP_SETUP_SQ_AFF, 0, 0, 0},
        {"CQSIZE", HOOP_SETUP_CQSIZE, 0, 0, 0},
        {"SUBMIT_ALL", HOOP_SETUP_SUBMIT_ALL, 0, 0, 0},
        {"COOP_TASKRUN", HOOP_SETUP_COOP_TASKRUN, 0, 0, 0},
        {"COOP_TASKRUN|TASKRUN_FLAG",
         HOOP_SETUP_COOP_TASKRUN | HOOP_SETUP_TASKRUN_FLAG, 0, 0, 0},
        {"SQE128", HOOP_SETUP_SQE128, 0, 0, 0},
        {"CQE32", HOOP_SETUP_CQE32, 0, 0, 0},
        {"SQE128|CQE32", HOOP_SETUP_SQE128 | HOOP_SETUP_CQE32, 0, 0, 0},
        {"SINGLE_ISSUER", HOOP_SETUP_SINGLE_ISSUER, 0, 0, 0},
        {"SINGLE_ISSUER|DEFER_TASKRUN",
         HOOP_SETUP_SINGLE_ISSUER | HOOP_SETUP_DEFER_TASKRUN, 0, 0, 0},
        {"SINGLE_ISSUER|DEFER_TASKRUN|TASKRUN_FLAG",
         HOOP_SETUP_SINGLE_ISSUER | HOOP_SETUP_DEFER_TASKRUN | HOOP_SETUP_TASKRUN_FLAG,
         0, 0, 0},
        {"NO_MMAP", HOOP_SETUP_NO_MMAP, 0, 0, 5},
        {"NO_MMAP|CQE32", HOOP_SETUP_NO_MMAP | HOOP_SETUP_CQE32, 0, 0, 5},
        {"NO_MMAP|REGISTERED_FD_ONLY",
         HOOP_SETUP_NO_MMAP | HOOP_SETUP_REGISTERED_FD_ONLY, 0, 0, 5},
        {"NO_SQARRAY", HOOP_SETUP_NO_SQARRAY, 0, 0, 6},
        {"KEEP_SQARRAY", 0, HOOP_RING_KEEP_SQARRAY, 0, 0},
        {"REGISTER_RING_FD", 0, HOOP_RING_REGISTER_RING_FD, 0, 0},
        {"REGISTER_RING_FD|SQPOLL", HOOP_SETUP_SQPOLL,
         HOOP_RING_REGISTER_RING_FD, 0, 0},
        {"SQPOLL|NO_MMAP", HOOP_SETUP_SQPOLL | HOOP_SETUP_NO_MMAP, 0, 0, 5},
};

static void run(const struct setup_case *c)
{
	int fds0 = t_fd_count();
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = c->flags;
	p.hoop_flags = c->hoop_flags;
	p.cq_entries = 64;
	p.sq_thread_idle = 10;
	p.sq_thread_cpu = 0;
	hoop_ring *ring = NULL;
	int r = hoop_ring_create(&ring, 8, &p);
	if (c->since && !t_kernel_at_least(6, c->since)) {
		fprintf(stderr, "case %s: refused before 6.%u: %s\n", c->name,
		        c->since, hoop_strerror(r));
		CHECK_EQ(r, -EINVAL);
		CHECK_EQ(t_fd_count(), fds0);
		return;
	}
	if (r != 0)
		fprintf(stderr, "case %s: create gave %s\n", c->name,
		        hoop_strerror(r));
	CHECK_EQ(r, 0);
	CHECK_EQ(hoop_ring_setup_flags(ring) & c->flags, c->flags);
	CHECK_EQ(hoop_ring_sq_entries(ring), 8);
	CHECK_EQ(hoop_ring_cq_entries(ring),
	         (c->flags & HOOP_SETUP_CQSIZE) ? 64 : 16);
	int reg_only = (c->flags & HOOP_SETUP_REGISTERED_FD_ONLY) != 0;
	CHECK_EQ(t_fd_count(), fds0 + (reg_only ? 0 : 1));
	if (reg_only)
		CHECK_EQ(hoop_ring_fd(ring), -1);
	else
		CHECK(hoop_ring_fd(ring) >= 0);

	if (!c->create_only) {
		for (int i = 0; i < 3; i++) {
			struct hoop_sqe *sqe = t_sqe(ring);
			hoop_prep_nop(sqe);
			hoop_sqe_set_data(sqe, (uint64_t)(10 + i));
		}
		struct hoop_cqe *cqe = NULL;
		CHECK_EQ(hoop_ring_submit_and_wait(ring, 3) >= 0, 1);
		CHECK_EQ(hoop_ring_wait_cqe_nr(ring, &cqe, 3), 0);
		for (int i = 0; i < 3; i++) {
			struct hoop_cqe c1 = t_wait_one(ring);
			CHECK_EQ(c1.user_data, (uint64_t)(10 + i));
			CHECK_EQ(c1.res, 0);
			if (c->flags & HOOP_SETUP_CQE32)
				CHECK_EQ(c1.flags & ~HOOP_CQE_F_32, 0);
		}
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, 99);
		struct hoop_cqe last = t_submit_wait_one(ring);
		CHECK_EQ(last.user_data, 99);
		CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	}
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds0);
}

int main(void)
{
	/* Skip cleanly where io_uring itself is unavailable. */
	hoop_ring_destroy(t_ring(2, 0));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run(&cases[i]);
	return T_PASS;
}
