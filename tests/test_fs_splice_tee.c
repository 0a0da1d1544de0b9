/*
 * splice file -> pipe -> file and tee pipe -> pipe: byte counts as asked,
 * the copies equal the source byte for byte; an offset on a pipe end is
 * -ESPIPE.
 */
#include "test_fs_util.h"

#define N 4000

int main(void)
{
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	struct hoop_sqe *sqe;
	int src = t_tmpfile(8192, NULL);
	int dst = t_tmpfile(0, NULL);
	int p1[2], p2[2];
	CHECK_EQ(pipe2(p1, O_CLOEXEC), 0);
	CHECK_EQ(pipe2(p2, O_CLOEXEC), 0);

	/* file at offset 100 -> pipe 1 */
	sqe = t_sqe(ring);
	hoop_prep_splice(sqe, src, 100, p1[1], -1, N, 0);
	CHECK_EQ(fs_run(ring, sqe), N);

	/* duplicate pipe 1 into pipe 2 without consuming it */
	sqe = t_sqe(ring);
	hoop_prep_tee(sqe, p1[0], p2[1], N, 0);
	CHECK_EQ(fs_run(ring, sqe), N);

	/* pipe 1 -> destination file at offset 10 */
	sqe = t_sqe(ring);
	hoop_prep_splice(sqe, p1[0], -1, dst, 10, N, 0);
	CHECK_EQ(fs_run(ring, sqe), N);

	static unsigned char b[N];
	CHECK_EQ(pread(dst, b, N, 10), N);
	for (int i = 0; i < N; i++)
		CHECK_EQ(b[i], t_pattern(100 + i));
	struct stat st;
	CHECK_EQ(fstat(dst, &st), 0);
	CHECK_EQ(st.st_size, 10 + N);

	memset(b, 0, sizeof(b));
	size_t got = 0;
	while (got < N) {
		ssize_t r = read(p2[0], b + got, N - got);
		CHECK(r > 0);
		got += (size_t)r;
	}
	for (int i = 0; i < N; i++)
		CHECK_EQ(b[i], t_pattern(100 + i));

	/* an offset given for a pipe end */
	sqe = t_sqe(ring);
	hoop_prep_splice(sqe, src, 0, p1[1], 5, 10, 0);
	CHECK_EQ(fs_run(ring, sqe), -ESPIPE);

	/* tee needs two pipes */
	sqe = t_sqe(ring);
	hoop_prep_tee(sqe, src, p2[1], 10, 0);
	CHECK_EQ(fs_run(ring, sqe), -EINVAL);

	/* nothing in pipe 1 and nonblocking: -EAGAIN */
	sqe = t_sqe(ring);
	hoop_prep_splice(sqe, p1[0], -1, dst, 0, 10, SPLICE_F_NONBLOCK);
	CHECK_EQ(fs_run(ring, sqe), -EAGAIN);

	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	close(src);
	close(dst);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
