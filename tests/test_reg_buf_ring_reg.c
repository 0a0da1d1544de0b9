/*
 * hoop_ring_register_buf_ring_reg: a provided-buffer ring registered with
 * every field of the kernel's struct.
 *
 * - Without flags: a pipe read takes buffer 0 whole (no BUF_MORE).
 * - HOOP_PBUF_RING_INC: reads of 100 and then 50 bytes both land in the one
 *   1024-byte buffer, one after the other, each completion with
 *   HOOP_CQE_F_BUF_MORE; a read of 950 bytes leaves 74 and says BUF_MORE.
 * - INC with min_left 100: the same 950-byte read retires the buffer (74 <
 *   100 left: no BUF_MORE) and the next read finds no buffer (-ENOBUFS).
 *   Kernels without min_left refuse it (-EINVAL); the test then says so.
 * - Bad input (NULL, resv not zero, min_left without INC) is -EINVAL and
 *   registers nothing.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define BUFSZ 1024

static struct hoop_buf *ring_mem(void)
{
	struct hoop_buf *br = NULL;
	CHECK_EQ(posix_memalign((void **)&br, 4096, 4096), 0);
	memset(br, 0, 4096);
	return br;
}

/* Publish one buffer as bid 0 (the tail is entry 0's last field). */
static void publish(struct hoop_buf *br, char *data)
{
	br[0].addr = (uint64_t)(uintptr_t)data;
	br[0].len = BUFSZ;
	br[0].bid = 0;
	__atomic_store_n(&br[0].resv, (uint16_t)1, __ATOMIC_RELEASE);
}

static struct hoop_buf_reg reg_of(struct hoop_buf *br, uint16_t bgid,
                                  uint16_t flags, uint32_t min_left)
{
	struct hoop_buf_reg reg;
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)br;
	reg.ring_entries = 8;
	reg.bgid = bgid;
	reg.flags = flags;
	reg.min_left = min_left;
	return reg;
}

/* Write `n` bytes of `fill` to the pipe, read them with buffer select. */
static struct hoop_cqe read_sel(hoop_ring *ring, int p[2], uint16_t bgid,
                                size_t n, char fill)
{
	char src[BUFSZ];
	memset(src, fill, n);
	CHECK_EQ(write(p[1], src, n), (ssize_t)n);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read(sqe, p[0], NULL, BUFSZ, 0);
	hoop_sqe_set_flags(sqe, HOOP_SQE_BUFFER_SELECT);
	hoop_sqe_set_buf_group(sqe, bgid);
	return t_submit_wait_one(ring);
}

static void all(const char *p, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		CHECK_EQ(p[i], c);
}

int main(void)
{
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	int p[2];
	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
	uint16_t head;
	static char data[4][BUFSZ];
	struct hoop_buf *br[4];
	for (int i = 0; i < 4; i++)
		br[i] = ring_mem();

	/* Bad input: nothing registered. */
	CHECK_EQ(hoop_ring_register_buf_ring_reg(ring, NULL), -EINVAL);
	struct hoop_buf_reg reg = reg_of(br[0], 1, 0, 0);
	reg.resv[4] = 1;
	CHECK_EQ(hoop_ring_register_buf_ring_reg(ring, &reg), -EINVAL);
	reg = reg_of(br[0], 1, 0, 16);
	CHECK_EQ(hoop_ring_register_buf_ring_reg(ring, &reg), -EINVAL);
	/* The head query (IORING_REGISTER_PBUF_STATUS) needs 6.8. */
	int has_head = t_kernel_at_least(6, 8);
	if (!has_head)
		printf("SKIP part: buffer-ring head queries need 6.8 "
		       "(checking they are refused)\n");
	CHECK_EQ(hoop_ring_buf_ring_head(ring, &head, 1),
	         has_head ? -ENOENT : -EINVAL);

	/* No flags: the buffer is used whole. */
	reg = reg_of(br[0], 1, 0, 0);
	int r = hoop_ring_register_buf_ring_reg(ring, &reg);
	if (r == -EINVAL && hoop_opcode_supported(HOOP_OP_SOCKET) == 0)
		SKIP("provided-buffer rings need 5.19");
	CHECK_EQ(r, 0);
	CHECK_EQ(hoop_ring_register_buf_ring_reg(ring, &reg), -EEXIST);
	publish(br[0], data[0]);
	struct hoop_cqe c = read_sel(ring, p, 1, 100, 'a');
	CHECK_EQ(c.res, 100);
	CHECK(c.flags & HOOP_CQE_F_BUFFER);
	CHECK(!(c.flags & HOOP_CQE_F_BUF_MORE));
	all(data[0], 100, 'a');
	CHECK_EQ(hoop_ring_buf_ring_head(ring, &head, 1), has_head ? 0 : -EINVAL);
	if (has_head)
		CHECK_EQ(head, 1);

	/* Incremental consumption. */
	reg = reg_of(br[1], 2, HOOP_PBUF_RING_INC, 0);
	r = hoop_ring_register_buf_ring_reg(ring, &reg);
	if (r == -EINVAL) {
		printf("kernel lacks HOOP_PBUF_RING_INC (6.12): -EINVAL\n");
	} else {
		CHECK_EQ(r, 0);
		publish(br[1], data[1]);
		c = read_sel(ring, p, 2, 100, 'b');
		CHECK_EQ(c.res, 100);
		CHECK(c.flags & HOOP_CQE_F_BUFFER);
		CHECK(c.flags & HOOP_CQE_F_BUF_MORE);
		CHECK_EQ(c.flags >> HOOP_CQE_BUFFER_SHIFT, 0);
		c = read_sel(ring, p, 2, 50, 'c');
		CHECK_EQ(c.res, 50);
		CHECK(c.flags & HOOP_CQE_F_BUF_MORE);
		all(data[1], 100, 'b');
		all(data[1] + 100, 50, 'c');
		CHECK_EQ(hoop_ring_buf_ring_head(ring, &head, 2),
		         has_head ? 0 : -EINVAL);
		CHECK_EQ(head, 0); /* still the same buffer */

		/* 950 of 1024: 74 left, kept. */
		reg = reg_of(br[2], 3, HOOP_PBUF_RING_INC, 0);
		CHECK_EQ(hoop_ring_register_buf_ring_reg(ring, &reg), 0);
		publish(br[2], data[2]);
		c = read_sel(ring, p, 3, 950, 'd');
		CHECK_EQ(c.res, 950);
		CHECK(c.flags & HOOP_CQE_F_BUF_MORE);

		/* The same with min_left 100: 74 left is too little. */
		reg = reg_of(br[3], 4, HOOP_PBUF_RING_INC, 100);
		r = hoop_ring_register_buf_ring_reg(ring, &reg);
		if (r == -EINVAL) {
			printf("kernel lacks min_left: -EINVAL, not "
			       "registered\n");
			CHECK_EQ(hoop_ring_buf_ring_head(ring, &head, 4), -ENOENT);
		} else {
			CHECK_EQ(r, 0);
			printf("kernel has min_left\n");
			publish(br[3], data[3]);
			c = read_sel(ring, p, 4, 950, 'e');
			CHECK_EQ(c.res, 950);
			CHECK(c.flags & HOOP_CQE_F_BUFFER);
			CHECK(!(c.flags & HOOP_CQE_F_BUF_MORE));
			all(data[3], 950, 'e');
			c = read_sel(ring, p, 4, 10, 'f');
			CHECK_EQ(c.res, -ENOBUFS);
			char junk[16];
			CHECK_EQ(read(p[0], junk, sizeof(junk)), 10);
			CHECK_EQ(hoop_ring_unregister_buf_ring(ring, 4), 0);
		}
		CHECK_EQ(hoop_ring_unregister_buf_ring(ring, 2), 0);
		CHECK_EQ(hoop_ring_unregister_buf_ring(ring, 3), 0);
	}
	CHECK_EQ(hoop_ring_unregister_buf_ring(ring, 1), 0);

	hoop_ring_destroy(ring);
	for (int i = 0; i < 4; i++)
		free(br[i]);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
