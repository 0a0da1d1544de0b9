/*
 * Bundle receives on a ring (6.10+): one completion fills several
 * consecutive buffers of the group (as many as the kernel chooses); hoop_bufgroup_bundle lists them in ring
 * order, also after give-backs in a scrambled order put the buffers at new
 * ring positions. Bytes checked; double give-back refused.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SZ 256

static unsigned char pat(size_t i) { return (unsigned char)(i * 13 + 5); }

/*
 * Receive `n` bytes with bundle receives (the kernel decides how many
 * buffers each one fills); check every byte; list the bids in the order
 * they were filled. Returns how many buffers that took.
 */
static int bundle_recv(hoop_ring *ring, hoop_bufgroup *g, int fd, size_t n,
                       size_t base, uint16_t *all)
{
	size_t got = 0;
	int total = 0;
	while (got < n) {
		struct hoop_sqe *sqe = t_sqe(ring);
		hoop_prep_recv_bundle(sqe, fd, 0, 0);
		hoop_sqe_set_buf_group(sqe, hoop_bufgroup_id(g));
		struct hoop_cqe cqe = t_submit_wait_one(ring);
		if (cqe.res == -EINVAL)
			SKIP("no bundle receives on this kernel");
		CHECK(cqe.res > 0);
		CHECK(got + (size_t)cqe.res <= n);
		int bid = hoop_bufgroup_cqe_bid(cqe.flags);
		CHECK(bid >= 0);
		struct iovec iov[8];
		uint16_t bids[8];
		int need = (int)(((size_t)cqe.res + SZ - 1) / SZ);
		if (need > 1)
			CHECK_EQ(hoop_bufgroup_bundle(g, (unsigned)bid, cqe.res,
			                              iov, bids, 1),
			         -ENOSPC);
		int pieces = hoop_bufgroup_bundle(g, (unsigned)bid, cqe.res,
		                                  iov, bids, 8);
		CHECK_EQ(pieces, need);
		CHECK_EQ(bids[0], bid);
		size_t at = base + got;
		for (int i = 0; i < pieces; i++) {
			CHECK(iov[i].iov_base == hoop_bufgroup_buf(g, bids[i]));
			CHECK_EQ(iov[i].iov_len,
			         i + 1 < pieces
			                 ? SZ
			                 : (size_t)cqe.res - (size_t)i * SZ);
			const unsigned char *p = iov[i].iov_base;
			for (size_t k = 0; k < iov[i].iov_len; k++, at++)
				CHECK_EQ(p[k], pat(at));
			all[total++] = bids[i];
		}
		got += (size_t)cqe.res;
	}
	return total;
}

static void send_pattern(int fd, size_t base, size_t n)
{
	unsigned char buf[4096];
	CHECK(n <= sizeof(buf));
	for (size_t i = 0; i < n; i++)
		buf[i] = pat(base + i);
	CHECK_EQ(send(fd, buf, n, MSG_NOSIGNAL), (ssize_t)n);
}

int main(void)
{
	int fds = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	if (!(hoop_ring_features(ring) & HOOP_FEAT_RECVSEND_BUNDLE))
		SKIP("no HOOP_FEAT_RECVSEND_BUNDLE");
	int c, s;
	CHECK_EQ(t_tcp_pair(&c, &s), 0);
	hoop_bufgroup *g;
	CHECK_EQ(hoop_bufgroup_create(&g, ring, 2, 8, SZ, 0), 0);
	CHECK_EQ(hoop_bufgroup_mode(g), HOOP_BUFGROUP_MODE_RING);

	/* 1000 bytes: buffers 0..3 in ring order, the last one partly. */
	uint16_t bids[16];
	send_pattern(c, 0, 1000);
	CHECK_EQ(bundle_recv(ring, g, s, 1000, 0, bids), 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(bids[i], i);
	CHECK_EQ(hoop_bufgroup_available(g), 4);

	/* Give back 2, 0, 3, 1: they go to ring positions 8..11 in that order. */
	const unsigned order[4] = {2, 0, 3, 1};
	for (int i = 0; i < 4; i++)
		CHECK_EQ(hoop_bufgroup_return(g, order[i]), 0);
	CHECK_EQ(hoop_bufgroup_return(g, 2), -EALREADY);
	CHECK_EQ(hoop_bufgroup_available(g), 8);

	/* 1500 bytes: positions 4..9 = buffers 4, 5, 6, 7, 2, 0. */
	send_pattern(c, 1000, 1500);
	CHECK_EQ(bundle_recv(ring, g, s, 1500, 1000, bids), 6);
	const uint16_t want[6] = {4, 5, 6, 7, 2, 0};
	for (int i = 0; i < 6; i++)
		CHECK_EQ(bids[i], want[i]);
	CHECK_EQ(hoop_bufgroup_available(g), 2);
	for (int i = 0; i < 6; i++)
		CHECK_EQ(hoop_bufgroup_return(g, want[i]), 0);
	CHECK_EQ(hoop_bufgroup_available(g), 8);

	hoop_bufgroup_destroy(g);
	hoop_ring_destroy(ring);
	close(c);
	close(s);
	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
