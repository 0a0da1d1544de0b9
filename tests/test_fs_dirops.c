/*
 * mkdirat, renameat, unlinkat (file and AT_REMOVEDIR), symlinkat (readlink
 * gives the target back) and linkat (st_nlink 2), with their errors: EEXIST,
 * ENOENT, ENOTEMPTY.
 */
#include "test_fs_util.h"

static int exists(int dfd, const char *name)
{
	struct stat st;
	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

int main(void)
{
	umask(022);
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	struct hoop_sqe *sqe;
	char dir[64];
	fs_tmpdir(dir);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(dfd >= 0);
	struct stat st;

	/* mkdirat, twice */
	sqe = t_sqe(ring);
	hoop_prep_mkdirat(sqe, dfd, "d", 0750);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK_EQ(fstatat(dfd, "d", &st, 0), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0750);
	sqe = t_sqe(ring);
	hoop_prep_mkdirat(sqe, dfd, "d", 0750);
	CHECK_EQ(fs_run(ring, sqe), -EEXIST);
	sqe = t_sqe(ring);
	hoop_prep_mkdirat(sqe, dfd, "no/such", 0750);
	CHECK_EQ(fs_run(ring, sqe), -ENOENT);

	/* a file "f", renamed into d/g */
	int fd = openat(dfd, "f", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "12345", 5), 5);
	close(fd);
	sqe = t_sqe(ring);
	hoop_prep_renameat(sqe, dfd, "f", dfd, "d/g", 0);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK(!exists(dfd, "f"));
	CHECK_EQ(fstatat(dfd, "d/g", &st, 0), 0);
	CHECK_EQ(st.st_size, 5);
	sqe = t_sqe(ring);
	hoop_prep_renameat(sqe, dfd, "f", dfd, "h", 0);
	CHECK_EQ(fs_run(ring, sqe), -ENOENT);

	/* RENAME_NOREPLACE onto an existing name */
	fd = openat(dfd, "other", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	close(fd);
	sqe = t_sqe(ring);
	hoop_prep_renameat(sqe, dfd, "other", dfd, "d/g", RENAME_NOREPLACE);
	CHECK_EQ(fs_run(ring, sqe), -EEXIST);

	/* symlinkat: readlink returns the target text */
	sqe = t_sqe(ring);
	hoop_prep_symlinkat(sqe, "d/g", dfd, "sym");
	CHECK_EQ(fs_run(ring, sqe), 0);
	char target[64];
	ssize_t n = readlinkat(dfd, "sym", target, sizeof(target));
	CHECK_EQ(n, 3);
	CHECK(memcmp(target, "d/g", 3) == 0);
	sqe = t_sqe(ring);
	hoop_prep_symlinkat(sqe, "anything", dfd, "sym");
	CHECK_EQ(fs_run(ring, sqe), -EEXIST);

	/* linkat: a second name for d/g, st_nlink 2 */
	sqe = t_sqe(ring);
	hoop_prep_linkat(sqe, dfd, "d/g", dfd, "hard", 0);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK_EQ(fstatat(dfd, "hard", &st, 0), 0);
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(st.st_size, 5);
	struct stat st2;
	CHECK_EQ(fstatat(dfd, "d/g", &st2, 0), 0);
	CHECK_EQ(st2.st_ino, st.st_ino);
	sqe = t_sqe(ring);
	hoop_prep_linkat(sqe, dfd, "d/g", dfd, "hard", 0);
	CHECK_EQ(fs_run(ring, sqe), -EEXIST);
	sqe = t_sqe(ring);
	hoop_prep_linkat(sqe, dfd, "missing", dfd, "hard2", 0);
	CHECK_EQ(fs_run(ring, sqe), -ENOENT);
	/* AT_SYMLINK_FOLLOW links the symlink's target, not the symlink */
	sqe = t_sqe(ring);
	hoop_prep_linkat(sqe, dfd, "sym", dfd, "hard3", AT_SYMLINK_FOLLOW);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK_EQ(fstatat(dfd, "hard3", &st, AT_SYMLINK_NOFOLLOW), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_nlink, 3);

	/* unlinkat: files, then a non-empty and an empty directory */
	sqe = t_sqe(ring);
	hoop_prep_unlinkat(sqe, dfd, "hard", 0);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK(!exists(dfd, "hard"));
	CHECK_EQ(fstatat(dfd, "d/g", &st, 0), 0);
	CHECK_EQ(st.st_nlink, 2);
	sqe = t_sqe(ring);
	hoop_prep_unlinkat(sqe, dfd, "hard", 0);
	CHECK_EQ(fs_run(ring, sqe), -ENOENT);
	sqe = t_sqe(ring);
	hoop_prep_unlinkat(sqe, dfd, "d", AT_REMOVEDIR);
	CHECK_EQ(fs_run(ring, sqe), -ENOTEMPTY);
	sqe = t_sqe(ring);
	hoop_prep_unlinkat(sqe, dfd, "d", 0);
	CHECK_EQ(fs_run(ring, sqe), -EISDIR);
	sqe = t_sqe(ring);
	hoop_prep_unlinkat(sqe, dfd, "d/g", 0);
	CHECK_EQ(fs_run(ring, sqe), 0);
	sqe = t_sqe(ring);
	hoop_prep_unlinkat(sqe, dfd, "d", AT_REMOVEDIR);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK(!exists(dfd, "d"));
	/* the symlink now dangles and is removed as a name */
	sqe = t_sqe(ring);
	hoop_prep_unlinkat(sqe, dfd, "sym", 0);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK(!exists(dfd, "sym"));

	close(dfd);
	fs_rmtree(dir);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
