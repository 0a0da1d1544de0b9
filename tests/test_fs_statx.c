/*
 * statx by path and by fd (AT_EMPTY_PATH) agrees with stat(2) on size, mode,
 * inode and link count; a missing path is -ENOENT.
 */
#include "test_fs_util.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

static void same_as_stat(const struct statx *sx, const struct stat *st)
{
	CHECK(sx->stx_mask & STATX_BASIC_STATS);
	CHECK_EQ(sx->stx_size, st->st_size);
	CHECK_EQ(sx->stx_mode, st->st_mode);
	CHECK_EQ(sx->stx_ino, st->st_ino);
	CHECK_EQ(sx->stx_nlink, st->st_nlink);
	CHECK_EQ(sx->stx_uid, st->st_uid);
	CHECK_EQ(sx->stx_blocks, st->st_blocks);
}

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	char path[64];
	struct hoop_sqe *sqe;
	int fd = t_tmpfile(12345, path);
	CHECK_EQ(fchmod(fd, 0604), 0);
	struct stat st;
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_size, 12345);

	struct statx sx;
	memset(&sx, 0, sizeof(sx));
	sqe = t_sqe(ring);
	hoop_prep_statx(sqe, AT_FDCWD, path, 0, STATX_BASIC_STATS, &sx);
	CHECK_EQ(fs_run(ring, sqe), 0);
	same_as_stat(&sx, &st);
	CHECK_EQ(sx.stx_size, 12345);
	CHECK_EQ(sx.stx_mode, S_IFREG | 0604);

	memset(&sx, 0, sizeof(sx));
	sqe = t_sqe(ring);
	hoop_prep_statx(sqe, fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx);
	CHECK_EQ(fs_run(ring, sqe), 0);
	same_as_stat(&sx, &st);

	/* a directory */
	struct stat dst;
	CHECK_EQ(stat("/tmp", &dst), 0);
	memset(&sx, 0, sizeof(sx));
	sqe = t_sqe(ring);
	hoop_prep_statx(sqe, AT_FDCWD, "/tmp", 0, STATX_BASIC_STATS, &sx);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK(S_ISDIR(sx.stx_mode));
	CHECK_EQ(sx.stx_ino, dst.st_ino);

	unlink(path);
	sqe = t_sqe(ring);
	hoop_prep_statx(sqe, AT_FDCWD, path, 0, STATX_BASIC_STATS, &sx);
	CHECK_EQ(fs_run(ring, sqe), -ENOENT);

	close(fd);
	hoop_ring_destroy(ring);
	return T_PASS;
}
