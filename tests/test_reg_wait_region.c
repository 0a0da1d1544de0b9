/*
 * Registered wait regions (IORING_REGISTER_MEM_REGION with
 * REG_WAIT_ARG, the kernel's CQWAIT_REG; liburing's io_uring_register_region
 * and io_uring_submit_and_wait_reg): a ring created disabled gets a
 * one-page region of struct hoop_reg_wait entries, then is enabled.
 *  - entry 0 (50 ms timeout), nothing to wait for: -ETIME after >= 45 ms;
 *  - entry 1 (5 s timeout) with a NOP submitted: returns 1 at once with
 *    the NOP's CQE;
 *  - the entry is read at each wait: entry 0 changed in place to 20 ms;
 *  - an index past the region: -EFAULT; a negative one: -EINVAL;
 *  - a second region: -EBUSY; a wait region on an enabled ring: -EINVAL;
 *  - a plain region (no WAIT_ARG) on an enabled ring is accepted.
 * Kernels before 6.13 refuse the registration (-EINVAL): checked, and the
 * test says so.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void *page(size_t *sz)
{
	*sz = (size_t)sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, *sz, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	return p;
}

static int reg_region(hoop_ring *ring, void *mem, size_t sz, uint64_t flags)
{
	struct hoop_region_desc rd;
	t_user_region(&rd, mem, sz);
	struct hoop_mem_region_reg mr;
	memset(&mr, 0, sizeof(mr));
	mr.region_uptr = (uint64_t)(uintptr_t)&rd;
	mr.flags = flags;
	return hoop_ring_register_region(ring, &mr);
}

int main(void)
{
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = HOOP_SETUP_R_DISABLED;
	hoop_ring *ring = NULL;
	int r = hoop_ring_create(&ring, 8, &p);
	if (r == -ENOSYS || r == -EPERM)
		SKIP("io_uring unavailable: %s", hoop_strerror(r));
	CHECK_EQ(r, 0);
	size_t sz;
	struct hoop_reg_wait *w = page(&sz);
	unsigned nent = (unsigned)(sz / sizeof(*w));
	w[0].ts.tv_nsec = 50000000;
	w[0].flags = HOOP_REG_WAIT_TS;
	w[1].ts.tv_sec = 5;
	w[1].flags = HOOP_REG_WAIT_TS;
	r = reg_region(ring, w, sz, HOOP_MEM_REGION_REG_WAIT_ARG);
	if (r == -EINVAL)
		SKIP("no memory regions / wait regions in this kernel (6.13+): "
		     "a clean -EINVAL");
	CHECK_EQ(r, 0);
	CHECK_EQ(reg_region(ring, w, sz, HOOP_MEM_REGION_REG_WAIT_ARG), -EBUSY);
	CHECK_EQ(hoop_ring_enable(ring), 0);

	struct hoop_cqe *c = (struct hoop_cqe *)1;
	uint64_t t0 = now_ns();
	CHECK_EQ(hoop_ring_submit_and_wait_reg(ring, &c, 1, 0), -ETIME);
	uint64_t took = now_ns() - t0;
	CHECK(took >= 45000000ull);
	CHECK(c == NULL);

	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 31);
	t0 = now_ns();
	CHECK_EQ(hoop_ring_submit_and_wait_reg(ring, &c, 1, 1), 1);
	CHECK(now_ns() - t0 < 2000000000ull);
	CHECK(c != NULL);
	CHECK_EQ(c->user_data, 31);
	hoop_ring_cqe_seen(ring, c);

	/* Changed in place: read at the next wait. */
	w[0].ts.tv_nsec = 20000000;
	t0 = now_ns();
	CHECK_EQ(hoop_ring_submit_and_wait_reg(ring, NULL, 1, 0), -ETIME);
	took = now_ns() - t0;
	CHECK(took >= 18000000ull && took < 45000000ull * 20);

	CHECK_EQ(hoop_ring_submit_and_wait_reg(ring, NULL, 1, (int)nent), -EFAULT);
	CHECK_EQ(hoop_ring_submit_and_wait_reg(ring, NULL, 1, -1), -EINVAL);
	hoop_ring_destroy(ring);

	/* Enabled rings: no wait region, but a plain one. */
	ring = t_ring(8, 0);
	size_t sz2;
	void *m2 = page(&sz2);
	CHECK_EQ(reg_region(ring, m2, sz2, HOOP_MEM_REGION_REG_WAIT_ARG), -EINVAL);
	CHECK_EQ(reg_region(ring, m2, sz2, 0), 0);
	CHECK_EQ(reg_region(ring, m2, sz2, 0), -EBUSY);
	CHECK_EQ(hoop_ring_register_region(ring, NULL), -EINVAL);
	hoop_ring_destroy(ring);
	munmap(w, sz);
	munmap(m2, sz2);
	return T_PASS;
}
