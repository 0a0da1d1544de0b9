/*
 * hoop_ring_clone_buffers / hoop_ring_clone_buffers_offset (liburing's
 * io_uring_clone_buffers[_offset]): a ring that clones another's buffer
 * table reads into the same memory (a READ_FIXED on the clone lands in the
 * source's buffers); offsets place source buffers src_off.. at dst_off..
 * of the clone (slots before dst_off stay empty: -EFAULT); a second clone
 * into a ring that has buffers is -EBUSY unless HOOP_CLONE_BUFFERS_REPLACE,
 * which replaces just that range; a source without buffers is -ENXIO; a
 * range past the source's table -EOVERFLOW; offsets without nr and
 * unknown flags are -EINVAL. A source whose ring fd
 * was closed is found by its registered index. Kernels before 6.12 (no
 * cloning) or 6.13 (no offsets) are checked for their -EINVAL and the test
 * says which part it could not run.
 */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define NB 4
#define BS 4096

static char mem[NB][BS];
static int fd; /* t_tmpfile: byte i is t_pattern(i) */

/* READ_FIXED of 16 bytes at file offset `off` into buffer `idx` of `ring`
 * (at its start); returns the result. */
static int read_fixed(hoop_ring *ring, unsigned idx, char *into, uint64_t off)
{
	struct hoop_sqe *sqe = t_sqe(ring);
	hoop_prep_read_fixed(sqe, fd, into, 16, off, (int)idx);
	return t_submit_wait_one(ring).res;
}

static void check_pattern(const char *p, uint64_t off)
{
	for (unsigned i = 0; i < 16; i++)
		CHECK_EQ((unsigned char)p[i], t_pattern(off + i));
}

int main(void)
{
	fd = t_tmpfile(BS, NULL);
	hoop_ring *src = t_ring(8, 0);
	hoop_ring *dst = t_ring(8, 0);
	hoop_ring *none = t_ring(8, 0);
	struct iovec iov[NB];
	for (int i = 0; i < NB; i++)
		iov[i] = (struct iovec){mem[i], BS};
	CHECK_EQ(hoop_ring_register_buffers(src, iov, NB), 0);

	int r = hoop_ring_clone_buffers(dst, src);
	if (r == -EINVAL)
		SKIP("no buffer cloning in this kernel (6.12+): a clean "
		     "-EINVAL");
	CHECK_EQ(r, 0);
	/* dst's buffer 2 is src's memory. */
	memset(mem[2], 0, BS);
	CHECK_EQ(read_fixed(dst, 2, mem[2], 100), 16);
	check_pattern(mem[2], 100);
	CHECK_EQ(hoop_ring_clone_buffers(dst, src), -EBUSY);
	CHECK_EQ(hoop_ring_clone_buffers(dst, none), -EBUSY);
	CHECK_EQ(hoop_ring_clone_buffers(none, dst), 0); /* a clone of a clone */
	CHECK_EQ(hoop_ring_unregister_buffers(none), 0);
	CHECK_EQ(hoop_ring_clone_buffers(dst, NULL), -EINVAL);
	CHECK_EQ(hoop_ring_clone_buffers_offset(dst, src, 0, 0, 0, 0x100), -EINVAL);
	/* Unregistering the clone leaves the source's table. */
	CHECK_EQ(hoop_ring_unregister_buffers(dst), 0);
	CHECK_EQ(read_fixed(src, 2, mem[2], 200), 16);
	check_pattern(mem[2], 200);
	/* A source without buffers. */
	CHECK_EQ(hoop_ring_clone_buffers(dst, none), -ENXIO);

	/* Offsets: src 1..2 at dst 3..4. */
	r = hoop_ring_clone_buffers_offset(dst, src, 3, 1, 2, 0);
	if (r == -EINVAL) {
		printf("clone with offsets: not in this kernel (6.13+), a "
		       "clean "
		       "-EINVAL; whole-table cloning passed\n");
	} else {
		CHECK_EQ(r, 0);
		memset(mem[1], 0, BS);
		CHECK_EQ(read_fixed(dst, 3, mem[1], 300), 16);
		check_pattern(mem[1], 300);
		CHECK_EQ(read_fixed(dst, 0, mem[0], 0), -EFAULT);
		/* Replace slot 3 with src buffer 0. */
		CHECK_EQ(hoop_ring_clone_buffers_offset(dst, src, 3, 0, 1, 0),
		         -EBUSY);
		CHECK_EQ(hoop_ring_clone_buffers_offset(dst, src, 3, 0, 1,
		                                        HOOP_CLONE_BUFFERS_REPLACE),
		         0);
		memset(mem[0], 0, BS);
		CHECK_EQ(read_fixed(dst, 3, mem[0], 400), 16);
		check_pattern(mem[0], 400);
		/* A range past src's table; offsets without nr. */
		CHECK_EQ(hoop_ring_clone_buffers_offset(dst, src, 0, 3, 2,
		                                        HOOP_CLONE_BUFFERS_REPLACE),
		         -EOVERFLOW);
		CHECK_EQ(hoop_ring_unregister_buffers(dst), 0);
		CHECK_EQ(hoop_ring_clone_buffers_offset(dst, src, 1, 0, 0, 0),
		         -EINVAL);
	}

	/* A source known only by its registered index. */
	if (hoop_ring_register_ring_fd(src) == 1 &&
	    hoop_ring_close_ring_fd(src) == 0) {
		CHECK_EQ(hoop_ring_fd(src), -1);
		CHECK_EQ(hoop_ring_clone_buffers(dst, src), 0);
		memset(mem[3], 0, BS);
		CHECK_EQ(read_fixed(dst, 3, mem[3], 500), 16);
		check_pattern(mem[3], 500);
	} else {
		printf("source by registered index: not run (no registered "
		       "ring fds or close_ring_fd here)\n");
	}
	hoop_ring_destroy(dst);
	hoop_ring_destroy(none);
	hoop_ring_destroy(src);
	close(fd);
	return T_PASS;
}
