/*
 * demo - read a file through io_uring with hoop, then show what this kernel
 * offers.
 *
 *     demo [file]        (default /etc/os-release)
 *
 * The file is read in 4 KiB reads, one submission and one completion at a
 * time, and copied to stdout. Then the demo prints the ring's sizes and setup
 * flags, the features the kernel reported, and which opcodes it supports.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <hoop.h>

#define CHUNK 4096

/* Read the whole file through the ring and copy it to stdout. */
static int cat_file(hoop_ring *ring, int fd)
{
	static char buf[CHUNK];
	uint64_t off = 0;

	for (;;) {
		struct hoop_sqe *sqe = hoop_ring_get_sqe(ring);
		struct hoop_cqe *cqe;
		int ret, res;

		if (!sqe)
			return -EBUSY;
		hoop_prep_read(sqe, fd, buf, sizeof(buf), off);
		ret = hoop_ring_submit_and_wait(ring, 1);
		if (ret < 0)
			return ret;
		ret = hoop_ring_wait_cqe(ring, &cqe);
		if (ret < 0)
			return ret;
		res = cqe->res;
		hoop_ring_cqe_seen(ring, cqe);
		if (res < 0)
			return res;
		if (res == 0)
			return 0;
		if (fwrite(buf, 1, (size_t)res, stdout) != (size_t)res)
			return -EIO;
		off += (uint64_t)res;
	}
}

static void print_kernel_support(hoop_ring *ring)
{
	uint32_t feat = hoop_ring_features(ring);
	uint32_t unnamed = 0;
	uint8_t supported[256];
	int nops, count = 0;

	printf("\n--- io_uring on this kernel ---\n");
	printf("ring: %u SQ entries, %u CQ entries, setup flags 0x%x\n",
	       hoop_ring_sq_entries(ring), hoop_ring_cq_entries(ring),
	       (unsigned)hoop_ring_setup_flags(ring));
	printf("features:");
	for (unsigned i = 0; i < 32; i++) {
		uint32_t bit = UINT32_C(1) << i;
		if ((feat & bit) && hoop_feature_name(bit))
			printf(" %s", hoop_feature_name(bit));
		else if (feat & bit)
			unnamed |= bit;
	}
	if (unnamed)
		printf(" (and unnamed bits 0x%x)", (unsigned)unnamed);
	printf("\n");

	nops = hoop_ring_probe_ops(ring, supported, sizeof(supported));
	if (nops < 0) {
		printf("opcodes: probe failed: %s\n", hoop_strerror(nops));
		return;
	}
	printf("opcodes (kernel knows %d):", nops);
	for (unsigned op = 0; op < (unsigned)nops && op < sizeof(supported); op++) {
		const char *name = hoop_opcode_name(op);

		if (!supported[op])
			continue;
		count++;
		if (name)
			printf(" %s", name);
		else
			printf(" op%u", op);
	}
	printf("\n%d supported", count);
	if (count < nops) {
		printf("; not supported:");
		for (unsigned op = 0;
		     op < (unsigned)nops && op < sizeof(supported); op++)
			if (!supported[op])
				printf(" %s", hoop_opcode_name(op)
				                      ? hoop_opcode_name(op)
				                      : "?");
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/etc/os-release";
	hoop_ring *ring;
	int fd, ret;

	printf("hoop %s\n", hoop_version_string());
	ret = hoop_ring_create(&ring, 8, NULL);
	if (ret < 0) {
		fprintf(stderr, "demo: cannot set up io_uring: %s\n",
		        hoop_strerror(ret));
		return 1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "demo: %s: %s\n", path, strerror(errno));
		hoop_ring_destroy(ring);
		return 1;
	}
	printf("--- %s, read through io_uring in %d-byte reads ---\n", path, CHUNK);
	fflush(stdout);
	ret = cat_file(ring, fd);
	close(fd);
	if (ret < 0) {
		fprintf(stderr, "demo: reading %s: %s\n", path, hoop_strerror(ret));
		hoop_ring_destroy(ring);
		return 1;
	}
	print_kernel_support(ring);
	hoop_ring_destroy(ring);
	return 0;
}
