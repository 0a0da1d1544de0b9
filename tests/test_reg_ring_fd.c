/*
 * Registered ring fd: after hoop_ring_register_ring_fd, submissions,
 * waits and register calls go through the registered index and still work;
 * registering twice is refused with -EEXIST (as the kernel refuses a taken
 * slot; it returned 0 before); unregistering returns to the plain fd.
 */
#include "helpers.h"

#include <errno.h>
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
	nops(ring, 4, 100);

	int r = hoop_ring_register_ring_fd(ring);
	if (r == -EINVAL)
		SKIP("registered ring fds need 5.18");
	CHECK_EQ(r, 1);
	/* Twice: -EEXIST, the kernel's answer to a slot already taken (this
	 * returned 0 before), and the registration stays as it was. */
	CHECK_EQ(hoop_ring_register_ring_fd(ring), -EEXIST);
	nops(ring, 4, 200);
	nops(ring, 1, 300);
	/* io_uring_register goes through the index too. */
	CHECK(hoop_ring_probe_ops(ring, NULL, 0) > 0);
	int fd = t_tmpfile(64, NULL);
	CHECK_EQ(hoop_ring_register_files(ring, &fd, 1), 0);
	char buf[8];
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read(sqe, 0, buf, sizeof(buf), 8);
	hoop_sqe_set_flags(sqe, HOOP_SQE_FIXED_FILE);
	CHECK_EQ(t_submit_wait_one(ring).res, 8);
	for (int i = 0; i < 8; i++)
		CHECK_EQ((unsigned char)buf[i], t_pattern(8 + (uint64_t)i));
	CHECK_EQ(hoop_ring_unregister_files(ring), 0);

	CHECK_EQ(hoop_ring_unregister_ring_fd(ring), 1);
	nops(ring, 2, 400);
	CHECK_EQ(hoop_ring_unregister_ring_fd(ring), -EINVAL);

	/* Again, and destroy while registered. */
	CHECK_EQ(hoop_ring_register_ring_fd(ring), 1);
	nops(ring, 2, 500);
	hoop_ring_destroy(ring);
	close(fd);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
