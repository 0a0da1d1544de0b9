/*
 * Provided-buffer rings at the lowest level: register a ring of buffers,
 * publish two, read from a pipe with buffer selection, watch the kernel's
 * head move, unregister; sizes and duplicate groups are refused. The
 * head (REGISTER_PBUF_STATUS) needs 6.8 and kernel-allocated ring memory
 * 6.4: before those, the kernel refuses them with EINVAL (tests/kernels).
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define ENTRIES 8
#define BGID 7

/* The head of group bgid is want (or the call gives want_rc); before 6.8
 * the kernel does not know REGISTER_PBUF_STATUS. */
static void check_head(hoop_ring *ring, uint16_t bgid, int want_rc, uint16_t want)
{
	uint16_t head = 99;
	int r = hoop_ring_buf_ring_head(ring, &head, bgid);
	if (!t_kernel_at_least(6, 8)) {
		CHECK_EQ(r, -EINVAL);
		return;
	}
	CHECK_EQ(r, want_rc);
	if (want_rc == 0)
		CHECK_EQ(head, want);
}

int main(void)
{
	int fds_before = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	struct hoop_buf *br = NULL;
	CHECK_EQ(posix_memalign((void **)&br, 4096, 4096), 0);
	memset(br, 0, 4096);
	static char data[2][32];

	int r = hoop_ring_register_buf_ring(ring, br, ENTRIES, BGID, 0);
	if (r == -EINVAL && hoop_opcode_supported(HOOP_OP_SOCKET) == 0)
		SKIP("provided-buffer rings need 5.19");
	CHECK_EQ(r, 0);
	CHECK_EQ(hoop_ring_register_buf_ring(ring, br, ENTRIES, BGID, 0), -EEXIST);
	CHECK_EQ(hoop_ring_register_buf_ring(ring, br, 3, BGID + 1, 0), -EINVAL);
	CHECK_EQ(hoop_ring_register_buf_ring(ring, br, ENTRIES, BGID + 1, 0x8000),
	         -EINVAL);

	check_head(ring, BGID, 0, 0);
	CHECK_EQ(hoop_ring_buf_ring_head(ring, NULL, BGID), -EINVAL);

	/* Publish buffers 0 and 1; the tail lives in entry 0's last field. */
	for (uint16_t i = 0; i < 2; i++) {
		br[i].addr = (uint64_t)(uintptr_t)data[i];
		br[i].len = sizeof(data[i]);
		br[i].bid = i;
	}
	__atomic_store_n(&br[0].resv, (uint16_t)2, __ATOMIC_RELEASE);

	int p[2];
	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
	CHECK_EQ(write(p[1], "hello", 5), 5);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read(sqe, p[0], NULL, 32, 0);
	hoop_sqe_set_flags(sqe, HOOP_SQE_BUFFER_SELECT);
	hoop_sqe_set_buf_group(sqe, BGID);
	struct hoop_cqe c = t_submit_wait_one(ring);
	CHECK_EQ(c.res, 5);
	CHECK(c.flags & HOOP_CQE_F_BUFFER);
	CHECK_EQ(c.flags >> HOOP_CQE_BUFFER_SHIFT, 0);
	CHECK(memcmp(data[0], "hello", 5) == 0);
	check_head(ring, BGID, 0, 1);

	CHECK_EQ(hoop_ring_unregister_buf_ring(ring, BGID), 0);
	/* 6.1 keeps the emptied group: a second unregister is -EINVAL there. */
	CHECK_EQ(hoop_ring_unregister_buf_ring(ring, BGID),
	         t_kernel_at_least(6, 12) ? -ENOENT : -EINVAL);
	check_head(ring, BGID, -ENOENT, 0);

	/* Kernel-allocated ring memory: no address, the MMAP flag. */
	int mm = hoop_ring_register_buf_ring(ring, NULL, ENTRIES, BGID,
	                                     HOOP_PBUF_RING_MMAP);
	if (t_kernel_at_least(6, 4)) {
		CHECK_EQ(mm, 0);
		CHECK_EQ(hoop_ring_unregister_buf_ring(ring, BGID), 0);
	} else {
		CHECK_EQ(mm, -EINVAL);
	}

	hoop_ring_destroy(ring);
	free(br);
	close(p[0]);
	close(p[1]);
	CHECK_EQ(t_fd_count(), fds_before);
	return T_PASS;
}
