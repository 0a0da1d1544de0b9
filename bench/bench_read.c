/*
 * bench/bench_read.c - 4 KiB random reads from a 1 GiB file in the page
 * cache, hoop_ring against liburing, at queue depth 1 and 32, with a plain
 * fd and buffers, and with a registered file and registered buffers.
 *
 *   bench_read [FILE]   FILE defaults to $HOOP_BENCH_FILE or
 *                       /tmp/hoop-bench-1g.dat; created if missing or of
 *                       the wrong size, then read once to cache it.
 *
 * One JSON line per case on stdout; spreads and notes on stderr.
 */
#include "bench_ring.h"

#define READ_FILE_SIZE ((off_t)1 << 30)
#define READ_RING_ENTRIES 64
#define READ_MAX_QD 32

struct read_ctx {
	hoop_ring *h;
	struct io_uring *u;
	int fd;
	int fixed;
	unsigned qd;
	char *hbufs, *ubufs;
	uint64_t seed;
};

static void read_run(void *p, int lib, long ops)
{
	struct read_ctx *c = p;
	uint64_t nblocks = (uint64_t)READ_FILE_SIZE / BR_READ_SIZE;
	/* Each run gets fresh offsets; both libraries see the same ones
	 * because they run in turns with the same seed sequence. */
	uint64_t seed = c->seed;
	if (lib == 1)
		c->seed = bench_rand(&c->seed) | 1;
	if (lib == 0)
		read_loop_hoop(c->h, c->fd, c->fixed, c->hbufs, c->qd, ops,
		               nblocks, seed);
	else
		read_loop_liburing(c->u, c->fd, c->fixed, c->ubufs, c->qd, ops,
		                   nblocks, seed);
}

int main(int argc, char **argv)
{
	static const char usage[] = "[FILE]  (default $HOOP_BENCH_FILE, else "
	                            "/tmp/hoop-bench-1g.dat: 1 GiB, created)";
	bench_help(argc, argv, usage);
	bench_positional(argc, argv, 1, 1, usage);
	const char *path = argc > 1 ? argv[1] : getenv("HOOP_BENCH_FILE");
	if (!path)
		path = "/tmp/hoop-bench-1g.dat";
	int fd = bench_cached_file(path, READ_FILE_SIZE);

	static const unsigned depths[] = {1, READ_MAX_QD};
	for (int fixed = 0; fixed <= 1; fixed++) {
		for (size_t d = 0; d < sizeof(depths) / sizeof(depths[0]); d++) {
			struct iovec hiov[READ_MAX_QD], uiov[READ_MAX_QD];
			struct read_ctx c = {
			        .h = bench_hoop_ring(READ_RING_ENTRIES),
			        .u = bench_liburing_ring(READ_RING_ENTRIES),
			        .fd = fd,
			        .fixed = fixed,
			        .qd = depths[d],
			        .hbufs = bench_buffers(READ_MAX_QD, hiov),
			        .ubufs = bench_buffers(READ_MAX_QD, uiov),
			        .seed = 0x9e3779b97f4a7c15ull,
			};
			if (fixed) {
				bench_hoop_register(c.h, fd, hiov, READ_MAX_QD);
				bench_liburing_register(c.u, fd, uiov, READ_MAX_QD);
			}
			char name[64];
			snprintf(name, sizeof(name), "read4k_qd%u%s", c.qd,
			         fixed ? "_registered" : "");
			bench_case(name, read_run, &c, 1);
			hoop_ring_destroy(c.h);
			bench_liburing_free(c.u);
			free(c.hbufs);
			free(c.ubufs);
		}
	}
	close(fd);
	return 0;
}
