/*
 * Buffer groups: create and destroy on a ring and on an engine (both modes),
 * what the accessors report, bad arguments (-EINVAL), a bgid in use
 * (-EEXIST), a thread-pool engine (-EOPNOTSUPP), give-backs of buffers that
 * were never taken (-EALREADY), and no fd or memory left behind.
 */
#include "test_net_util.h"

#include <errno.h>
#include <string.h>

/* Accessors and give-backs of a fresh group of 8 x 256 bytes. */
static void check_fresh(hoop_bufgroup *g, uint16_t bgid, int mode)
{
	CHECK_EQ(hoop_bufgroup_id(g), bgid);
	CHECK_EQ(hoop_bufgroup_count(g), 8);
	CHECK_EQ(hoop_bufgroup_size(g), 256);
	CHECK_EQ(hoop_bufgroup_mode(g), mode);
	CHECK_EQ(hoop_bufgroup_available(g), 8);
	char *b0 = hoop_bufgroup_buf(g, 0);
	CHECK(b0 != NULL);
	CHECK(hoop_bufgroup_buf(g, 7) == b0 + 7 * 256);
	CHECK(hoop_bufgroup_buf(g, 8) == NULL);
	memset(b0, 0xab, 8 * 256); /* the whole area is ours to touch */
	/* Nothing has been taken: every give-back is refused. */
	CHECK_EQ(hoop_bufgroup_return(g, 0), -EALREADY);
	CHECK_EQ(hoop_bufgroup_return(g, 7), -EALREADY);
	CHECK_EQ(hoop_bufgroup_return(g, 8), -EINVAL);
	CHECK_EQ(hoop_bufgroup_available(g), 8);
	struct iovec iov[2];
	CHECK_EQ(hoop_bufgroup_bundle(g, 8, 10, iov, NULL, 2), -EINVAL);
	CHECK_EQ(hoop_bufgroup_bundle(g, 0, 0, iov, NULL, 2), -EINVAL);
	CHECK_EQ(hoop_bufgroup_bundle(g, 0, 10, NULL, NULL, 2), -EINVAL);
	if (mode == HOOP_BUFGROUP_MODE_RING)
		CHECK_EQ(hoop_bufgroup_bundle(g, 0, 3 * 256, iov, NULL, 2),
		         -ENOSPC);
	else
		CHECK_EQ(hoop_bufgroup_bundle(g, 0, 3 * 256, iov, NULL, 2),
		         -EINVAL);
}

static void on_ring(unsigned flags, int mode)
{
	hoop_ring *ring = t_ring(8, 0);
	hoop_bufgroup *g = NULL, *g2 = (hoop_bufgroup *)0x1;
	CHECK_EQ(hoop_bufgroup_create(&g, ring, 3, 8, 256, flags), 0);
	check_fresh(g, 3, mode);
	/* bgid 3 is taken in either mode. */
	CHECK_EQ(hoop_bufgroup_create(&g2, ring, 3, 8, 256, 0), -EEXIST);
	CHECK_EQ(hoop_bufgroup_create(&g2, ring, 3, 8, 256, HOOP_BUFGROUP_LEGACY),
	         -EEXIST);
	CHECK(g2 == (hoop_bufgroup *)0x1); /* untouched on failure */
	/* Another bgid is fine; and bgid 3 again once destroyed. */
	CHECK_EQ(hoop_bufgroup_create(&g2, ring, 4, 1, 1, flags), 0);
	CHECK_EQ(hoop_bufgroup_mode(g2), mode);
	hoop_bufgroup_destroy(g2);
	hoop_bufgroup_destroy(g);
	CHECK_EQ(hoop_bufgroup_create(&g, ring, 3, 8, 256, flags), 0);
	hoop_bufgroup_destroy(g);
	hoop_ring_destroy(ring);
}

static void on_engine(unsigned flags, int mode)
{
	hoop_engine *e = tn_engine(HOOP_BACKEND_URING);
	hoop_bufgroup *g = NULL, *g2 = NULL;
	CHECK_EQ(hoop_bufgroup_create_engine(&g, e, 9, 8, 256, flags), 0);
	check_fresh(g, 9, mode);
	CHECK_EQ(hoop_bufgroup_create_engine(&g2, e, 9, 8, 256, 0), -EEXIST);
	CHECK(g2 == NULL);
	hoop_bufgroup_destroy(g);
	hoop_engine_destroy(e);
}

int main(void)
{
	int fds = t_fd_count();
	hoop_ring *ring = t_ring(8, 0);
	hoop_bufgroup *g = NULL;

	/* Bad arguments: nothing is created. */
	CHECK_EQ(hoop_bufgroup_create(NULL, ring, 1, 8, 64, 0), -EINVAL);
	CHECK_EQ(hoop_bufgroup_create(&g, NULL, 1, 8, 64, 0), -EINVAL);
	CHECK_EQ(hoop_bufgroup_create(&g, ring, 1, 0, 64, 0), -EINVAL);
	CHECK_EQ(hoop_bufgroup_create(&g, ring, 1, 6, 64, 0), -EINVAL);
	CHECK_EQ(hoop_bufgroup_create(&g, ring, 1, 65536, 64, 0), -EINVAL);
	CHECK_EQ(hoop_bufgroup_create(&g, ring, 1, 8, 0, 0), -EINVAL);
	CHECK_EQ(hoop_bufgroup_create(&g, ring, 1, 1, 0x80000001u, 0), -EINVAL);
	CHECK_EQ(hoop_bufgroup_create(&g, ring, 1, 1, 0x80000000u,
	                              HOOP_BUFGROUP_LEGACY),
	         -EINVAL);
	CHECK_EQ(hoop_bufgroup_create(&g, ring, 1, 8, 64, 0x80), -EINVAL);
	CHECK(g == NULL);
	CHECK_EQ(hoop_bufgroup_create_engine(&g, NULL, 1, 8, 64, 0), -EINVAL);
	CHECK(g == NULL);
	hoop_ring_destroy(ring);

	/* NULL is accepted where the header says so. */
	hoop_bufgroup_destroy(NULL);
	CHECK_EQ(hoop_bufgroup_return(NULL, 0), -EINVAL);
	CHECK_EQ(hoop_bufgroup_available(NULL), 0);
	CHECK(hoop_bufgroup_buf(NULL, 0) == NULL);
	CHECK_EQ(hoop_bufgroup_mode(NULL), -EINVAL);

	/* Completion flags to buffer ids. */
	CHECK_EQ(hoop_bufgroup_cqe_bid(0), -ENOBUFS);
	CHECK_EQ(hoop_bufgroup_cqe_bid(HOOP_CQE_F_MORE | (5u << 16)), -ENOBUFS);
	CHECK_EQ(hoop_bufgroup_cqe_bid(HOOP_CQE_F_BUFFER | (5u << 16)), 5);
	CHECK_EQ(hoop_bufgroup_cqe_bid(HOOP_CQE_F_BUFFER | 0xffff0000u), 65535);

	on_ring(0, HOOP_BUFGROUP_MODE_RING);
	on_ring(HOOP_BUFGROUP_LEGACY, HOOP_BUFGROUP_MODE_PROVIDE);
	on_engine(0, HOOP_BUFGROUP_MODE_RING);
	on_engine(HOOP_BUFGROUP_LEGACY, HOOP_BUFGROUP_MODE_PROVIDE);

	/* The thread pool cannot select buffers. */
	hoop_engine *e = tn_engine(HOOP_BACKEND_THREADS);
	g = NULL;
	CHECK_EQ(hoop_bufgroup_create_engine(&g, e, 1, 8, 64, 0), -EOPNOTSUPP);
	CHECK_EQ(hoop_bufgroup_create_engine(&g, e, 1, 8, 64, HOOP_BUFGROUP_LEGACY),
	         -EOPNOTSUPP);
	CHECK(g == NULL);
	hoop_engine_destroy(e);

	CHECK_EQ(t_fd_count(), fds);
	return T_PASS;
}
