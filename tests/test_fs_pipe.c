/*
 * HOOP_OP_PIPE (6.16+) creates a working pipe: two new fds, fds[1] writes
 * what fds[0] reads, O_CLOEXEC and O_NONBLOCK are honoured, unknown flags
 * are -EINVAL, and the fds are really new (closing them restores the count).
 * A direct pipe fills two registered-file slots.
 */
#include "test_fs_util.h"

int main(void)
{
	fs_need_op(HOOP_OP_PIPE);
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	struct hoop_sqe *sqe;
	int fds[2] = {-1, -1};

	sqe = t_sqe(ring);
	hoop_prep_pipe(sqe, fds, O_CLOEXEC);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK(fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1]);
	CHECK_EQ(fcntl(fds[0], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fds[1], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fds[0], F_GETFL) & O_ACCMODE, O_RDONLY);
	CHECK_EQ(fcntl(fds[1], F_GETFL) & O_ACCMODE, O_WRONLY);
	struct stat st;
	CHECK_EQ(fstat(fds[0], &st), 0);
	CHECK(S_ISFIFO(st.st_mode));

	/* data goes through, also via the ring */
	char b[8] = {0};
	sqe = t_sqe(ring);
	hoop_prep_write(sqe, fds[1], "pipe!", 5, (uint64_t)-1);
	CHECK_EQ(fs_run(ring, sqe), 5);
	CHECK_EQ(read(fds[0], b, sizeof(b)), 5);
	CHECK(memcmp(b, "pipe!", 5) == 0);
	CHECK_EQ(t_fd_count(), fds_before + 1 + 2); /* ring + pipe */
	close(fds[0]);
	close(fds[1]);

	/* O_NONBLOCK: an empty read is -EAGAIN at once */
	sqe = t_sqe(ring);
	hoop_prep_pipe(sqe, fds, O_NONBLOCK | O_CLOEXEC);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
	CHECK_EQ(read(fds[0], b, 1), -1);
	CHECK_EQ(errno, EAGAIN);
	close(fds[0]);
	close(fds[1]);

	/* flags pipe2(2) does not know */
	fds[0] = fds[1] = -1;
	sqe = t_sqe(ring);
	hoop_prep_pipe(sqe, fds, O_APPEND);
	CHECK_EQ(fs_run(ring, sqe), -EINVAL);
	CHECK_EQ(fds[0], -1);

	/* into registered-file slots 2 and 3 */
	CHECK_EQ(hoop_ring_register_files_sparse(ring, 4), 0);
	sqe = t_sqe(ring);
	hoop_prep_pipe_direct(sqe, fds, 0, 2);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK_EQ(t_fd_count(), fds_before + 1); /* no normal fds */
	CHECK_EQ(fds[0], 2);
	CHECK_EQ(fds[1], 3);
	sqe = t_sqe(ring);
	hoop_prep_write(sqe, 3, "direct", 6, (uint64_t)-1);
	hoop_sqe_set_flags(sqe, HOOP_SQE_FIXED_FILE);
	CHECK_EQ(fs_run(ring, sqe), 6);
	memset(b, 0, sizeof(b));
	sqe = t_sqe(ring);
	hoop_prep_read(sqe, 2, b, sizeof(b), (uint64_t)-1);
	hoop_sqe_set_flags(sqe, HOOP_SQE_FIXED_FILE);
	CHECK_EQ(fs_run(ring, sqe), 6);
	CHECK(memcmp(b, "direct", 6) == 0);

	/* slots 0 and 1 are still free: an allocating pipe takes them */
	fds[0] = fds[1] = -1;
	sqe = t_sqe(ring);
	hoop_prep_pipe_direct(sqe, fds, 0, HOOP_FILE_INDEX_ALLOC);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK_EQ(fds[0], 0);
	CHECK_EQ(fds[1], 1);

	/* direct descriptors cannot be close-on-exec */
	sqe = t_sqe(ring);
	hoop_prep_pipe_direct(sqe, fds, O_CLOEXEC, 0);
	CHECK_EQ(fs_run(ring, sqe), -EINVAL);

	hoop_ring_destroy(ring);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
