/*
 * hoop_register_sync_msg (liburing's io_uring_register_sync_msg): a
 * MSG_RING data message sent with no ring of our own. The target ring gets
 * a CQE with the message's user_data and res before the call returns,
 * also with HOOP_MSG_RING_FLAGS_PASS carrying CQE flags; an fd that is not
 * a ring is refused (-EBADFD), and so are a NULL SQE (-EINVAL) and a
 * send-fd message (-EINVAL: data only). Kernels before 6.13 refuse the
 * call (-EINVAL): the test checks that answer and says so.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int main(void)
{
	hoop_ring *target = t_ring(8, 0);
	int tfd = hoop_ring_fd(target);
	CHECK(tfd >= 0);
	struct hoop_sqe sqe;
	hoop_prep_msg_ring(&sqe, tfd, 77, 0xabc, 0);
	int r = hoop_register_sync_msg(&sqe);
	if (r == -EINVAL) {
		CHECK_EQ(hoop_ring_cq_ready(target), 0);
		SKIP("no sync MSG_RING in this kernel (6.13+): a clean "
		     "-EINVAL");
	}
	CHECK_EQ(r, 0);
	/* Posted before the call returned. */
	CHECK_EQ(hoop_ring_cq_ready(target), 1);
	struct hoop_cqe *c;
	CHECK_EQ(hoop_ring_peek_cqe(target, &c), 0);
	CHECK_EQ(c->user_data, 0xabc);
	CHECK_EQ(c->res, 77);
	hoop_ring_cqe_seen(target, c);

	hoop_prep_msg_ring_cqe_flags(&sqe, tfd, 5, 0xdef, 0, 0x8000);
	CHECK_EQ(hoop_register_sync_msg(&sqe), 0);
	CHECK_EQ(hoop_ring_peek_cqe(target, &c), 0);
	CHECK_EQ(c->user_data, 0xdef);
	CHECK_EQ(c->res, 5);
	CHECK_EQ(c->flags, 0x8000);
	hoop_ring_cqe_seen(target, c);

	int efd = eventfd(0, EFD_CLOEXEC);
	CHECK(efd >= 0);
	hoop_prep_msg_ring(&sqe, efd, 1, 1, 0);
	CHECK_EQ(hoop_register_sync_msg(&sqe), -EBADFD);
	close(efd);
	CHECK_EQ(hoop_register_sync_msg(NULL), -EINVAL);
	hoop_prep_msg_ring_fd(&sqe, tfd, 0, 0, 1, 0);
	CHECK_EQ(hoop_register_sync_msg(&sqe), -EINVAL);
	CHECK_EQ(hoop_ring_cq_ready(target), 0);
	hoop_ring_destroy(target);
	return T_PASS;
}
