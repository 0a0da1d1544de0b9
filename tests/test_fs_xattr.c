/*
 * Extended attributes through the ring: fsetxattr/fgetxattr on an fd,
 * setxattr/getxattr on a path. Values come back byte for byte; XATTR_CREATE
 * on an existing name is -EEXIST, XATTR_REPLACE on a missing one and a read
 * of a missing one are -ENODATA, a short buffer is -ERANGE.
 */
#include "test_fs_util.h"

#include <sys/xattr.h>

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	struct hoop_sqe *sqe;
	char path[64];
	int fd = t_tmpfile(16, path);
	char value[64];

	sqe = t_sqe(ring);
	hoop_prep_fsetxattr(sqe, fd, "user.hoop", "value-1", 0, 7);
	int r = fs_run(ring, sqe);
	if (r == -EOPNOTSUPP) {
		unlink(path);
		SKIP("the file system under /tmp refuses user xattrs");
	}
	CHECK_EQ(r, 0);

	/* read it back through the ring and through the system call */
	memset(value, 0, sizeof(value));
	sqe = t_sqe(ring);
	hoop_prep_fgetxattr(sqe, fd, "user.hoop", value, sizeof(value));
	CHECK_EQ(fs_run(ring, sqe), 7);
	CHECK(memcmp(value, "value-1", 7) == 0);
	CHECK_EQ(fgetxattr(fd, "user.hoop", value, sizeof(value)), 7);

	/* size query: len 0 returns the size without copying */
	sqe = t_sqe(ring);
	hoop_prep_fgetxattr(sqe, fd, "user.hoop", NULL, 0);
	CHECK_EQ(fs_run(ring, sqe), 7);

	/* by path, create-only */
	sqe = t_sqe(ring);
	hoop_prep_setxattr(sqe, "user.other", "\x01\x00\x02", path,
	                   XATTR_CREATE, 3);
	CHECK_EQ(fs_run(ring, sqe), 0);
	sqe = t_sqe(ring);
	hoop_prep_setxattr(sqe, "user.other", "zz", path, XATTR_CREATE, 2);
	CHECK_EQ(fs_run(ring, sqe), -EEXIST);
	memset(value, 0xee, sizeof(value));
	sqe = t_sqe(ring);
	hoop_prep_getxattr(sqe, "user.other", value, path, sizeof(value));
	CHECK_EQ(fs_run(ring, sqe), 3);
	CHECK(memcmp(value, "\x01\x00\x02", 3) == 0);
	CHECK_EQ((unsigned char)value[3], 0xee);

	/* replace-only on a missing name */
	sqe = t_sqe(ring);
	hoop_prep_fsetxattr(sqe, fd, "user.none", "x", XATTR_REPLACE, 1);
	CHECK_EQ(fs_run(ring, sqe), -ENODATA);
	sqe = t_sqe(ring);
	hoop_prep_getxattr(sqe, "user.none", value, path, sizeof(value));
	CHECK_EQ(fs_run(ring, sqe), -ENODATA);

	/* a buffer too small for the value */
	sqe = t_sqe(ring);
	hoop_prep_fgetxattr(sqe, fd, "user.hoop", value, 3);
	CHECK_EQ(fs_run(ring, sqe), -ERANGE);

	/* a missing path */
	sqe = t_sqe(ring);
	hoop_prep_getxattr(sqe, "user.hoop", value, "/tmp/hoop-no-such-file",
	                   sizeof(value));
	CHECK_EQ(fs_run(ring, sqe), -ENOENT);

	/* flags are not allowed for reads: the SQE field must stay 0 */
	sqe = t_sqe(ring);
	hoop_prep_fgetxattr(sqe, fd, "user.hoop", value, sizeof(value));
	sqe->op_flags = XATTR_CREATE;
	CHECK_EQ(fs_run(ring, sqe), -EINVAL);

	unlink(path);
	close(fd);
	hoop_ring_destroy(ring);
	return T_PASS;
}
