/*
 * The opcode probe: basic opcodes are supported, an opcode beyond the
 * kernel's last is not, the cached process-wide answer agrees with a ring's
 * own probe, hoop_probe_run's two masks (opcodes and opcodes_hi, read
 * through hoop_probe_has_opcode) agree with the kernel's table, and the
 * opcode name table (65 names, NOP128 and URING_CMD128 the last) round-
 * trips under the new names and the old ones.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>

int main(void)
{
	hoop_ring *ring = t_ring(4, 0);
	uint8_t sup[256];
	memset(sup, 0xee, sizeof(sup));
	int n = hoop_ring_probe_ops(ring, sup, 256);
	CHECK(n > HOOP_OP_WRITE); /* every 5.6+ kernel knows read and write */
	CHECK(n <= 256);
	CHECK_EQ(sup[HOOP_OP_NOP], 1);
	CHECK_EQ(sup[HOOP_OP_READ], 1);
	CHECK_EQ(sup[HOOP_OP_WRITE], 1);
	CHECK_EQ(sup[HOOP_OP_READV], 1);
	for (int op = 0; op < 256; op++) {
		CHECK(sup[op] == 0 || sup[op] == 1);
		if (op >= n)
			CHECK_EQ(sup[op], 0);
	}
	/* A short array gets only its entries written. */
	uint8_t two[3] = {9, 9, 9};
	CHECK_EQ(hoop_ring_probe_ops(ring, two, 2), n);
	CHECK_EQ(two[0], 1);
	CHECK_EQ(two[1], 1);
	CHECK_EQ(two[2], 9);
	CHECK_EQ(hoop_ring_probe_ops(ring, NULL, 0), n);
	CHECK_EQ(hoop_ring_probe_ops(ring, NULL, 4), -EFAULT);

	/* The convenience probe agrees with the ring's, on every opcode. */
	for (unsigned op = 0; op < 256; op++)
		CHECK_EQ(hoop_opcode_supported(op), sup[op]);
	CHECK_EQ(hoop_opcode_supported((unsigned)n), 0);
	CHECK_EQ(hoop_opcode_supported(256), 0);
	CHECK_EQ(hoop_opcode_supported(~0u), 0);

	/* Names: all 65 are set, distinct and map back to their opcode. The
	 * names before 0.2 (hoop_op_name, hoop_op_from_name) answer the same. */
	CHECK(strcmp(hoop_opcode_name(HOOP_OP_NOP), "nop") == 0);
	CHECK(strcmp(hoop_opcode_name(HOOP_OP_READV), "readv") == 0);
	CHECK(strcmp(hoop_opcode_name(HOOP_OP_READ_FIXED), "read_fixed") == 0);
	CHECK(strcmp(hoop_opcode_name(HOOP_OP_SEND_ZC), "send_zc") == 0);
	CHECK(strcmp(hoop_opcode_name(HOOP_OP_PIPE), "pipe") == 0);
	CHECK(strcmp(hoop_opcode_name(HOOP_OP_NOP128), "nop128") == 0);
	CHECK(strcmp(hoop_opcode_name(HOOP_OP_URING_CMD128), "uring_cmd128") == 0);
	CHECK_EQ(HOOP_OP_NOP128, 63);
	CHECK_EQ(HOOP_OP_URING_CMD128, 64);
	CHECK_EQ(HOOP_OP_LAST, 65);
	for (unsigned op = 0; op < HOOP_OP_LAST; op++) {
		const char *name = hoop_opcode_name(op);
		CHECK(name != NULL);
		CHECK(name[0] != '\0');
		CHECK(hoop_op_name(op) == name);
		CHECK_EQ(hoop_opcode_from_name(name), op);
		CHECK_EQ(hoop_op_from_name(name), op);
	}
	CHECK(hoop_opcode_name(HOOP_OP_LAST) == NULL);
	CHECK(hoop_op_name(HOOP_OP_LAST) == NULL);
	CHECK(hoop_opcode_name(255) == NULL);
	CHECK(hoop_opcode_name(~0u) == NULL);
	CHECK_EQ(hoop_opcode_from_name("READ_FIXED"), HOOP_OP_READ_FIXED);
	CHECK_EQ(hoop_opcode_from_name("URING_CMD128"), HOOP_OP_URING_CMD128);

	/* The probe's two masks (opcodes 0-63, opcodes_hi 64-127) agree with
	 * the kernel's table on every opcode, 64 and up included. */
	struct hoop_probe pr;
	memset(&pr, 0, sizeof(pr));
	pr.size = sizeof(pr);
	CHECK_EQ(hoop_probe_run(&pr), 0);
	CHECK_EQ(pr.size, sizeof(pr));
	CHECK_EQ(pr.kernel_ops, (uint32_t)n);
	unsigned count = 0;
	for (unsigned op = 0; op < 128; op++) {
		CHECK_EQ(hoop_probe_has_opcode(&pr, op), sup[op]);
		count += sup[op];
	}
	CHECK_EQ(pr.opcode_count, count);
	CHECK_EQ(hoop_probe_has_opcode(&pr, 128), 0);
	CHECK_EQ(hoop_probe_has_opcode(NULL, 0), 0);
	/* opcodes_hi is read only when the caller's size covers it. */
	struct hoop_probe fake;
	memset(&fake, 0, sizeof(fake));
	fake.size = sizeof(fake);
	fake.opcodes = 1ull << 63;
	fake.opcodes_hi = 1ull | (1ull << 63);
	CHECK_EQ(hoop_probe_has_opcode(&fake, 63), 1);
	CHECK_EQ(hoop_probe_has_opcode(&fake, 64), 1);
	CHECK_EQ(hoop_probe_has_opcode(&fake, 65), 0);
	CHECK_EQ(hoop_probe_has_opcode(&fake, 127), 1);
	fake.size = HOOP_PROBE_SIZE_V1 + 8; /* up to ring_extras */
	CHECK_EQ(hoop_probe_has_opcode(&fake, 64), 0);
	CHECK_EQ(hoop_probe_has_opcode(&fake, 63), 1);
	printf("probe: opcodes %#llx, opcodes_hi %#llx\n",
	       (unsigned long long)pr.opcodes, (unsigned long long)pr.opcodes_hi);

	/* Feature and setup-flag names: one per known bit, none otherwise. */
	CHECK(strcmp(hoop_feature_name(HOOP_FEAT_SINGLE_MMAP), "single_mmap") == 0);
	CHECK(strcmp(hoop_feature_name(HOOP_FEAT_NODROP), "nodrop") == 0);
	CHECK(strcmp(hoop_feature_name(HOOP_FEAT_NO_IOWAIT), "no_iowait") == 0);
	CHECK(strcmp(hoop_setup_flag_name(HOOP_SETUP_IOPOLL), "iopoll") == 0);
	CHECK(strcmp(hoop_setup_flag_name(HOOP_SETUP_SINGLE_ISSUER),
	             "single_issuer") == 0);
	CHECK(strcmp(hoop_setup_flag_name(HOOP_SETUP_CQE_MIXED), "cqe_mixed") == 0);
	CHECK(strcmp(hoop_setup_flag_name(HOOP_SETUP_SQE_MIXED), "sqe_mixed") == 0);
	unsigned nfeat = 0, nsetup = 0;
	for (unsigned i = 0; i < 32; i++) {
		nfeat += hoop_feature_name(1u << i) != NULL;
		nsetup += hoop_setup_flag_name(1u << i) != NULL;
	}
	CHECK_EQ(nfeat, 18);
	CHECK_EQ(nsetup, 20);
	CHECK(hoop_feature_name(0) == NULL);
	CHECK(hoop_feature_name(HOOP_FEAT_NODROP | HOOP_FEAT_EXT_ARG) == NULL);
	CHECK(hoop_feature_name(1u << 31) == NULL);
	CHECK(hoop_setup_flag_name(0) == NULL);
	CHECK(hoop_setup_flag_name(3) == NULL);
	CHECK(hoop_setup_flag_name(1u << 20) == NULL);
	CHECK_EQ(hoop_opcode_from_name("no_such_op"), -ENOENT);
	CHECK_EQ(hoop_opcode_from_name(""), -ENOENT);
	CHECK_EQ(hoop_opcode_from_name(NULL), -EINVAL);
	CHECK_EQ(hoop_op_from_name(NULL), -EINVAL);

	/* What this kernel knows, for the log. */
	printf("kernel knows %d opcodes; unsupported below that:", n);
	for (int op = 0; op < n; op++)
		if (!sup[op])
			printf(" %s", op < HOOP_OP_LAST
			                      ? hoop_opcode_name((unsigned)op)
			                      : "?");
	printf("\n");

	hoop_ring_destroy(ring);
	return T_PASS;
}
