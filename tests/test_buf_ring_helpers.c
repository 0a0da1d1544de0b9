/*
 * Filling a provided-buffer ring by hand and reading multishot recvmsg
 * output, with the liburing-style helpers (hoop/register.h, hoop/prep.h):
 *
 *  - hoop_buf_ring_mask/init/add/advance/available: 8 buffers added at
 *    offsets 0..7 and published with one advance; the kernel sees 8
 *    available; each receive takes one (7, 6, ...), and
 *    hoop_buf_ring_cq_advance gives one back and consumes its CQE in one
 *    call (available back up, CQ empty).
 *  - hoop_recvmsg_validate/name/cmsg_firsthdr/cmsg_nexthdr/payload/
 *    payload_length: a multishot recvmsg on a UDP socket with IP_RECVTTL
 *    gets two datagrams from a known port; each buffer's source address is
 *    that port, its one control message is IP_TTL 64, the payload is what
 *    was sent; the second datagram is larger than the buffer's payload
 *    room: MSG_TRUNC in its flags, payloadlen and payload_length what
 *    fits.
 *    A buffer shorter than header + name + control is refused (NULL).
 * Needs 5.19 (buffer rings) and 6.0 (multishot recvmsg); 6.8 for the
 * kernel's head (available): each missing part skips, saying which.
 */
#include "helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define NBUF 8u
#define BUF_SIZE 256u
#define BGID 7

static unsigned char bufs[NBUF][BUF_SIZE];

static struct hoop_cqe wait_one(hoop_ring *ring)
{
	struct hoop_cqe *c;
	CHECK_EQ(hoop_ring_submit_and_wait(ring, 1) >= 0, 1);
	CHECK_EQ(hoop_ring_wait_cqe(ring, &c), 0);
	return *c; /* not consumed: the caller advances */
}

int main(void)
{
	CHECK_EQ(hoop_buf_ring_mask(8), 7);
	CHECK_EQ(hoop_buf_ring_mask(1), 0);
	hoop_ring *ring = t_ring(16, 0);
	size_t sz = NBUF * sizeof(struct hoop_buf);
	struct hoop_buf *br = mmap(NULL, sz, PROT_READ | PROT_WRITE,
	                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(br != MAP_FAILED);
	hoop_buf_ring_init(br);
	int r = hoop_ring_register_buf_ring(ring, br, NBUF, BGID, 0);
	if (r == -EINVAL || r == -EOPNOTSUPP)
		SKIP("buffer rings need 5.19 (%s)", hoop_strerror(r));
	CHECK_EQ(r, 0);
	unsigned mask = hoop_buf_ring_mask(NBUF);
	for (unsigned i = 0; i < NBUF; i++)
		hoop_buf_ring_add(br, bufs[i], BUF_SIZE, (uint16_t)(100 + i),
		                  mask, i);
	/* Added but not published: the tail has not moved. */
	CHECK_EQ(br[0].resv, 0);
	hoop_buf_ring_advance(br, NBUF);
	CHECK_EQ(br[0].resv, NBUF);
	CHECK_EQ(br[3].bid, 103);
	CHECK_EQ(br[3].len, BUF_SIZE);
	r = hoop_buf_ring_available(ring, br, BGID);
	int have_head = r != -EINVAL && r != -EOPNOTSUPP;
	if (!have_head)
		printf("hoop_buf_ring_available: %s here (the kernel's head "
		       "needs 6.8); its count is not checked\n",
		       hoop_strerror(r));
	else
		CHECK_EQ(r, (int)NBUF);

	/* UDP: a receiver with IP_RECVTTL, a sender on a known port. */
	int rx, tx;
	struct sockaddr_in rxa, txa;
	CHECK_EQ(t_udp_pair(&rx, &tx, &rxa), 0);
	txa = rxa;
	txa.sin_port = 0;
	CHECK_EQ(bind(tx, (struct sockaddr *)&txa, sizeof(txa)), 0);
	socklen_t al = sizeof(txa);
	CHECK_EQ(getsockname(tx, (struct sockaddr *)&txa, &al), 0);
	int one = 1;
	CHECK_EQ(setsockopt(rx, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one)), 0);

	struct msghdr mh;
	memset(&mh, 0, sizeof(mh));
	mh.msg_namelen = sizeof(struct sockaddr_in);
	mh.msg_controllen = CMSG_SPACE(sizeof(int));
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_recvmsg_multishot(sqe, rx, &mh, 0);
	hoop_sqe_set_flags(sqe, HOOP_SQE_BUFFER_SELECT);
	hoop_sqe_set_buf_group(sqe, BGID);
	hoop_sqe_set_data(sqe, 42);
	CHECK(hoop_ring_submit(ring) >= 0);

	/* Payload room: what is left of a buffer after header, name and
	 * control. The second datagram does not fit. */
	size_t head = sizeof(struct hoop_recvmsg_out) + mh.msg_namelen +
	              mh.msg_controllen;
	size_t room = BUF_SIZE - head;
	static char big[BUF_SIZE * 2];
	memset(big, 'B', sizeof(big));
	const char *small = "hello, recvmsg";
	for (int k = 0; k < 2; k++) {
		/* One datagram at a time: one buffer out at a time. */
		const char *d = k == 0 ? small : big;
		size_t dlen = k == 0 ? strlen(small) : room + 40;
		CHECK_EQ(sendto(tx, d, dlen, 0, (struct sockaddr *)&rxa,
		                sizeof(rxa)),
		         (ssize_t)dlen);
		struct hoop_cqe c = wait_one(ring);
		CHECK_EQ(c.user_data, 42);
		if (k == 0 && c.res == -EINVAL)
			SKIP("multishot recvmsg needs 6.0");
		CHECK(c.res > 0);
		CHECK(c.flags & HOOP_CQE_F_MORE);
		CHECK(c.flags & HOOP_CQE_F_BUFFER);
		unsigned bid = c.flags >> HOOP_CQE_BUFFER_SHIFT;
		CHECK(bid >= 100 && bid < 100 + NBUF);
		unsigned char *buf = bufs[bid - 100];
		/* Too short for header + name + control: refused. */
		CHECK(hoop_recvmsg_validate(buf, (int)head - 1, &mh) == NULL);
		struct hoop_recvmsg_out *o = hoop_recvmsg_validate(buf, c.res, &mh);
		CHECK(o != NULL);
		CHECK_EQ(o->namelen, sizeof(struct sockaddr_in));
		struct sockaddr_in *src = hoop_recvmsg_name(o);
		CHECK_EQ(src->sin_family, AF_INET);
		CHECK_EQ(src->sin_port, txa.sin_port);
		struct cmsghdr *cm = hoop_recvmsg_cmsg_firsthdr(o, &mh);
		CHECK(cm != NULL);
		CHECK_EQ(cm->cmsg_level, IPPROTO_IP);
		CHECK_EQ(cm->cmsg_type, IP_TTL);
		int ttl;
		memcpy(&ttl, CMSG_DATA(cm), sizeof(ttl));
		CHECK_EQ(ttl, 64);
		CHECK(hoop_recvmsg_cmsg_nexthdr(o, &mh, cm) == NULL);
		unsigned char *pl = hoop_recvmsg_payload(o, &mh);
		CHECK(pl == buf + head);
		unsigned plen = hoop_recvmsg_payload_length(o, c.res, &mh);
		if (k == 0) {
			CHECK_EQ(o->payloadlen, strlen(small));
			CHECK_EQ(plen, strlen(small));
			CHECK_EQ(o->flags & MSG_TRUNC, 0);
			CHECK_EQ(memcmp(pl, small, plen), 0);
		} else {
			/* Without MSG_TRUNC among the recvmsg flags the
			 * kernel reports what it stored. */
			CHECK_EQ(o->payloadlen, room);
			CHECK_EQ(plen, room);
			CHECK(o->flags & MSG_TRUNC);
			CHECK_EQ(pl[0], 'B');
			CHECK_EQ(pl[plen - 1], 'B');
		}
		if (have_head)
			CHECK_EQ(hoop_buf_ring_available(ring, br, BGID),
			         (int)NBUF - 1);
		/* Give the buffer back and consume the CQE in one call. */
		hoop_buf_ring_add(br, buf, BUF_SIZE, (uint16_t)bid, mask, 0);
		CHECK_EQ(hoop_ring_cq_ready(ring), 1);
		hoop_buf_ring_cq_advance(ring, br, 1);
		CHECK_EQ(hoop_ring_cq_ready(ring), 0);
		if (have_head)
			CHECK_EQ(hoop_buf_ring_available(ring, br, BGID),
			         (int)NBUF);
	}
	close(rx); /* ends the multishot */
	close(tx);
	hoop_ring_destroy(ring);
	munmap(br, sz);
	return T_PASS;
}
