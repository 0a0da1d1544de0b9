/*
 * read, write, readv, writev at explicit offsets on a real file: results are
 * the byte counts, contents match byte for byte, a read that crosses EOF
 * returns the short count and a read at EOF returns 0.
 */
#include "test_fs_util.h"

#include <linux/magic.h>
#include <sys/vfs.h>

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define SIZE 10000

int main(void)
{
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	int fd = t_tmpfile(SIZE, NULL);
	unsigned char buf[256], more[256];
	struct hoop_sqe *sqe;

	/* read 100 bytes from the middle */
	memset(buf, 0, sizeof(buf));
	sqe = t_sqe(ring);
	hoop_prep_read(sqe, fd, buf, 100, 1234);
	CHECK_EQ(fs_run(ring, sqe), 100);
	for (int i = 0; i < 100; i++)
		CHECK_EQ(buf[i], t_pattern(1234 + i));
	CHECK_EQ(buf[100], 0);

	/* write 50 bytes at 5000, then read them back with pread(2) */
	for (int i = 0; i < 50; i++)
		buf[i] = (unsigned char)(0xa0 + i);
	sqe = t_sqe(ring);
	hoop_prep_write(sqe, fd, buf, 50, 5000);
	CHECK_EQ(fs_run(ring, sqe), 50);
	CHECK_EQ(pread(fd, more, 52, 4999), 52);
	CHECK_EQ(more[0], t_pattern(4999));
	for (int i = 0; i < 50; i++)
		CHECK_EQ(more[1 + i], 0xa0 + i);
	CHECK_EQ(more[51], t_pattern(5050));

	/* readv: 30 + 70 bytes from offset 20 */
	memset(buf, 0, sizeof(buf));
	memset(more, 0, sizeof(more));
	struct iovec iov[2] = {{buf, 30}, {more, 70}};
	sqe = t_sqe(ring);
	hoop_prep_readv(sqe, fd, iov, 2, 20);
	CHECK_EQ(fs_run(ring, sqe), 100);
	for (int i = 0; i < 30; i++)
		CHECK_EQ(buf[i], t_pattern(20 + i));
	for (int i = 0; i < 70; i++)
		CHECK_EQ(more[i], t_pattern(50 + i));

	/* writev appending at SIZE: 10 + 20 bytes, the file grows by 30 */
	memset(buf, 0x11, 10);
	memset(more, 0x22, 20);
	struct iovec wiov[2] = {{buf, 10}, {more, 20}};
	sqe = t_sqe(ring);
	hoop_prep_writev(sqe, fd, wiov, 2, SIZE);
	CHECK_EQ(fs_run(ring, sqe), 30);
	struct stat st;
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, SIZE + 30);
	unsigned char back[30];
	CHECK_EQ(pread(fd, back, 30, SIZE), 30);
	for (int i = 0; i < 30; i++)
		CHECK_EQ(back[i], i < 10 ? 0x11 : 0x22);

	/* a read crossing EOF is short: 200 asked, 50 left */
	sqe = t_sqe(ring);
	hoop_prep_read(sqe, fd, buf, 200, SIZE + 30 - 50);
	CHECK_EQ(fs_run(ring, sqe), 50);
	CHECK_EQ(buf[0], t_pattern(SIZE - 20));
	CHECK_EQ(buf[49], 0x22);

	/* and a read at EOF returns 0 */
	sqe = t_sqe(ring);
	hoop_prep_read(sqe, fd, buf, 200, SIZE + 30);
	CHECK_EQ(fs_run(ring, sqe), 0);

	/* readv2 with RWF_NOWAIT from the page cache still reads */
	struct iovec one = {buf, 16};
	sqe = t_sqe(ring);
	hoop_prep_readv2(sqe, fd, &one, 1, 0, RWF_NOWAIT);
	int r = fs_run(ring, sqe);
	/* -EAGAIN is allowed if the page was evicted; -EOPNOTSUPP where the
	 * file system has no NOWAIT reads (tmpfs on 6.1 and 6.12, the /tmp of
	 * tests/kernels). */
	struct statfs sfs;
	if (r == -EOPNOTSUPP && fstatfs(fd, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC)
		r = -EAGAIN;
	if (r != -EAGAIN) {
		CHECK_EQ(r, 16);
		CHECK_EQ(buf[15], t_pattern(15));
	}

	/* a read on a write-only fd is -EBADF */
	char wpath[64];
	int wfd = t_tmpfile(16, wpath);
	close(wfd);
	wfd = open(wpath, O_WRONLY | O_CLOEXEC);
	CHECK(wfd >= 0);
	unlink(wpath);
	sqe = t_sqe(ring);
	hoop_prep_read(sqe, wfd, buf, 16, 0);
	CHECK_EQ(fs_run(ring, sqe), -EBADF);
	close(wfd);

	close(fd);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
