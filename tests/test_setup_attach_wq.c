/*
 * HOOP_SETUP_ATTACH_WQ shares the io-wq of another ring given by its fd.
 * The attached ring works, including work punted to io-wq (a write with
 * HOOP_SQE_ASYNC); an fd that is not a ring is refused with -EINVAL and a
 * closed fd with a kernel error, and neither leaks anything.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static int create_attached(hoop_ring **ring, int wq_fd)
{
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = HOOP_SETUP_ATTACH_WQ;
	p.wq_fd = wq_fd;
	return hoop_ring_create(ring, 8, &p);
}

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring *a = t_ring(8, 0);
	hoop_ring *b = NULL;
	CHECK_EQ(create_attached(&b, hoop_ring_fd(a)), 0);
	CHECK(hoop_ring_setup_flags(b) & HOOP_SETUP_ATTACH_WQ);
	CHECK_EQ(t_fd_count(), fds0 + 2);

	char path[64];
	int fd = t_tmpfile(0, path);
	unlink(path);
	static const char msg[] = "through the shared io-wq";
	for (int i = 0; i < 2; i++) {
		hoop_ring *ring = i ? b : a;
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_write(sqe, fd, msg, sizeof(msg), (uint64_t)(i * 64));
		hoop_sqe_set_flags(sqe, HOOP_SQE_ASYNC);
		hoop_sqe_set_data(sqe, (uint64_t)(i + 1));
		struct hoop_cqe c = t_submit_wait_one(ring);
		CHECK_EQ(c.user_data, (uint64_t)(i + 1));
		CHECK_EQ(c.res, (int)sizeof(msg));
	}
	char back[sizeof(msg)];
	CHECK_EQ(pread(fd, back, sizeof(back), 64), (ssize_t)sizeof(msg));
	CHECK(memcmp(back, msg, sizeof(msg)) == 0);
	close(fd);

	/* The attached ring outlives the ring it attached to. */
	hoop_ring_destroy(a);
	struct hoop_sqe *sqe = t_sqe(b);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 9);
	CHECK_EQ(t_submit_wait_one(b).user_data, 9);
	hoop_ring_destroy(b);
	CHECK_EQ(t_fd_count(), fds0);

	int p[2];
	CHECK_EQ(pipe(p), 0);
	b = NULL;
	CHECK_EQ(create_attached(&b, p[0]), -EINVAL);
	close(p[0]);
	close(p[1]);
	int r = create_attached(&b, p[0]); /* now closed */
	fprintf(stderr, "ATTACH_WQ to a closed fd: %s\n", hoop_strerror(r));
	CHECK(r == -EBADF || r == -ENXIO);
	CHECK(b == NULL);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
