/*
 * openat2 with struct open_how: flags and mode as openat, and the RESOLVE_*
 * rules: no symlinks (-ELOOP), beneath a directory (-EXDEV), unknown bits
 * (-EINVAL). Fds are checked for O_CLOEXEC and closed; no leak.
 */
#include "test_fs_util.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>

int main(void)
{
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	char dir[64], path[128];
	struct hoop_sqe *sqe;
	fs_tmpdir(dir);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dfd >= 0);

	/* create "f" with mode 0600 */
	struct open_how how;
	memset(&how, 0, sizeof(how));
	how.flags = O_CREAT | O_WRONLY | O_CLOEXEC;
	how.mode = 0600;
	sqe = t_sqe(ring);
	hoop_prep_openat2(sqe, dfd, "f", &how);
	int fd = fs_run(ring, sqe);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(write(fd, "xyz", 3), 3);
	close(fd);
	struct stat st;
	snprintf(path, sizeof(path), "%s/f", dir);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	CHECK_EQ(st.st_size, 3);

	/* a symlink to it: fine by default, -ELOOP with RESOLVE_NO_SYMLINKS */
	CHECK_EQ(symlinkat("f", dfd, "link"), 0);
	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_CLOEXEC;
	sqe = t_sqe(ring);
	hoop_prep_openat2(sqe, dfd, "link", &how);
	fd = fs_run(ring, sqe);
	CHECK(fd >= 0);
	char b[3];
	CHECK_EQ(read(fd, b, 3), 3);
	CHECK(memcmp(b, "xyz", 3) == 0);
	close(fd);
	how.resolve = RESOLVE_NO_SYMLINKS;
	sqe = t_sqe(ring);
	hoop_prep_openat2(sqe, dfd, "link", &how);
	CHECK_EQ(fs_run(ring, sqe), -ELOOP);

	/* RESOLVE_BENEATH refuses to climb out of the directory */
	how.resolve = RESOLVE_BENEATH;
	sqe = t_sqe(ring);
	hoop_prep_openat2(sqe, dfd, "../", &how);
	CHECK_EQ(fs_run(ring, sqe), -EXDEV);

	/* unknown resolve bits, and a mode without O_CREAT, are -EINVAL */
	how.resolve = 1ull << 40;
	sqe = t_sqe(ring);
	hoop_prep_openat2(sqe, dfd, "f", &how);
	CHECK_EQ(fs_run(ring, sqe), -EINVAL);
	how.resolve = 0;
	how.mode = 0644;
	sqe = t_sqe(ring);
	hoop_prep_openat2(sqe, dfd, "f", &how);
	CHECK_EQ(fs_run(ring, sqe), -EINVAL);

	/* a missing file */
	how.mode = 0;
	sqe = t_sqe(ring);
	hoop_prep_openat2(sqe, dfd, "nope", &how);
	CHECK_EQ(fs_run(ring, sqe), -ENOENT);

	close(dfd);
	fs_rmtree(dir);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
