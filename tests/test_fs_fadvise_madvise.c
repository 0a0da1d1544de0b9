/*
 * fadvise on a file and madvise on this process's memory. Valid advice
 * returns 0 (MADV_DONTNEED really drops an anonymous page: it reads back as
 * zero); unknown advice is -EINVAL; fadvise on a pipe is -ESPIPE.
 */
#include "test_fs_util.h"

#include <sys/mman.h>

int main(void)
{
	hoop_ring *ring = t_ring(8, 0);
	struct hoop_sqe *sqe;
	int fd = t_tmpfile(1 << 16, NULL);

	static const int advice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL,
	                             POSIX_FADV_RANDOM,   POSIX_FADV_WILLNEED,
	                             POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
	for (unsigned i = 0; i < sizeof(advice) / sizeof(advice[0]); i++) {
		sqe = t_sqe(ring);
		hoop_prep_fadvise(sqe, fd, 0, 1 << 16, advice[i]);
		CHECK_EQ(fs_run(ring, sqe), 0);
	}
	sqe = t_sqe(ring);
	hoop_prep_fadvise64(sqe, fd, 4096, 1ull << 33, POSIX_FADV_WILLNEED);
	/* 64-bit lengths need 6.11: before, the field is refused. */
	int len64 = t_kernel_at_least(6, 11);
	if (!len64)
		printf("SKIP part: 64-bit fadvise/madvise lengths need 6.11 "
		       "(checking they are refused)\n");
	CHECK_EQ(fs_run(ring, sqe), len64 ? 0 : -EINVAL);
	sqe = t_sqe(ring);
	hoop_prep_fadvise(sqe, fd, 0, 4096, 999);
	CHECK_EQ(fs_run(ring, sqe), -EINVAL);
	int p[2];
	CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
	sqe = t_sqe(ring);
	hoop_prep_fadvise(sqe, p[0], 0, 4096, POSIX_FADV_NORMAL);
	CHECK_EQ(fs_run(ring, sqe), -ESPIPE);
	close(p[0]);
	close(p[1]);

	/* madvise: a private anonymous page is zero again after DONTNEED */
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *mem = mmap(NULL, (size_t)page * 4, PROT_READ | PROT_WRITE,
	                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(mem != MAP_FAILED);
	memset(mem, 0xaa, (size_t)page * 4);
	sqe = t_sqe(ring);
	hoop_prep_madvise(sqe, mem + page, (uint32_t)page, MADV_DONTNEED);
	CHECK_EQ(fs_run(ring, sqe), 0);
	CHECK_EQ(mem[0], 0xaa);
	CHECK_EQ(mem[page], 0);
	CHECK_EQ(mem[2 * page - 1], 0);
	CHECK_EQ(mem[2 * page], 0xaa);

	sqe = t_sqe(ring);
	hoop_prep_madvise64(sqe, mem + 2 * page, (uint64_t)page * 2, MADV_DONTNEED);
	CHECK_EQ(fs_run(ring, sqe), len64 ? 0 : -EINVAL);
	CHECK_EQ(mem[2 * page], len64 ? 0 : 0xaa);
	CHECK_EQ(mem[4 * page - 1], len64 ? 0 : 0xaa);
	CHECK_EQ(mem[page - 1], 0xaa);

	sqe = t_sqe(ring);
	hoop_prep_madvise(sqe, mem, (uint32_t)page, MADV_SEQUENTIAL);
	CHECK_EQ(fs_run(ring, sqe), 0);
	sqe = t_sqe(ring);
	hoop_prep_madvise(sqe, mem, (uint32_t)page, 12345);
	CHECK_EQ(fs_run(ring, sqe), -EINVAL);
	/* a start that is not page aligned */
	sqe = t_sqe(ring);
	hoop_prep_madvise(sqe, mem + 1, (uint32_t)page, MADV_DONTNEED);
	CHECK_EQ(fs_run(ring, sqe), -EINVAL);
	munmap(mem, (size_t)page * 4);

	close(fd);
	hoop_ring_destroy(ring);
	return T_PASS;
}
