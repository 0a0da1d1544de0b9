/*
 * Zero-copy receive without a device that can do it: the refill-queue
 * helpers and the RECV_ZC prep, checked byte for byte (test reg_zcrx has
 * the kernel's answers on loopback).
 *  - hoop_zcrx_rq_size: a page for head and tail plus 16 bytes an entry
 *    (a power of two), whole pages; 0 for 0 or > 32768 entries;
 *  - hoop_zcrx_rq_init on a region laid out as the kernel reports it
 *    (offsets head 0, tail 64, rqes 128, here written by the test);
 *    hoop_zcrx_rq_get hands out entries in order, wraps with the mask and
 *    gives NULL when the ring is full until the kernel's head moves;
 *    hoop_zcrx_rqe_fill keeps the offset, replaces the area-id bits with
 *    the token and clears pad; the tail the kernel reads moves only at
 *    hoop_zcrx_rq_advance; init on a non-power-of-two size is -EINVAL;
 *  - hoop_zcrx_cqe_off reads the second half of a 32-byte CQE;
 *  - hoop_prep_recv_zc writes opcode 58, fd, len, the flags in ioprio and
 *    the zcrx id in the file_index word, and zeroes the rest;
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static void refill_helpers(void)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	CHECK_EQ(hoop_zcrx_rq_size(0), 0);
	CHECK_EQ(hoop_zcrx_rq_size(32769), 0);
	CHECK_EQ(hoop_zcrx_rq_size(1), 2 * pg);
	CHECK_EQ(hoop_zcrx_rq_size(64), 2 * pg);
	CHECK_EQ(hoop_zcrx_rq_size(300), pg + (512 * 16 + pg - 1) / pg * pg);
	CHECK_EQ(hoop_zcrx_rq_size(32768), pg + 32768 * 16);

	static uint64_t region[(4096 + 4 * 16) / 8];
	memset(region, 0, sizeof(region));
	struct hoop_zcrx_ifq_reg reg;
	memset(&reg, 0, sizeof(reg));
	reg.rq_entries = 4;
	reg.offsets.head = 0;
	reg.offsets.tail = 64;
	reg.offsets.rqes = 128;
	char *base = (char *)region;
	uint32_t *khead = (uint32_t *)(void *)base;
	uint32_t *ktail = (uint32_t *)(void *)(base + 64);
	struct hoop_zcrx_rqe *rqes = (struct hoop_zcrx_rqe *)(void *)(base + 128);
	*khead = 6; /* the kernel has taken 6 entries since registration */
	*ktail = 6;

	struct hoop_zcrx_rq rq;
	CHECK_EQ(hoop_zcrx_rq_init(&rq, region, &reg), 0);
	CHECK(rq.khead == khead && rq.ktail == ktail && rq.rqes == rqes);
	CHECK_EQ(rq.ring_entries, 4);
	CHECK_EQ(rq.rq_tail, 6);
	const uint64_t token = 3ull << HOOP_ZCRX_AREA_SHIFT;
	for (unsigned i = 0; i < 4; i++) {
		struct hoop_zcrx_rqe *e = hoop_zcrx_rq_get(&rq);
		CHECK(e == &rqes[(6 + i) & 3]); /* 2, 3, then wraps to 0, 1 */
		e->pad = 0xdead;
		/* An offset as a CQE gives it: area id 1 in the top bits. */
		hoop_zcrx_rqe_fill(e, token, (1ull << 48) | (i * 4096 + 8),
		                   100 + i);
		CHECK_EQ(e->off, token | (i * 4096 + 8));
		CHECK_EQ(e->len, 100 + i);
		CHECK_EQ(e->pad, 0);
		CHECK_EQ(*ktail, 6); /* not published yet */
	}
	CHECK(hoop_zcrx_rq_get(&rq) == NULL); /* 4 handed out, none taken */
	CHECK_EQ(rq.rq_tail, 10);
	hoop_zcrx_rq_advance(&rq);
	CHECK_EQ(*ktail, 10);
	CHECK(hoop_zcrx_rq_get(&rq) == NULL);
	*khead = 7; /* the kernel took one */
	CHECK(hoop_zcrx_rq_get(&rq) == &rqes[10 & 3]);
	CHECK(hoop_zcrx_rq_get(&rq) == NULL);
	hoop_zcrx_rq_advance(&rq);
	CHECK_EQ(*ktail, 11);

	reg.rq_entries = 6;
	CHECK_EQ(hoop_zcrx_rq_init(&rq, region, &reg), -EINVAL);
	reg.rq_entries = 0;
	CHECK_EQ(hoop_zcrx_rq_init(&rq, region, &reg), -EINVAL);
	reg.rq_entries = 4;
	CHECK_EQ(hoop_zcrx_rq_init(NULL, region, &reg), -EINVAL);
	CHECK_EQ(hoop_zcrx_rq_init(&rq, NULL, &reg), -EINVAL);
	CHECK_EQ(hoop_zcrx_rq_init(&rq, region, NULL), -EINVAL);

	struct hoop_cqe big[2];
	memset(big, 0, sizeof(big));
	struct hoop_zcrx_cqe z = {(2ull << HOOP_ZCRX_AREA_SHIFT) | 12345, 0};
	memcpy(&big[1], &z, sizeof(z));
	CHECK_EQ(hoop_zcrx_cqe_off(&big[0]), 12345);
}

static void prep_bytes(void)
{
	struct hoop_sqe s;
	memset(&s, 0xff, sizeof(s));
	hoop_prep_recv_zc(&s, 9, 4096,
	                  HOOP_RECV_MULTISHOT | HOOP_RECVSEND_POLL_FIRST, 5);
	CHECK_EQ(s.opcode, HOOP_OP_RECV_ZC);
	CHECK_EQ(HOOP_OP_RECV_ZC, 58);
	CHECK_EQ(s.flags, 0);
	CHECK_EQ(s.ioprio, 0x03);
	CHECK_EQ(s.fd, 9);
	CHECK_EQ(s.off, 0);
	CHECK_EQ(s.addr, 0);
	CHECK_EQ(s.len, 4096);
	CHECK_EQ(s.op_flags, 0); /* msg_flags: the kernel wants 0 */
	CHECK_EQ(s.user_data, 0);
	CHECK_EQ(s.buf_index, 0);
	CHECK_EQ(s.personality, 0);
	CHECK_EQ(s.file_index, 5); /* zcrx_ifq_idx, byte offset 44 */
	CHECK_EQ(s.addr3, 0);
	CHECK_EQ(s.pad2, 0);
	uint32_t word;
	memcpy(&word, (const char *)&s + 44, 4);
	CHECK_EQ(word, 5);
}

int main(void)
{
	refill_helpers();
	prep_bytes();
	return T_PASS;
}
