/*
 * openat and close: open an existing file, create one (mode as asked), refuse
 * a missing path (-ENOENT) and O_EXCL on an existing one (-EEXIST), close
 * returns 0 and a bad fd gives -EBADF; no fd is leaked.
 */
#include "test_fs_util.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

int main(void)
{
	umask(022);
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	char dir[64], path[128], file[64];
	struct hoop_sqe *sqe;
	fs_tmpdir(dir);

	/* open an existing file and read its first bytes through it */
	int tfd = t_tmpfile(64, file);
	close(tfd);
	sqe = t_sqe(ring);
	hoop_prep_openat(sqe, AT_FDCWD, file, O_RDONLY | O_CLOEXEC, 0);
	int fd = fs_run(ring, sqe);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	unsigned char b[4];
	CHECK_EQ(pread(fd, b, 4, 0), 4);
	CHECK_EQ(b[3], t_pattern(3));
	sqe = t_sqe(ring);
	hoop_prep_close(sqe, fd);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK_EQ(fcntl(fd, F_GETFD), -1); /* really closed */

	/* create relative to a directory fd, mode 0640 under umask 022 */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dfd >= 0);
	sqe = t_sqe(ring);
	hoop_prep_openat(sqe, dfd, "new",
	                 O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0640);
	fd = fs_run(ring, sqe);
	CHECK(fd >= 0);
	struct stat st;
	snprintf(path, sizeof(path), "%s/new", dir);
	CHECK_EQ(stat(path, &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0640);
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(write(fd, "abc", 3), 3);
	sqe = t_sqe(ring);
	hoop_prep_close(sqe, fd);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_size, 3);

	/* O_EXCL on the file that now exists */
	sqe = t_sqe(ring);
	hoop_prep_openat(sqe, dfd, "new", O_CREAT | O_EXCL | O_WRONLY, 0600);
	CHECK_EQ(fs_run(ring, sqe), -EEXIST);

	/* a missing path */
	sqe = t_sqe(ring);
	hoop_prep_openat(sqe, dfd, "missing/file", O_RDONLY, 0);
	CHECK_EQ(fs_run(ring, sqe), -ENOENT);

	/* O_DIRECTORY on a regular file */
	sqe = t_sqe(ring);
	hoop_prep_openat(sqe, dfd, "new", O_RDONLY | O_DIRECTORY, 0);
	CHECK_EQ(fs_run(ring, sqe), -ENOTDIR);

	/* close(-1) and close of a number that is not open */
	sqe = t_sqe(ring);
	hoop_prep_close(sqe, -1);
	CHECK_EQ(fs_run(ring, sqe), -EBADF);
	int unused = dup(0);
	CHECK(unused >= 0);
	close(unused);
	sqe = t_sqe(ring);
	hoop_prep_close(sqe, unused);
	CHECK_EQ(fs_run(ring, sqe), -EBADF);

	/* the ring's own fd may not be closed through the ring */
	sqe = t_sqe(ring);
	hoop_prep_close(sqe, hoop_ring_fd(ring));
	CHECK_EQ(fs_run(ring, sqe), -EBADF);

	close(dfd);
	unlink(file);
	fs_rmtree(dir);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
