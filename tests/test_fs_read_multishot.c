/*
 * Multishot read on a pipe with a provided-buffer group (HOOP_OP_PROVIDE_
 * BUFFERS): one CQE per write, each with HOOP_CQE_F_BUFFER and the buffer's
 * id, the data in that buffer, HOOP_CQE_F_MORE while armed. When the group
 * runs dry the request ends with -ENOBUFS and no MORE flag; a non-zero
 * length is refused with -EINVAL; a regular file gives -EBADFD.
 */
#include "test_fs_util.h"

#define BGID 7
#define NBUF 2
#define BUFSZ 64

static unsigned char bufs[NBUF][BUFSZ];

static void provide(hoop_ring *ring)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_provide_buffers(sqe, bufs, BUFSZ, NBUF, BGID, 0);
	CHECK_EQ(fs_run(ring, sqe), 0);
}

int main(void)
{
	fs_need_op(HOOP_OP_READ_MULTISHOT);
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	struct hoop_sqe *sqe;
	int p[2];
	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
	provide(ring);

	sqe = t_sqe(ring);
	hoop_prep_read_multishot(sqe, p[0], 0, 0, BGID);
	hoop_sqe_set_data(sqe, 1);
	CHECK_EQ(hoop_ring_submit(ring), 1);

	/* two writes, two completions, each in its own buffer */
	static const char *msgs[NBUF] = {"hello", "world, again"};
	int seen[NBUF] = {0, 0};
	for (int i = 0; i < NBUF; i++) {
		size_t n = strlen(msgs[i]);
		CHECK_EQ(write(p[1], msgs[i], n), (ssize_t)n);
		struct hoop_cqe cqe = t_wait_one(ring);
		CHECK_EQ(cqe.user_data, 1);
		CHECK_EQ(cqe.res, (int)n);
		CHECK_EQ(hoop_cqe_has_more(&cqe), 1);
		int bid = hoop_cqe_buffer_id(&cqe);
		CHECK(bid >= 0 && bid < NBUF);
		CHECK_EQ(seen[bid], 0);
		seen[bid] = 1;
		CHECK(memcmp(bufs[bid], msgs[i], n) == 0);
	}

	/* the group is empty now: the next write ends the request */
	CHECK_EQ(write(p[1], "x", 1), 1);
	struct hoop_cqe cqe = t_wait_one(ring);
	CHECK_EQ(cqe.user_data, 1);
	CHECK_EQ(cqe.res, -ENOBUFS);
	CHECK_EQ(hoop_cqe_has_more(&cqe), 0);
	CHECK_EQ(hoop_cqe_buffer_id(&cqe), -ENOENT);

	/* re-arm with fresh buffers: the byte left in the pipe arrives, then
	 * closing the write end ends the request with 0 (EOF) */
	provide(ring);
	sqe = t_sqe(ring);
	hoop_prep_read_multishot(sqe, p[0], 0, 0, BGID);
	hoop_sqe_set_data(sqe, 2);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	cqe = t_wait_one(ring);
	CHECK_EQ(cqe.user_data, 2);
	CHECK_EQ(cqe.res, 1);
	CHECK_EQ(hoop_cqe_has_more(&cqe), 1);
	int bid = hoop_cqe_buffer_id(&cqe);
	CHECK(bid >= 0 && bid < NBUF);
	CHECK_EQ(bufs[bid][0], 'x');
	close(p[1]);
	cqe = t_wait_one(ring);
	CHECK_EQ(cqe.user_data, 2);
	CHECK_EQ(cqe.res, 0);
	CHECK_EQ(hoop_cqe_has_more(&cqe), 0);

	/* a length is refused: each read fills one whole provided buffer */
	sqe = t_sqe(ring);
	hoop_prep_read_multishot(sqe, p[0], 16, 0, BGID);
	CHECK_EQ(fs_run(ring, sqe), -EINVAL);

	/* without buffer selection the kernel refuses it too */
	sqe = t_sqe(ring);
	hoop_prep_read_multishot(sqe, p[0], 0, 0, BGID);
	hoop_sqe_set_flags(sqe, 0);
	CHECK_EQ(fs_run(ring, sqe), -EINVAL);

	/* a regular file cannot be polled */
	int fd = t_tmpfile(100, NULL);
	sqe = t_sqe(ring);
	hoop_prep_read_multishot(sqe, fd, 0, 0, BGID);
	CHECK_EQ(fs_run(ring, sqe), -EBADFD);
	close(fd);

	close(p[0]);
	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
