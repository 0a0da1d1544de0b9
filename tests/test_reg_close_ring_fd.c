/*
 * hoop_ring_close_ring_fd: the ring fd is closed (the number is free, the
 * fd count back to what it was before the ring) and the ring goes on
 * through its registered index: NOPs, a read from a fixed file, register
 * calls. Refused without a registered ring fd (-EINVAL, the fd stays open
 * and the ring works), twice (-EBADF). hoop_ring_unregister_ring_fd is then
 * refused (-EINVAL: the index is the last handle). Destroy releases the
 * index: 40 rounds of create, register, close, destroy do not run out of
 * the 16 registered-ring slots a thread has.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static void nops(hoop_ring *ring, unsigned n, uint64_t base)
{
	for (unsigned i = 0; i < n; i++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, base + i);
	}
	CHECK_EQ(hoop_ring_submit_and_wait(ring, n), (int)n);
	for (unsigned i = 0; i < n; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		CHECK_EQ(c.user_data, base + i);
		CHECK_EQ(c.res, 0);
	}
}

int main(void)
{
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	if (!(hoop_ring_features(ring) & HOOP_FEAT_REG_REG_RING)) {
		int r = hoop_ring_register_ring_fd(ring);
		if (r == 1)
			CHECK_EQ(hoop_ring_close_ring_fd(ring), -EOPNOTSUPP);
		CHECK(hoop_ring_fd(ring) >= 0);
		hoop_ring_destroy(ring);
		SKIP("kernel lacks HOOP_FEAT_REG_REG_RING (6.3): -EOPNOTSUPP "
		     "checked");
	}

	/* Not registered: refused, and nothing changes. */
	int fd = hoop_ring_fd(ring);
	CHECK(fd >= 0);
	CHECK_EQ(hoop_ring_close_ring_fd(ring), -EINVAL);
	CHECK_EQ(hoop_ring_fd(ring), fd);
	CHECK(fcntl(fd, F_GETFD) >= 0);
	nops(ring, 2, 10);

	CHECK_EQ(hoop_ring_register_ring_fd(ring), 1);
	CHECK_EQ(hoop_ring_close_ring_fd(ring), 0);
	CHECK_EQ(hoop_ring_fd(ring), -1);
	CHECK(fcntl(fd, F_GETFD) < 0 && errno == EBADF);
	CHECK_EQ(t_fd_count(), fds_before);
	CHECK_EQ(hoop_ring_close_ring_fd(ring), -EBADF);
	CHECK_EQ(hoop_ring_unregister_ring_fd(ring), -EINVAL);

	/* Still a working ring: submit, wait, register. */
	nops(ring, 4, 100);
	CHECK(hoop_ring_probe_ops(ring, NULL, 0) > 0);
	int file = t_tmpfile(64, NULL);
	CHECK_EQ(hoop_ring_register_files(ring, &file, 1), 0);
	char buf[8];
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read(sqe, 0, buf, sizeof(buf), 16);
	hoop_sqe_set_flags(sqe, HOOP_SQE_FIXED_FILE);
	CHECK_EQ(t_submit_wait_one(ring).res, 8);
	for (int i = 0; i < 8; i++)
		CHECK_EQ((unsigned char)buf[i], t_pattern(16 + (uint64_t)i));
	CHECK_EQ(hoop_ring_unregister_files(ring), 0);
	close(file);
	struct hoop_timespec ts = {0, 1000000};
	struct hoop_cqe *cqe;
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &ts), -ETIME);
	hoop_ring_destroy(ring);

	/* Destroy gives the registered slot back. */
	for (int i = 0; i < 40; i++) {
		ring = t_ring(4, 0);
		CHECK_EQ(hoop_ring_register_ring_fd(ring), 1);
		CHECK_EQ(hoop_ring_close_ring_fd(ring), 0);
		nops(ring, 1, 1000 + (uint64_t)i);
		hoop_ring_destroy(ring);
	}

	/* Created with the fd registered (hoop_flags) works the same. */
	hoop_ring_params p = {0};
	p.hoop_flags = HOOP_RING_REGISTER_RING_FD;
	CHECK_EQ(hoop_ring_create(&ring, 4, &p), 0);
	CHECK_EQ(hoop_ring_close_ring_fd(ring), 0);
	nops(ring, 3, 2000);
	hoop_ring_destroy(ring);

	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
