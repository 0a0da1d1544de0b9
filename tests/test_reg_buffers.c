/*
 * Fixed buffers: read_fixed and write_fixed through registered buffers,
 * sparse tables filled by update, tags posted when a buffer goes away,
 * unregister, and bad iovecs.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define BUF_SZ 4096

static int read_fixed(hoop_ring *ring, int fd, void *buf, unsigned len,
                      uint64_t off, int idx)
{
	hoop_prep_read_fixed(t_sqe(ring), fd, buf, len, off, idx);
	return t_submit_wait_one(ring).res;
}

static int write_fixed(hoop_ring *ring, int fd, const void *buf, unsigned len,
                       uint64_t off, int idx)
{
	hoop_prep_write_fixed(t_sqe(ring), fd, buf, len, off, idx);
	return t_submit_wait_one(ring).res;
}

static void check_pattern(const unsigned char *buf, size_t len, uint64_t off)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != t_pattern(off + i)) {
			fprintf(stderr, "byte %zu: %u, expected %u\n", i,
			        buf[i], t_pattern(off + i));
			exit(T_FAIL);
		}
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
	int fd = t_tmpfile(2 * BUF_SZ, NULL);
	static unsigned char b0[BUF_SZ], b1[BUF_SZ], got[BUF_SZ];
	struct iovec iov[2] = {{b0, BUF_SZ}, {b1, BUF_SZ}};

	/* Plain registration; reads land in the registered memory. */
	CHECK_EQ(hoop_ring_register_buffers(ring, iov, 2), 0);
	CHECK_EQ(hoop_ring_register_buffers(ring, iov, 2), -EBUSY);
	CHECK_EQ(read_fixed(ring, fd, b0, BUF_SZ, 0, 0), BUF_SZ);
	check_pattern(b0, BUF_SZ, 0);
	CHECK_EQ(read_fixed(ring, fd, b1, BUF_SZ, BUF_SZ, 1), BUF_SZ);
	check_pattern(b1, BUF_SZ, BUF_SZ);
	/* A sub-range of a buffer is fine: 100 bytes at b1 + 10. */
	CHECK_EQ(read_fixed(ring, fd, b1 + 10, 100, 7, 1), 100);
	check_pattern(b1 + 10, 100, 7);
	/* An address outside the named buffer is refused. */
	CHECK_EQ(read_fixed(ring, fd, b0, BUF_SZ, 0, 1), -EFAULT);
	/* Index beyond the table. */
	CHECK_EQ(read_fixed(ring, fd, b0, BUF_SZ, 0, 2), -EFAULT);

	memset(b1, 0xab, BUF_SZ);
	CHECK_EQ(write_fixed(ring, fd, b1, 50, 100, 1), 50);
	CHECK_EQ(pread(fd, got, 52, 99), 52);
	CHECK_EQ(got[0], t_pattern(99));
	for (int i = 1; i <= 50; i++)
		CHECK_EQ(got[i], 0xab);
	CHECK_EQ(got[51], t_pattern(150));
	/* Put the pattern back for what follows. */
	for (int i = 0; i < 50; i++)
		got[i] = t_pattern(100 + (uint64_t)i);
	CHECK_EQ(pwrite(fd, got, 50, 100), 50);

	CHECK_EQ(hoop_ring_unregister_buffers(ring), 0);
	CHECK_EQ(hoop_ring_unregister_buffers(ring), -ENXIO);
	CHECK_EQ(read_fixed(ring, fd, b0, BUF_SZ, 0, 0), -EFAULT);

	/* Bad iovecs. */
	struct iovec bad_null = {NULL, BUF_SZ};
	struct iovec bad_zero = {b0, 0};
	CHECK_EQ(hoop_ring_register_buffers(ring, &bad_null, 1), -EFAULT);
	CHECK_EQ(hoop_ring_register_buffers(ring, &bad_zero, 1), -EFAULT);
	CHECK_EQ(hoop_ring_register_buffers(ring, iov, 0), -EINVAL);
	CHECK_EQ(hoop_ring_register_buffers(ring, NULL, 1), -EFAULT);

	if (!(hoop_ring_features(ring) & HOOP_FEAT_RSRC_TAGS))
		SKIP("no resource tags (kernel before 5.13)");

	/* Sparse table: empty slots refuse I/O until an update fills them. */
	CHECK_EQ(hoop_ring_register_buffers_sparse(ring, 4), 0);
	CHECK_EQ(read_fixed(ring, fd, b0, BUF_SZ, 0, 0), -EFAULT);
	uint64_t tag_a = 0x1234, tag_b = 0x5678;
	CHECK_EQ(hoop_ring_register_buffers_update_tag(ring, 2, &iov[0], &tag_a, 1),
	         1);
	memset(b0, 0, BUF_SZ);
	CHECK_EQ(read_fixed(ring, fd, b0, BUF_SZ, 0, 2), BUF_SZ);
	check_pattern(b0, BUF_SZ, 0);
	/* Replacing slot 2 releases buffer a: its tag comes back as a CQE. */
	CHECK_EQ(hoop_ring_register_buffers_update_tag(ring, 2, &iov[1], &tag_b, 1),
	         1);
	struct hoop_cqe c = next_cqe(ring);
	CHECK_EQ(c.user_data, tag_a);
	CHECK_EQ(c.res, 0);
	CHECK_EQ(read_fixed(ring, fd, b0, BUF_SZ, 0, 2), -EFAULT);
	CHECK_EQ(read_fixed(ring, fd, b1, BUF_SZ, BUF_SZ, 2), BUF_SZ);
	check_pattern(b1, BUF_SZ, BUF_SZ);
	/* Out of range update. */
	CHECK_EQ(hoop_ring_register_buffers_update_tag(ring, 4, &iov[0], NULL, 1),
	         -EINVAL);
	CHECK_EQ(hoop_ring_unregister_buffers(ring), 0);
	c = next_cqe(ring);
	CHECK_EQ(c.user_data, tag_b);
	CHECK_EQ(c.res, 0);
	CHECK_EQ(hoop_ring_cq_ready(ring), 0);

	/* Tagged registration: unregistering posts every non-zero tag. */
	uint64_t tags[2] = {11, 22};
	CHECK_EQ(hoop_ring_register_buffers_tags(ring, iov, tags, 2), 0);
	CHECK_EQ(read_fixed(ring, fd, b1, 64, 0, 1), 64);
	check_pattern(b1, 64, 0);
	CHECK_EQ(hoop_ring_unregister_buffers(ring), 0);
	uint64_t seen = 0;
	for (int i = 0; i < 2; i++) {
		c = next_cqe(ring);
		CHECK_EQ(c.res, 0);
		CHECK(c.user_data == 11 || c.user_data == 22);
		seen += c.user_data;
	}
	CHECK_EQ(seen, 33);

	hoop_ring_destroy(ring);
	close(fd);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
