/*
 * The opcode probe: basic opcodes are supported, an opcode beyond the
 * kernel's last is not, the cached process-wide answer agrees with a ring's
 * own probe, and the opcode name table round-trips.
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

	/* Names: all 63 are set, distinct and map back to their opcode. */
	CHECK(strcmp(hoop_op_name(HOOP_OP_NOP), "nop") == 0);
	CHECK(strcmp(hoop_op_name(HOOP_OP_READV), "readv") == 0);
	CHECK(strcmp(hoop_op_name(HOOP_OP_READ_FIXED), "read_fixed") == 0);
	CHECK(strcmp(hoop_op_name(HOOP_OP_SEND_ZC), "send_zc") == 0);
	CHECK(strcmp(hoop_op_name(HOOP_OP_PIPE), "pipe") == 0);
	CHECK_EQ(HOOP_OP_LAST, 63);
	for (unsigned op = 0; op < HOOP_OP_LAST; op++) {
		const char *name = hoop_op_name(op);
		CHECK(name != NULL);
		CHECK(name[0] != '\0');
		CHECK_EQ(hoop_op_from_name(name), op);
	}
	CHECK(hoop_op_name(HOOP_OP_LAST) == NULL);
	CHECK(hoop_op_name(255) == NULL);
	CHECK(hoop_op_name(~0u) == NULL);
	CHECK_EQ(hoop_op_from_name("READ_FIXED"), HOOP_OP_READ_FIXED);

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
	CHECK_EQ(hoop_op_from_name("no_such_op"), -ENOENT);
	CHECK_EQ(hoop_op_from_name(""), -ENOENT);
	CHECK_EQ(hoop_op_from_name(NULL), -EINVAL);

	/* What this kernel knows, for the log. */
	printf("kernel knows %d opcodes; unsupported below that:", n);
	for (int op = 0; op < n; op++)
		if (!sup[op])
			printf(" %s", op < HOOP_OP_LAST ? hoop_op_name((unsigned)op)
			                                : "?");
	printf("\n");

	hoop_ring_destroy(ring);
	return T_PASS;
}
