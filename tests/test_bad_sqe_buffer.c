/*
 * A read into a NULL buffer with a nonzero length, or into an unmapped
 * address, reports -EFAULT in its CQE (file and pipe alike); the process
 * is not harmed and the file offset is untouched.
 */
#include "helpers.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
	int fds0 = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	int fd = t_tmpfile(4096, NULL);
	int p[2];
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(write(p[1], "abcd", 4), 4);

	/* An address that was mapped and is no longer. */
	void *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(gone != MAP_FAILED);
	CHECK_EQ(munmap(gone, 4096), 0);

	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read(sqe, fd, NULL, 100, 0);
	hoop_sqe_set_data(sqe, 1);
	sqe = t_sqe(ring);
	hoop_prep_read(sqe, fd, gone, 100, 0);
	hoop_sqe_set_data(sqe, 2);
	sqe = t_sqe(ring);
	hoop_prep_write(sqe, fd, NULL, 100, 0);
	hoop_sqe_set_data(sqe, 3);
	sqe = t_sqe(ring);
	hoop_prep_read(sqe, p[0], NULL, 4, 0);
	hoop_sqe_set_data(sqe, 4);
	CHECK_EQ(hoop_ring_submit(ring), 4);
	for (int i = 0; i < 4; i++) {
		struct hoop_cqe c = t_wait_one(ring);
		CHECK(c.user_data >= 1 && c.user_data <= 4);
		CHECK_EQ(c.res, -EFAULT);
	}
	/* The file is intact, the pipe still holds its bytes. */
	unsigned char b;
	CHECK_EQ(pread(fd, &b, 1, 0), 1);
	CHECK_EQ(b, t_pattern(0));
	char pb[4];
	CHECK_EQ(read(p[0], pb, 4), 4);

	hoop_ring_destroy(ring);
	close(fd);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
