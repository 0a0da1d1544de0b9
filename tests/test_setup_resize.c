/*
 * hoop_ring_resize: a live DEFER_TASKRUN ring grows and shrinks with
 * entries in flight.
 *
 * Growing 8/16 -> 64/256 with four reads blocked on a pipe, three NOP
 * completions not yet seen, and two NOPs prepared but not submitted: the
 * three completions are still there, in order; the two prepared NOPs are
 * submitted by the next submit; the four reads complete into the new CQ
 * once the pipe has data. Then the new sizes are used: 64 NOPs in one
 * submit, 64 completions waited for at once. Shrinking below the number
 * of completions not yet seen is -EOVERFLOW and leaves the ring as it was;
 * after reaping, shrinking to 4/8 works and the ring still runs NOPs,
 * reads and a registered-ring-fd round. The same on a HOOP_SETUP_NO_MMAP
 * ring (hoop provides the new memory). Bad input (sizes 0, too big, a CQ
 * smaller than the SQ, a ring without DEFER_TASKRUN) is -EINVAL and
 * publishes nothing. No fd and no ring mapping is left behind.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char rbuf[4][16];

/*
 * Mappings of ring memory: the kernel's rings show as anon_inode:[io_uring],
 * the shared anonymous memory hoop provides with NO_MMAP as /dev/zero.
 * (Other mappings come and go with the allocator, ASan's included.)
 */
static int map_count(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	CHECK(f != NULL);
	char line[512];
	int n = 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "io_uring") || strstr(line, "/dev/zero"))
			n++;
	fclose(f);
	return n;
}

static void nop(hoop_ring *ring, uint64_t data)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, data);
}

static void pipe_read(hoop_ring *ring, int fd, uint64_t data)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read(sqe, fd, rbuf[data % 4], 1, 0);
	hoop_sqe_set_data(sqe, data);
}

/* Copy out and consume `n` completions (waiting for them). */
static void reap(hoop_ring *ring, struct hoop_cqe *out, unsigned n)
{
	unsigned got = 0;
	while (got < n) {
		int r = hoop_ring_copy_cqes(ring, out + got, n - got, 1);
		CHECK(r > 0);
		got += (unsigned)r;
	}
}

/* Copy out and consume the `n` completions that are there, submitting
 * nothing (hoop_ring_copy_cqes with a wait would submit). */
static void take(hoop_ring *ring, struct hoop_cqe *out, unsigned n)
{
	struct hoop_cqe *ptrs[16];
	CHECK(n <= 16);
	CHECK_EQ(hoop_ring_peek_batch_cqe(ring, ptrs, n), n);
	for (unsigned i = 0; i < n; i++)
		out[i] = *ptrs[i];
	hoop_ring_cq_advance(ring, n);
}

static void run(uint32_t extra_flags)
{
	uint32_t flags = HOOP_SETUP_SINGLE_ISSUER | HOOP_SETUP_DEFER_TASKRUN |
	                 extra_flags;
	hoop_ring *ring = NULL;
	hoop_ring_params prm = {0};
	prm.flags = flags;
	int maps0 = map_count();
	int r = hoop_ring_create(&ring, 8, &prm);
	if (r == -EINVAL)
		SKIP("ring flags %#x need a newer kernel", flags);
	CHECK_EQ(r, 0);
	/* The ring's mappings; each resize must leave as many. */
	int maps = map_count();
	CHECK(maps > maps0);
	CHECK_EQ(hoop_ring_sq_entries(ring), 8);
	CHECK_EQ(hoop_ring_cq_entries(ring), 16);
	int p[2];
	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);

	/* Bad input: refused before anything is published. */
	nop(ring, 99);
	CHECK_EQ(hoop_ring_resize(ring, 0, 0), -EINVAL);
	CHECK_EQ(hoop_ring_resize(ring, 65536, 0), -EINVAL);
	CHECK_EQ(hoop_ring_resize(ring, 16, 131072), -EINVAL);
	CHECK_EQ(hoop_ring_resize(ring, 64, 32), -EINVAL);
	CHECK_EQ(hoop_ring_sq_ready(ring), 1);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	struct hoop_cqe c[80];
	reap(ring, c, 1);
	CHECK_EQ(c[0].user_data, 99);

	CHECK_EQ(hoop_ring_resize(ring, 8, 16), 0); /* same sizes */
	CHECK_EQ(hoop_ring_resize(ring, 5, 0), 0);  /* the same, rounded */
	nop(ring, 98);
	CHECK_EQ(t_submit_wait_one(ring).user_data, 98);

	/* In flight: 4 blocked reads, 3 unseen NOP completions, 2 NOPs
	 * prepared and not submitted. */
	for (uint64_t i = 0; i < 4; i++)
		pipe_read(ring, p[0], 10 + i);
	for (uint64_t i = 0; i < 3; i++)
		nop(ring, 20 + i);
	CHECK_EQ(hoop_ring_submit(ring), 7);
	nop(ring, 30);
	nop(ring, 31);
	CHECK_EQ(hoop_ring_cq_ready(ring), 3);

	r = hoop_ring_resize(ring, 64, 256);
	if (r == -EINVAL) {
		hoop_ring_destroy(ring);
		close(p[0]);
		close(p[1]);
		SKIP("resizing rings needs 6.13 (-EINVAL here)");
	}
	CHECK_EQ(r, 0);
	CHECK_EQ(hoop_ring_sq_entries(ring), 64);
	CHECK_EQ(hoop_ring_cq_entries(ring), 256);
	CHECK_EQ(hoop_ring_cq_ready(ring), 3);
	CHECK_EQ(map_count(), maps);
	CHECK_EQ(hoop_ring_sq_ready(ring), 2);
	CHECK_EQ(hoop_ring_sq_space_left(ring), 62);
	take(ring, c, 3);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(c[i].user_data, 20 + (uint64_t)i);
		CHECK_EQ(c[i].res, 0);
	}
	CHECK_EQ(hoop_ring_submit(ring), 2);
	reap(ring, c, 2);
	CHECK_EQ(c[0].user_data, 30);
	CHECK_EQ(c[1].user_data, 31);
	/* The reads submitted before the resize complete now. */
	CHECK_EQ(write(p[1], "wxyz", 4), 4);
	reap(ring, c, 4);
	unsigned seen = 0;
	for (int i = 0; i < 4; i++) {
		CHECK(c[i].user_data >= 10 && c[i].user_data < 14);
		CHECK_EQ(c[i].res, 1);
		seen |= 1u << (c[i].user_data - 10);
	}
	CHECK_EQ(seen, 0xf);

	/* The new sizes in use: 64 SQEs in one go. */
	for (uint64_t i = 0; i < 64; i++)
		nop(ring, 100 + i);
	CHECK(hoop_ring_get_sqe(ring) == NULL);
	CHECK_EQ(hoop_ring_submit_and_wait(ring, 64), 64);
	CHECK_EQ(hoop_ring_cq_ready(ring), 64);
	reap(ring, c, 64);
	for (int i = 0; i < 64; i++)
		CHECK_EQ(c[i].user_data, 100 + (uint64_t)i);

	/* Shrinking below what is unseen: refused, nothing changes. */
	for (uint64_t i = 0; i < 10; i++)
		nop(ring, 200 + i);
	CHECK_EQ(hoop_ring_submit(ring), 10);
	CHECK_EQ(hoop_ring_cq_ready(ring), 10);
	CHECK_EQ(hoop_ring_resize(ring, 4, 8), -EOVERFLOW);
	CHECK_EQ(hoop_ring_sq_entries(ring), 64);
	CHECK_EQ(hoop_ring_cq_entries(ring), 256);
	CHECK_EQ(hoop_ring_cq_ready(ring), 10);
	reap(ring, c, 10);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(c[i].user_data, 200 + (uint64_t)i);

	/* Now it fits: shrink with a read in flight. */
	pipe_read(ring, p[0], 300);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	CHECK_EQ(hoop_ring_resize(ring, 4, 8), 0);
	CHECK_EQ(hoop_ring_sq_entries(ring), 4);
	CHECK_EQ(hoop_ring_cq_entries(ring), 8);
	CHECK_EQ(map_count(), maps);
	for (uint64_t i = 0; i < 4; i++)
		nop(ring, 400 + i);
	CHECK(hoop_ring_get_sqe(ring) == NULL);
	CHECK_EQ(hoop_ring_submit(ring), 4);
	reap(ring, c, 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(c[i].user_data, 400 + (uint64_t)i);
	CHECK_EQ(write(p[1], "k", 1), 1);
	reap(ring, c, 1);
	CHECK_EQ(c[0].user_data, 300);
	CHECK_EQ(c[0].res, 1);
	CHECK_EQ(rbuf[300 % 4][0], 'k');

	/* Through the registered ring fd, and back to a bigger size. */
	CHECK_EQ(hoop_ring_register_ring_fd(ring), 1);
	CHECK_EQ(hoop_ring_resize(ring, 32, 0), 0);
	CHECK_EQ(hoop_ring_sq_entries(ring), 32);
	CHECK_EQ(hoop_ring_cq_entries(ring), 64);
	nop(ring, 500);
	CHECK_EQ(t_submit_wait_one(ring).user_data, 500);

	/* A big CQ by default (twice the SQ): 512 slots, 8 KiB of CQEs,
	 * written all over by 256 NOPs twice. */
	CHECK_EQ(hoop_ring_resize(ring, 256, 0), 0);
	CHECK_EQ(hoop_ring_sq_entries(ring), 256);
	CHECK_EQ(hoop_ring_cq_entries(ring), 512);
	CHECK_EQ(map_count(), maps);
	for (int round = 0; round < 2; round++) {
		for (uint64_t i = 0; i < 256; i++)
			nop(ring, 1000 + i);
		CHECK_EQ(hoop_ring_submit_and_wait(ring, 256), 256);
		for (uint64_t i = 0; i < 256; i++) {
			struct hoop_cqe one = t_wait_one(ring);
			CHECK_EQ(one.user_data, 1000 + i);
		}
	}

	hoop_ring_destroy(ring);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	int fds_before = t_fd_count();
	int maps_before = map_count();

	/* Not DEFER_TASKRUN: refused, the prepared SQE stays unpublished. */
	hoop_ring *ring = t_ring(8, 0);
	nop(ring, 1);
	CHECK_EQ(hoop_ring_resize(ring, 16, 0), -EINVAL);
	CHECK_EQ(hoop_ring_sq_entries(ring), 8);
	CHECK_EQ(hoop_ring_submit(ring), 1);
	CHECK_EQ(t_wait_one(ring).user_data, 1);
	hoop_ring_destroy(ring);

	CHECK_EQ(map_count(), maps_before);
	run(0);
	printf("mmap'd rings: resized\n");
	run(HOOP_SETUP_NO_MMAP);
	printf("NO_MMAP rings: resized\n");

	CHECK_EQ(t_fd_count(), fds_before);
	CHECK_EQ(map_count(), maps_before);
	return T_PASS;
}
