/*
 * Memory regions the kernel allocates (IORING_REGISTER_MEM_REGION without
 * HOOP_MEM_REGION_TYPE_USER; liburing programs register with
 * io_uring_register_region and mmap(2) the ring fd at rd.mmap_offset):
 * hoop_ring_register_region, then hoop_ring_map_region.
 *  - the kernel writes a non-zero mmap_offset into the desc, and the
 *    mapping is zeroed memory of the region's size;
 *  - it is the memory the kernel reads: a ring created disabled gets a
 *    kernel region of wait arguments (REG_WAIT_ARG), the program writes a
 *    50 ms timeout into entry 0 through the mapping, and
 *    hoop_ring_submit_and_wait_reg(.., 0) gives -ETIME after >= 45 ms;
 *    entry 0 changed in place to 20 ms is read at the next wait;
 *  - the mapping outlives the ring (the pages stay with it);
 *  - refused cleanly: a desc never registered (no mmap_offset), a
 *    caller-memory desc, NULL arguments (-EINVAL, *out NULL), an offset
 *    with no region behind it (mmap's -ENOMEM, the kernel's answer), a ring whose fd was closed
 *    (-EBADF), and the kernel's own checks: user_addr without TYPE_USER
 *    (-EFAULT), a size that is not whole pages (-EINVAL);
 *  - the probe reports HOOP_PROBE_X_MEM_REGION_KERNEL here.
 * Kernels before 6.13 refuse every region (-EINVAL): checked, and the test
 * says so.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* Register a kernel-memory region of `size` bytes described by *rd. */
static int reg_kernel(hoop_ring *ring, struct hoop_region_desc *rd,
                      uint64_t size, uint64_t flags)
{
	memset(rd, 0, sizeof(*rd));
	rd->size = size;
	struct hoop_mem_region_reg mr;
	memset(&mr, 0, sizeof(mr));
	mr.region_uptr = (uint64_t)(uintptr_t)rd;
	mr.flags = flags;
	return hoop_ring_register_region(ring, &mr);
}

int main(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	hoop_ring *ring = t_ring(8, HOOP_SETUP_R_DISABLED);
	struct hoop_region_desc rd;
	int r = reg_kernel(ring, &rd, 2 * pg, HOOP_MEM_REGION_REG_WAIT_ARG);
	if (r == -EINVAL) {
		printf("this kernel has no memory regions (6.13+): "
		       "IORING_REGISTER_MEM_REGION gives a clean -EINVAL\n");
		CHECK_EQ(rd.mmap_offset, 0);
		void *none = (void *)1;
		CHECK_EQ(hoop_ring_map_region(ring, &rd, &none), -EINVAL);
		CHECK(none == NULL);
		hoop_ring_destroy(ring);
		return T_PASS;
	}
	CHECK_EQ(r, 0);
	printf("kernel region registered: mmap_offset %#llx\n",
	       (unsigned long long)rd.mmap_offset);
	CHECK(rd.mmap_offset != 0);
	CHECK_EQ(rd.user_addr, 0);

	struct hoop_reg_wait *w = NULL;
	CHECK_EQ(hoop_ring_map_region(ring, &rd, (void **)&w), 0);
	CHECK(w != NULL);
	const unsigned char *bytes = (const unsigned char *)w;
	for (size_t i = 0; i < 2 * pg; i++)
		CHECK_EQ(bytes[i], 0);
	w[0].ts.tv_nsec = 50000000;
	w[0].flags = HOOP_REG_WAIT_TS;
	CHECK_EQ(hoop_ring_enable(ring), 0);

	uint64_t t0 = now_ns();
	CHECK_EQ(hoop_ring_submit_and_wait_reg(ring, NULL, 1, 0), -ETIME);
	CHECK(now_ns() - t0 >= 45000000ull);
	w[0].ts.tv_nsec = 20000000; /* read again at the next wait */
	t0 = now_ns();
	CHECK_EQ(hoop_ring_submit_and_wait_reg(ring, NULL, 1, 0), -ETIME);
	uint64_t took = now_ns() - t0;
	CHECK(took >= 18000000ull && took < 45000000ull * 20);
	/* An entry the program never wrote: no timeout flag, so a NOP. */
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 7);
	struct hoop_cqe *c = NULL;
	CHECK_EQ(hoop_ring_submit_and_wait_reg(ring, &c, 1, 1), 1);
	CHECK(c != NULL && c->user_data == 7);
	hoop_ring_cqe_seen(ring, c);

	/* Refusals. */
	void *out = (void *)1;
	struct hoop_region_desc bad = rd;
	bad.mmap_offset = 0;
	CHECK_EQ(hoop_ring_map_region(ring, &bad, &out), -EINVAL);
	CHECK(out == NULL);
	bad = rd;
	bad.flags = HOOP_MEM_REGION_TYPE_USER;
	CHECK_EQ(hoop_ring_map_region(ring, &bad, &out), -EINVAL);
	bad = rd;
	bad.size = 0;
	CHECK_EQ(hoop_ring_map_region(ring, &bad, &out), -EINVAL);
	CHECK_EQ(hoop_ring_map_region(NULL, &rd, &out), -EINVAL);
	CHECK_EQ(hoop_ring_map_region(ring, NULL, &out), -EINVAL);
	CHECK_EQ(hoop_ring_map_region(ring, &rd, NULL), -EINVAL);
	CHECK_EQ(hoop_region_unmap(NULL, pg), -EINVAL);
	CHECK_EQ(hoop_region_unmap(w, 0), -EINVAL);

	/* The mapping keeps the pages after the ring is gone. */
	hoop_ring_destroy(ring);
	w[3].min_wait_usec = 5;
	CHECK_EQ(w[0].ts.tv_nsec, 20000000);
	CHECK_EQ(hoop_region_unmap(w, rd.size), 0);

	/* A ring with no region: the offset leads nowhere, and mmap(2) says
	 * so with the kernel's -ENOMEM. */
	ring = t_ring(8, 0);
	CHECK_EQ(hoop_ring_map_region(ring, &rd, &out), -ENOMEM);
	CHECK(out == NULL);
	/* The kernel's checks: user_addr without TYPE_USER, part pages. */
	struct hoop_region_desc ud;
	memset(&ud, 0, sizeof(ud));
	ud.size = pg;
	ud.user_addr = (uint64_t)(uintptr_t)&ud;
	struct hoop_mem_region_reg mr;
	memset(&mr, 0, sizeof(mr));
	mr.region_uptr = (uint64_t)(uintptr_t)&ud;
	CHECK_EQ(hoop_ring_register_region(ring, &mr), -EFAULT);
	CHECK_EQ(reg_kernel(ring, &rd, pg / 2, 0), -EINVAL);
	/* A plain kernel region on an enabled ring maps and holds what the
	 * program writes there. */
	CHECK_EQ(reg_kernel(ring, &rd, pg, 0), 0);
	char *m = NULL;
	CHECK_EQ(hoop_ring_map_region(ring, &rd, (void **)&m), 0);
	memset(m, 0x5a, pg);
	char *m2 = NULL;
	CHECK_EQ(hoop_ring_map_region(ring, &rd, (void **)&m2), 0);
	CHECK(m2 != m);
	CHECK_EQ(m2[pg - 1], 0x5a); /* one set of pages, mapped twice */
	CHECK_EQ(hoop_region_unmap(m2, rd.size), 0);
	CHECK_EQ(hoop_region_unmap(m, rd.size), 0);
	hoop_ring_destroy(ring);

	/* Without the ring fd, nothing to map from. */
	ring = t_ring(8, 0);
	CHECK_EQ(reg_kernel(ring, &rd, pg, 0), 0);
	if (hoop_ring_register_ring_fd(ring) == 1 &&
	    hoop_ring_close_ring_fd(ring) == 0)
		CHECK_EQ(hoop_ring_map_region(ring, &rd, &out), -EBADF);
	else
		printf("close_ring_fd not available here: -EBADF not tested\n");
	hoop_ring_destroy(ring);

	struct hoop_probe pr;
	memset(&pr, 0, sizeof(pr));
	pr.size = sizeof(pr);
	CHECK_EQ(hoop_probe_run(&pr), 0);
	CHECK(pr.ring_extras & HOOP_PROBE_X_MEM_REGION_KERNEL);
	return T_PASS;
}
