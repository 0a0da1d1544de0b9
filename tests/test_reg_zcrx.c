/*
 * hoop_ring_register_ifq (zero-copy receive, liburing's
 * io_uring_register_ifq) where the device cannot do it: on loopback,
 * with a ring set up as zcrx needs (DEFER_TASKRUN, SINGLE_ISSUER, CQE32),
 * a page-aligned area and a user-memory region for the refill queue, the
 * kernel refuses cleanly: -EOPNOTSUPP (loopback has no queue management),
 * -EPERM (no CAP_NET_ADMIN) or -EINVAL (a kernel without zcrx); the area's
 * token and the ring stay as they were, and the ring still works. A ring
 * without DEFER_TASKRUN is refused (-EINVAL) and so is a NULL reg. The
 * same with the refill queue in kernel memory (flags 0, sized by
 * hoop_zcrx_rq_size): refused, nothing to map. A RECV_ZC
 * (hoop_prep_recv_zc) naming a zcrx id never registered completes with
 * -EINVAL (printed; a kernel without the opcode says so). This
 * machine has no NIC that does zcrx, so success is not tested; the test
 * prints the kernel's answer.
 */
#include "helpers.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define AREA (16 * 4096)

/* rd: the refill queue's region, caller or kernel memory. */
static int attach(hoop_ring *ring, void *area, struct hoop_region_desc *rd,
                  struct hoop_zcrx_area_reg *ar)
{
	memset(ar, 0, sizeof(*ar));
	ar->addr = (uint64_t)(uintptr_t)area;
	ar->len = AREA;
	struct hoop_zcrx_ifq_reg reg;
	memset(&reg, 0, sizeof(reg));
	reg.if_idx = if_nametoindex("lo");
	reg.if_rxq = 0;
	reg.rq_entries = 64;
	reg.area_ptr = (uint64_t)(uintptr_t)ar;
	reg.region_ptr = (uint64_t)(uintptr_t)rd;
	CHECK(reg.if_idx > 0);
	return hoop_ring_register_ifq(ring, &reg);
}

static void recv_zc_unregistered(hoop_ring *ring)
{
	int c, s;
	CHECK_EQ(t_tcp_pair(&c, &s), 0);
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_recv_zc(sqe, s, 0, HOOP_RECV_MULTISHOT, 0);
	hoop_sqe_set_data(sqe, 58);
	struct hoop_cqe cqe = t_submit_wait_one(ring);
	CHECK_EQ(cqe.user_data, 58);
	if (hoop_opcode_supported(HOOP_OP_RECV_ZC) == 1) {
		printf("RECV_ZC with no zcrx registered: %s (%d)\n",
		       hoop_strerror(cqe.res), cqe.res);
		CHECK_EQ(cqe.res, -EINVAL);
	} else {
		printf("this kernel lacks RECV_ZC (6.15+): %s (%d)\n",
		       hoop_strerror(cqe.res), cqe.res);
		CHECK(cqe.res == -EINVAL || cqe.res == -EOPNOTSUPP);
	}
	close(c);
	close(s);
}

static void ifq_kernel_region(hoop_ring *ring, void *area)
{
	struct hoop_zcrx_area_reg ar;
	struct hoop_region_desc rd;
	memset(&rd, 0, sizeof(rd));
	rd.size = hoop_zcrx_rq_size(64); /* kernel memory: flags 0 */
	int r = attach(ring, area, &rd, &ar);
	printf("zcrx ifq on loopback, refill queue in kernel memory: %s (%d)\n",
	       hoop_strerror(r), r);
	CHECK(r == -EOPNOTSUPP || r == -EPERM || r == -EINVAL);
	CHECK_EQ(ar.rq_area_token, 0);
	/* Nothing was registered: nothing to map. */
	void *out = (void *)1;
	CHECK_EQ(hoop_ring_map_region(ring, &rd, &out), -EINVAL);
	CHECK(out == NULL);
}

int main(void)
{
	void *area = mmap(NULL, AREA, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *rq = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE,
	                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(area != MAP_FAILED && rq != MAP_FAILED);
	struct hoop_zcrx_area_reg ar;
	struct hoop_region_desc rd;
	t_user_region(&rd, rq, 4 * 4096);

	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = HOOP_SETUP_DEFER_TASKRUN | HOOP_SETUP_SINGLE_ISSUER |
	          HOOP_SETUP_CQE32;
	hoop_ring *ring = NULL;
	int r = hoop_ring_create(&ring, 8, &p);
	if (r == -ENOSYS || r == -EPERM)
		SKIP("io_uring unavailable: %s", hoop_strerror(r));
	if (r == -EINVAL)
		SKIP("no DEFER_TASKRUN here (6.1+), which zcrx needs");
	CHECK_EQ(r, 0);
	r = attach(ring, area, &rd, &ar);
	printf("zcrx on loopback: %s (%d)\n", hoop_strerror(r), r);
	CHECK(r == -EOPNOTSUPP || r == -EPERM || r == -EINVAL);
	CHECK_EQ(ar.rq_area_token, 0);
	recv_zc_unregistered(ring);
	ifq_kernel_region(ring, area);
	/* The ring still works. */
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, 3);
	CHECK_EQ(t_submit_wait_one(ring).user_data, 3);
	CHECK_EQ(hoop_ring_register_ifq(ring, NULL), -EINVAL);
	hoop_ring_destroy(ring);

	/* Without DEFER_TASKRUN: refused whatever the device. */
	ring = t_ring(8, HOOP_SETUP_CQE32);
	r = attach(ring, area, &rd, &ar);
	CHECK(r == -EINVAL || r == -EPERM);
	hoop_ring_destroy(ring);
	munmap(area, AREA);
	munmap(rq, 4 * 4096);
	return T_PASS;
}
