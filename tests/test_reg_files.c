/*
 * Fixed files: register, read through HOOP_SQE_FIXED_FILE, keep using a slot
 * after the fd is closed, update and skip slots, sparse tables with an
 * allocation range, tags, unregister.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const char msg_b[] = "contents of file b";

static int read_slot(hoop_ring *ring, int slot, void *buf, unsigned len)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read(sqe, slot, buf, len, 0);
	hoop_sqe_set_flags(sqe, HOOP_SQE_FIXED_FILE);
	return t_submit_wait_one(ring).res;
}

static void check_is_b(hoop_ring *ring, int slot)
{
	char buf[64] = {0};
	CHECK_EQ(read_slot(ring, slot, buf, sizeof(buf)), sizeof(msg_b) - 1);
	CHECK(memcmp(buf, msg_b, sizeof(msg_b) - 1) == 0);
}

/* The next completion, failing the test if none arrives within 2 s. */
static struct hoop_cqe next_cqe(hoop_ring *ring)
{
	struct hoop_timespec ts = {2, 0};
	struct hoop_cqe *cqe = NULL;
	CHECK_EQ(hoop_ring_wait_cqe_timeout(ring, &cqe, &ts), 0);
	struct hoop_cqe copy = *cqe;
	hoop_ring_cqe_seen(ring, cqe);
	return copy;
}

int main(void)
{
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	char path_b[64];
	int fd_a = t_tmpfile(4096, NULL);
	int fd_b = t_tmpfile(0, path_b);
	CHECK_EQ(pwrite(fd_b, msg_b, sizeof(msg_b) - 1, 0), sizeof(msg_b) - 1);
	unsigned char buf[4096];

	int fds[2] = {fd_a, -1};
	CHECK_EQ(hoop_ring_register_files(ring, fds, 2), 0);
	CHECK_EQ(hoop_ring_register_files(ring, fds, 2), -EBUSY);
	CHECK_EQ(read_slot(ring, 0, buf, sizeof(buf)), 4096);
	for (unsigned i = 0; i < sizeof(buf); i++)
		CHECK_EQ(buf[i], t_pattern(i));
	CHECK_EQ(read_slot(ring, 1, buf, sizeof(buf)), -EBADF);
	CHECK_EQ(read_slot(ring, 2, buf, sizeof(buf)), -EBADF);

	/* The table holds its own reference: closing our fd changes nothing. */
	CHECK_EQ(close(fd_a), 0);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(read_slot(ring, 0, buf, 100), 100);
	for (unsigned i = 0; i < 100; i++)
		CHECK_EQ(buf[i], t_pattern(i));

	/* Updates: fill slot 1, empty slot 0, skip a slot. */
	CHECK_EQ(hoop_ring_register_files_update(ring, 1, &fd_b, 1), 1);
	check_is_b(ring, 1);
	int empty = -1;
	CHECK_EQ(hoop_ring_register_files_update(ring, 0, &empty, 1), 1);
	CHECK_EQ(read_slot(ring, 0, buf, 100), -EBADF);
	int skip_then_empty[2] = {HOOP_REGISTER_FILES_SKIP, -1};
	CHECK_EQ(hoop_ring_register_files_update(ring, 0, skip_then_empty, 2), 2);
	CHECK_EQ(read_slot(ring, 1, buf, 100), -EBADF);
	CHECK_EQ(hoop_ring_register_files_update(ring, 2, &fd_b, 1), -EINVAL);
	int closed_fd = dup(fd_b);
	CHECK(closed_fd >= 0);
	close(closed_fd);
	CHECK_EQ(hoop_ring_register_files_update(ring, 0, &closed_fd, 1), -EBADF);

	CHECK_EQ(hoop_ring_unregister_files(ring), 0);
	CHECK_EQ(hoop_ring_unregister_files(ring), -ENXIO);
	CHECK_EQ(read_slot(ring, 0, buf, 100), -EBADF);
	CHECK_EQ(hoop_ring_register_files_update(ring, 0, &fd_b, 1), -ENXIO);

	/* Sparse table; the kernel allocates direct descriptors in a range. */
	CHECK_EQ(hoop_ring_register_files_sparse(ring, 8), 0);
	CHECK_EQ(read_slot(ring, 5, buf, 100), -EBADF);
	CHECK_EQ(hoop_ring_register_files_update(ring, 5, &fd_b, 1), 1);
	check_is_b(ring, 5);
	CHECK_EQ(hoop_ring_register_file_alloc_range(ring, 6, 4), -EINVAL);
	CHECK_EQ(hoop_ring_register_file_alloc_range(ring, 2, 3), 0);
	hoop_prep_openat_direct(t_sqe(ring), AT_FDCWD, path_b, O_RDONLY, 0,
	                        HOOP_FILE_INDEX_ALLOC);
	CHECK_EQ(t_submit_wait_one(ring).res, 2);
	check_is_b(ring, 2);
	hoop_prep_openat_direct(t_sqe(ring), AT_FDCWD, path_b, O_RDONLY, 0,
	                        HOOP_FILE_INDEX_ALLOC);
	CHECK_EQ(t_submit_wait_one(ring).res, 3);
	CHECK_EQ(hoop_ring_unregister_files(ring), 0);

	if (!(hoop_ring_features(ring) & HOOP_FEAT_RSRC_TAGS))
		SKIP("no resource tags (kernel before 5.13)");

	/* Tags come back as completions when their file leaves the table. */
	int two_b[2] = {fd_b, fd_b};
	uint64_t tags[2] = {77, 0};
	CHECK_EQ(hoop_ring_register_files_tags(ring, two_b, tags, 2), 0);
	check_is_b(ring, 0);
	check_is_b(ring, 1);
	uint64_t tag88 = 88;
	CHECK_EQ(hoop_ring_register_files_update_tag(ring, 0, &fd_b, &tag88, 1), 1);
	struct hoop_cqe c = next_cqe(ring);
	CHECK_EQ(c.user_data, 77);
	CHECK_EQ(c.res, 0);
	check_is_b(ring, 0);
	CHECK_EQ(hoop_ring_unregister_files(ring), 0);
	c = next_cqe(ring);
	CHECK_EQ(c.user_data, 88);
	CHECK_EQ(c.res, 0);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0); /* slot 1 had tag 0: no CQE */

	hoop_ring_destroy(ring);
	close(fd_b);
	unlink(path_b);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
