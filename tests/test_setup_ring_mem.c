/*
 * Rings in the caller's memory: hoop_ring_memory_size and
 * hoop_ring_create_mem (liburing's io_uring_memory_size_params and
 * io_uring_queue_init_mem).
 *  - the size grows with entries, CQSIZE, CQE32 and SQE128, is a page
 *    multiple, and bad params are -EINVAL;
 *  - a ring made in a caller buffer of exactly that size lives there (its
 *    SQEs are inside the buffer) and runs 100 NOPs; destroy leaves the
 *    buffer mapped (written to afterwards) and closes the ring's fd;
 *  - one byte short is -ENOMEM, an unaligned buffer -EINVAL, NULLs
 *    -EINVAL; resize is -EOPNOTSUPP.
 * Kernels before 6.5 (no NO_MMAP) refuse with -EINVAL: checked, and said.
 */
#include "helpers.h"

#include "hoop/inline.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	int64_t s8 = hoop_ring_memory_size(8, NULL);
	int64_t s64 = hoop_ring_memory_size(64, NULL);
	CHECK(s8 > 0 && s8 % pg == 0);
	CHECK(s64 >= s8);
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = HOOP_SETUP_CQSIZE;
	p.cq_entries = 4096;
	CHECK(hoop_ring_memory_size(8, &p) > s8);
	p.cq_entries = 0;
	CHECK_EQ(hoop_ring_memory_size(8, &p), -EINVAL);
	memset(&p, 0, sizeof(p));
	p.flags = HOOP_SETUP_SQE128;
	CHECK(hoop_ring_memory_size(512, &p) > hoop_ring_memory_size(512, NULL));
	CHECK_EQ(hoop_ring_memory_size(0, NULL), -EINVAL);

	int fds = t_fd_count();
	size_t need = (size_t)hoop_ring_memory_size(64, NULL);
	unsigned char *buf = mmap(NULL, need + (size_t)pg, PROT_READ | PROT_WRITE,
	                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED);
	hoop_ring *ring = NULL;
	CHECK_EQ(hoop_ring_create_mem(&ring, 64, NULL, buf, need - 1), -ENOMEM);
	CHECK_EQ(hoop_ring_create_mem(&ring, 64, NULL, buf + 8, need), -EINVAL);
	CHECK_EQ(hoop_ring_create_mem(NULL, 64, NULL, buf, need), -EINVAL);
	CHECK_EQ(hoop_ring_create_mem(&ring, 64, NULL, NULL, need), -EINVAL);
	int r = hoop_ring_create_mem(&ring, 64, NULL, buf, need);
	if (r == -ENOSYS || r == -EPERM)
		SKIP("io_uring unavailable: %s", hoop_strerror(r));
	if (r == -EINVAL)
		SKIP("no HOOP_SETUP_NO_MMAP in this kernel (6.5+): a clean "
		     "-EINVAL");
	CHECK_EQ(r, 0);
	CHECK(hoop_ring_setup_flags(ring) & HOOP_SETUP_NO_MMAP);
	CHECK_EQ(hoop_ring_sq_entries(ring), 64);
	for (uint64_t k = 1; k <= 100; k++) {
		struct hoop_sqe *sqe = t_sqe(ring);
		CHECK((unsigned char *)sqe >= buf &&
		      (unsigned char *)sqe < buf + need);
		hoop_prep_nop(sqe);
		hoop_sqe_set_data(sqe, k);
		CHECK_EQ(t_submit_wait_one(ring).user_data, k);
	}
	struct hoop_ring_view *v = hoop_ring_view_of(ring);
	CHECK((unsigned char *)v->cqes >= buf &&
	      (unsigned char *)v->cqes < buf + need);
	CHECK_EQ(hoop_ring_resize(ring, 128, 0), -EOPNOTSUPP);
	hoop_ring_destroy(ring);
	memset(buf, 0x77, need); /* still ours, still mapped */
	CHECK_EQ(t_fd_count(), fds);
	munmap(buf, need + (size_t)pg);
	return T_PASS;
}
