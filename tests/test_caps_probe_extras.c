/*
 * hoop_probe_run's ring_extras (hoop 0.2) says which liburing-parity calls
 * this kernel takes, and each bit agrees with the call itself made here on
 * fresh rings: sync MSG_RING, buffer cloning (whole table, with offsets),
 * memory regions, wait regions, the getsockname socket command, eventfd
 * toggling, regions of kernel memory mapped with hoop_ring_map_region. A
 * caller of the 0.1 size (HOOP_PROBE_SIZE_V1) gets no ring_extras
 * written; one of the size before opcodes_hi gets ring_extras only. Prints the table (what this kernel has).
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static hoop_ring *ring(uint32_t flags)
{
	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = flags;
	hoop_ring *r = NULL;
	CHECK_EQ(hoop_ring_create(&r, 4, &p), 0);
	return r;
}

static int region(hoop_ring *r, void *mem, uint64_t flags)
{
	struct hoop_region_desc rd;
	t_user_region(&rd, mem, 4096);
	struct hoop_mem_region_reg mr;
	memset(&mr, 0, sizeof(mr));
	mr.region_uptr = (uint64_t)(uintptr_t)&rd;
	mr.flags = flags;
	return hoop_ring_register_region(r, &mr) == 0;
}

static void row(const char *name, uint64_t bits, uint64_t bit, int works)
{
	printf("  %-28s probe %d, call %d\n", name, (bits & bit) != 0, works);
	CHECK_EQ((bits & bit) != 0, works);
}

int main(void)
{
	struct hoop_probe p;
	memset(&p, 0, sizeof(p));
	p.size = sizeof(p);
	CHECK_EQ(hoop_probe_run(&p), 0);
	if (!p.usable)
		SKIP("io_uring unusable here: %s", p.reason);
	CHECK_EQ(p.size, sizeof(p));

	/* The 0.1 size: the new field is not written. */
	struct {
		struct hoop_probe p;
	} old;
	memset(&old, 0x5a, sizeof(old));
	old.p.size = HOOP_PROBE_SIZE_V1;
	CHECK_EQ(hoop_probe_run(&old.p), 0);
	CHECK_EQ(old.p.ring_extras, 0x5a5a5a5a5a5a5a5aull);
	/* The size with ring_extras but before opcodes_hi: that one is not. */
	memset(&old, 0x5a, sizeof(old));
	old.p.size = HOOP_PROBE_SIZE_V1 + 8;
	CHECK_EQ(hoop_probe_run(&old.p), 0);
	CHECK_EQ(old.p.size, HOOP_PROBE_SIZE_V1 + 8);
	CHECK_EQ(old.p.ring_extras, p.ring_extras);
	CHECK_EQ(old.p.opcodes_hi, 0x5a5a5a5a5a5a5a5aull);

	uint64_t x = p.ring_extras;
	printf("ring_extras %#llx on %s:\n", (unsigned long long)x,
	       p.kernel_release);
	void *mem = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
	                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(mem != MAP_FAILED);
	hoop_ring *a = ring(0), *b = ring(0), *d = ring(0), *e = ring(0);

	struct hoop_sqe msg;
	hoop_prep_msg_ring(&msg, hoop_ring_fd(a), 0, 1, 0);
	row("sync MSG_RING", x, HOOP_PROBE_X_SYNC_MSG,
	    hoop_register_sync_msg(&msg) == 0);
	struct iovec iov = {mem, 4096};
	CHECK_EQ(hoop_ring_register_buffers(a, &iov, 1), 0);
	row("clone buffers", x, HOOP_PROBE_X_CLONE_BUFFERS,
	    hoop_ring_clone_buffers(b, a) == 0);
	row("clone buffers with offsets", x, HOOP_PROBE_X_CLONE_OFFSETS,
	    hoop_ring_clone_buffers_offset(d, a, 1, 0, 1, 0) == 0);
	row("memory region", x, HOOP_PROBE_X_MEM_REGION,
	    region(e, (char *)mem + 4096, 0));
	hoop_ring *w = ring(HOOP_SETUP_R_DISABLED);
	row("wait region", x, HOOP_PROBE_X_WAIT_REGION,
	    region(w, (char *)mem + 4096, HOOP_MEM_REGION_REG_WAIT_ARG));
	hoop_ring_destroy(w);

	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(s >= 0);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct hoop_sqe *sqe = t_sqe(e);
	hoop_prep_cmd_getsockname(sqe, s, (struct sockaddr *)&ss, &len, 0);
	struct hoop_cqe c = t_submit_wait_one(e);
	CHECK(c.res == 0 || c.res == -EOPNOTSUPP);
	row("getsockname command", x, HOOP_PROBE_X_CMD_GETSOCKNAME, c.res == 0);
	close(s);
	row("eventfd toggle", x, HOOP_PROBE_X_CQ_EVENTFD_TOGGLE,
	    hoop_ring_cq_eventfd_toggle(e, 1) == 0);
	hoop_ring *k = ring(0);
	struct hoop_region_desc rd;
	memset(&rd, 0, sizeof(rd)); /* kernel memory: flags 0, no user_addr */
	rd.size = 4096;
	struct hoop_mem_region_reg mr;
	memset(&mr, 0, sizeof(mr));
	mr.region_uptr = (uint64_t)(uintptr_t)&rd;
	void *kmem = NULL;
	int kr = hoop_ring_register_region(k, &mr) == 0 &&
	         hoop_ring_map_region(k, &rd, &kmem) == 0;
	row("kernel-memory region", x, HOOP_PROBE_X_MEM_REGION_KERNEL, kr);
	if (kmem)
		CHECK_EQ(hoop_region_unmap(kmem, rd.size), 0);
	hoop_ring_destroy(k);

	hoop_ring_destroy(a);
	hoop_ring_destroy(b);
	hoop_ring_destroy(d);
	hoop_ring_destroy(e);
	munmap(mem, 2 * 4096);
	return T_PASS;
}
