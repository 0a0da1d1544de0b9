/*
 * tests/test_fs_util.h - small pieces shared by the file-system tests
 * (test_fs_*.c): run one prepared SQE, skip when the kernel lacks an opcode,
 * make and remove a scratch directory under /tmp.
 */
#ifndef HOOP_TEST_FS_UTIL_H
#define HOOP_TEST_FS_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "helpers.h"

#define FS_TAG 0x5eedf00dull

/*
 * Submit what has been prepared on `sqe` (one SQE) and return its result;
 * the completion must carry the SQE's tag back.
 */
static inline int fs_run(hoop_ring *ring, struct hoop_sqe *sqe)
{
	hoop_sqe_set_data(sqe, FS_TAG);
	struct hoop_cqe cqe = t_submit_wait_one(ring);
	CHECK_EQ(cqe.user_data, FS_TAG);
	return cqe.res;
}

/* Exit 77 unless this kernel supports opcode `op`. */
static inline void fs_need_op(unsigned op)
{
	int s = hoop_opcode_supported(op);
	if (s < 0)
		SKIP("cannot probe opcodes: %s", hoop_strerror(s));
	if (s == 0)
		SKIP("this kernel lacks IORING_OP_%s", hoop_op_name(op));
}

/* A fresh directory /tmp/hoop-fs-XXXXXX; `dir` must hold 64 bytes. */
static inline void fs_tmpdir(char *dir)
{
	snprintf(dir, 64, "/tmp/hoop-fs-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
}

static int fs_rm_one(const char *path, const struct stat *st, int type,
                     struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* Remove `dir` and everything below it. */
static inline void fs_rmtree(const char *dir)
{
	CHECK_EQ(nftw(dir, fs_rm_one, 8, FTW_DEPTH | FTW_PHYS), 0);
}

#endif
