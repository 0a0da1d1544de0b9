/*
 * HOOP_SETUP_SQE_MIXED: 128-byte SQEs beside 64-byte ones in one SQ (6.19+).
 * Everywhere: the flag's name, hoop_prep_nop128/uring_cmd128 fill all 128
 * bytes, hoop_ring_get_sqe128 refuses (NULL, SQ untouched) on a ring
 * without SQE128 or SQE_MIXED. Where the kernel lacks SQE_MIXED (6.18 and
 * older), the test checks the refusal: hoop_ring_create returns -EINVAL and
 * the probe does not report the flag. Where it has it: on an 8-slot SQ, for
 * every start position, a 64-byte NOP, a NOP128 and another 64-byte NOP
 * round-trip in order; a NOP128 that would start in the last slot is put
 * after a padding NOP that posts no CQE, so it never wraps.
 */
#include "helpers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void check_prep(void)
{
	struct hoop_sqe s[2];
	memset(s, 0xff, sizeof(s));
	hoop_prep_nop128(s);
	CHECK_EQ(s[0].opcode, HOOP_OP_NOP128);
	CHECK_EQ(s[0].opcode, 63);
	CHECK_EQ(s[0].fd, -1);
	CHECK_EQ(s[0].flags, 0);
	CHECK_EQ(s[0].user_data, 0);
	const unsigned char *b = (const unsigned char *)(const void *)&s[1];
	for (size_t i = 0; i < sizeof(s[1]); i++)
		CHECK_EQ(b[i], 0);

	memset(s, 0xff, sizeof(s));
	hoop_prep_uring_cmd128(s, 0x1234, 7);
	CHECK_EQ(s[0].opcode, HOOP_OP_URING_CMD128);
	CHECK_EQ(s[0].opcode, 64);
	CHECK_EQ(s[0].fd, 7);
	CHECK_EQ(s[0].off, 0x1234);
	CHECK_EQ(s[0].addr, 0);
	CHECK_EQ(s[0].len, 0);
	for (size_t i = 0; i < sizeof(s[1]); i++)
		CHECK_EQ(b[i], 0);
}

static void nop(hoop_ring *ring, uint64_t ud, int big)
{
	struct hoop_sqe *sqe = big ? hoop_ring_get_sqe128(ring) : t_sqe(ring);
	CHECK(sqe != NULL);
	if (big)
		hoop_prep_nop128(sqe);
	else
		hoop_prep_nop(sqe);
	hoop_sqe_set_data(sqe, ud);
}

static void expect(hoop_ring *ring, uint64_t ud)
{
	struct hoop_cqe *c;
	CHECK_EQ(hoop_ring_peek_cqe(ring, &c), 0);
	CHECK_EQ(c->user_data, ud);
	CHECK_EQ(c->res, 0);
	hoop_ring_cqe_seen(ring, c);
}

int main(void)
{
	CHECK(strcmp(hoop_setup_flag_name(HOOP_SETUP_SQE_MIXED), "sqe_mixed") == 0);
	check_prep();

	/* A plain ring has no room for a 128-byte SQE. */
	hoop_ring *plain = t_ring(8, 0);
	CHECK(hoop_ring_get_sqe128(plain) == NULL);
	nop(plain, 1, 0);
	CHECK_EQ(hoop_ring_submit_and_wait(plain, 1), 1);
	expect(plain, 1);
	CHECK_EQ(hoop_ring_cq_ready(plain), 0);
	hoop_ring_destroy(plain);

	struct hoop_probe pr = {.size = sizeof(pr)};
	CHECK_EQ(hoop_probe_run(&pr), 0);

	hoop_ring_params p;
	memset(&p, 0, sizeof(p));
	p.flags = HOOP_SETUP_SQE_MIXED;
	hoop_ring *ring = NULL;
	int r = hoop_ring_create(&ring, 8, &p);
	if (r == -ENOSYS || r == -EPERM)
		SKIP("io_uring unavailable here: %s", hoop_strerror(r));
	if (r == -EINVAL) {
		printf("this kernel (%s) lacks HOOP_SETUP_SQE_MIXED (6.19+): "
		       "checking its refusal, a clean -EINVAL, and that the "
		       "probe does not report the flag\n",
		       pr.kernel_release);
		CHECK_EQ(r, -EINVAL);
		CHECK(ring == NULL);
		CHECK_EQ(pr.setup_flags & HOOP_SETUP_SQE_MIXED, 0);
		printf("setup_sqe_mixed: passed (refusal checked)\n");
		return 0;
	}
	CHECK_EQ(r, 0);
	CHECK(pr.setup_flags & HOOP_SETUP_SQE_MIXED);
	CHECK_EQ(hoop_ring_sq_entries(ring), 8);
	for (unsigned start = 0; start < 8; start++) {
		/* Small NOPs move the SQ tail to slot `start`. */
		for (unsigned i = 0; i < start; i++)
			nop(ring, 50, 0);
		if (start) {
			CHECK_EQ(hoop_ring_submit_and_wait(ring, start),
			         (int)start);
			for (unsigned i = 0; i < start; i++)
				expect(ring, 50);
		}
		uint64_t a = 100 + start, big = 200 + start, c = 300 + start;
		nop(ring, a, 0);
		nop(ring, big, 1);
		nop(ring, c, 0);
		CHECK(hoop_ring_submit_and_wait(ring, 3) >= 3);
		expect(ring, a);
		expect(ring, big);
		expect(ring, c);
		CHECK_EQ(hoop_ring_cq_ready(ring), 0);
	}
	/* Full: 7 slots used by small NOPs leave no room for two. */
	for (unsigned i = 0; i < 7; i++)
		nop(ring, 60, 0);
	CHECK(hoop_ring_get_sqe128(ring) == NULL);
	CHECK_EQ(hoop_ring_submit_and_wait(ring, 7), 7);
	for (unsigned i = 0; i < 7; i++)
		expect(ring, 60);
	hoop_ring_destroy(ring);
	printf("setup_sqe_mixed: passed (NOP128 round trips across the "
	       "wrap)\n");
	return 0;
}
