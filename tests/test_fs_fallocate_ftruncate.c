/*
 * fallocate grows a file to the asked size (or keeps the size with
 * FALLOC_FL_KEEP_SIZE while reserving blocks); ftruncate (6.9+) shrinks and
 * grows it, new bytes reading as zero. Bad fds and modes give the errno the
 * system calls give.
 */
#include "test_fs_util.h"

#include <linux/falloc.h>

static off_t size_of(int fd)
{
	struct stat st;
	CHECK_EQ(fstat(fd, &st), 0);
	return st.st_size;
}

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	struct hoop_sqe *sqe;
	int fd = t_tmpfile(0, NULL);
	CHECK_EQ(size_of(fd), 0);

	sqe = t_sqe(ring);
	hoop_prep_fallocate(sqe, fd, 0, 0, 1 << 20);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK_EQ(size_of(fd), 1 << 20);
	unsigned char b[16];
	CHECK_EQ(pread(fd, b, 16, 4096), 16);
	for (int i = 0; i < 16; i++)
		CHECK_EQ(b[i], 0);

	/* KEEP_SIZE: blocks beyond EOF, the size does not move */
	struct stat st;
	CHECK_EQ(fstat(fd, &st), 0);
	blkcnt_t blocks = st.st_blocks;
	sqe = t_sqe(ring);
	hoop_prep_fallocate(sqe, fd, FALLOC_FL_KEEP_SIZE, 1 << 20, 1 << 20);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 1 << 20);
	CHECK(st.st_blocks >= blocks + (1 << 20) / 512);

	/* PUNCH_HOLE needs KEEP_SIZE: alone it is -EOPNOTSUPP */
	sqe = t_sqe(ring);
	hoop_prep_fallocate(sqe, fd, FALLOC_FL_PUNCH_HOLE, 0, 4096);
	CHECK_EQ(fs_run(ring, sqe), -EOPNOTSUPP);

	/* a zero length is -EINVAL, as for fallocate(2) */
	sqe = t_sqe(ring);
	hoop_prep_fallocate(sqe, fd, 0, 0, 0);
	CHECK_EQ(fs_run(ring, sqe), -EINVAL);

	/* ftruncate */
	fs_need_op(HOOP_OP_FTRUNCATE);
	CHECK_EQ(pwrite(fd, "abcdef", 6, 0), 6);
	sqe = t_sqe(ring);
	hoop_prep_ftruncate(sqe, fd, 3);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK_EQ(size_of(fd), 3);
	sqe = t_sqe(ring);
	hoop_prep_ftruncate(sqe, fd, 5000);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK_EQ(size_of(fd), 5000);
	memset(b, 0xff, sizeof(b));
	CHECK_EQ(pread(fd, b, 6, 0), 6);
	CHECK(memcmp(b, "abc\0\0\0", 6) == 0);

	sqe = t_sqe(ring);
	hoop_prep_ftruncate(sqe, fd, -1);
	CHECK_EQ(fs_run(ring, sqe), -EINVAL);
	CHECK_EQ(size_of(fd), 5000);

	/* on a read-only fd: -EINVAL, as ftruncate(2) gives */
	char path[64];
	int tfd = t_tmpfile(10, path);
	int rfd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(rfd >= 0);
	unlink(path);
	close(tfd);
	sqe = t_sqe(ring);
	hoop_prep_ftruncate(sqe, rfd, 0);
	CHECK_EQ(fs_run(ring, sqe), -EINVAL);
	CHECK_EQ(size_of(rfd), 10);
	close(rfd);

	close(fd);
	hoop_ring_destroy(ring);
	return T_PASS;
}
