/*
 * fsync, fdatasync (HOOP_FSYNC_DATASYNC) and sync_file_range return 0 on a
 * written file and -EBADF on an fd that is not open; unknown fsync flags are
 * -EINVAL.
 */
#include "test_fs_util.h"

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	struct hoop_sqe *sqe;
	int fd = t_tmpfile(1 << 16, NULL);

	sqe = t_sqe(ring);
	hoop_prep_fsync(sqe, fd, 0);
	CHECK_EQ(fs_run(ring, sqe), 0);

	CHECK_EQ(pwrite(fd, "dirty", 5, 100), 5);
	sqe = t_sqe(ring);
	hoop_prep_fsync(sqe, fd, HOOP_FSYNC_DATASYNC);
	CHECK_EQ(fs_run(ring, sqe), 0);

	CHECK_EQ(pwrite(fd, "again", 5, 8192), 5);
	sqe = t_sqe(ring);
	hoop_prep_sync_file_range(sqe, fd, 4096, 8192,
	                          SYNC_FILE_RANGE_WAIT_BEFORE |
	                                  SYNC_FILE_RANGE_WRITE |
	                                  SYNC_FILE_RANGE_WAIT_AFTER);
	CHECK_EQ(fs_run(ring, sqe), 0);

	/* the data is still there after the syncs */
	char b[5];
	CHECK_EQ(pread(fd, b, 5, 100), 5);
	CHECK(memcmp(b, "dirty", 5) == 0);

	sqe = t_sqe(ring);
	hoop_prep_fsync(sqe, fd, 0x80);
	CHECK_EQ(fs_run(ring, sqe), -EINVAL);

	int bad = dup(fd);
	CHECK(bad >= 0);
	close(bad);
	sqe = t_sqe(ring);
	hoop_prep_fsync(sqe, bad, 0);
	CHECK_EQ(fs_run(ring, sqe), -EBADF);
	sqe = t_sqe(ring);
	hoop_prep_fsync(sqe, bad, HOOP_FSYNC_DATASYNC);
	CHECK_EQ(fs_run(ring, sqe), -EBADF);
	sqe = t_sqe(ring);
	hoop_prep_sync_file_range(sqe, bad, 4096, 0, SYNC_FILE_RANGE_WRITE);
	CHECK_EQ(fs_run(ring, sqe), -EBADF);

	close(fd);
	hoop_ring_destroy(ring);
	return T_PASS;
}
