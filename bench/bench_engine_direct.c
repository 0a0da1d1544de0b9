/*
 * bench/bench_engine_direct.c - O_DIRECT 4 KiB random reads from a 1 GiB
 * file on the real disk, at depth 32 and 128:
 *   queue   one thread keeps `depth` reads in flight through a hoop_queue
 *           (hoop_queue_add of what completed, hoop_queue_wait min 1)
 *   pread1  one thread doing pread(2) with O_DIRECT
 *   pool    `depth` threads each doing pread(2) with O_DIRECT
 *   ring    for reference, one thread with a single-owner hoop_ring keeping
 *           `depth` reads in flight (submit, then wait for at least one):
 *           what the kernel's part costs without the engine around it
 *   queue_pool  the queue loop on an engine forced onto the thread-pool
 *           backend (its workers make the same preads as `pool`)
 * Each run lasts a fixed time. Reported per run: reads/s, and CPU seconds
 * of the whole process (getrusage RUSAGE_SELF, user + system, so the
 * engine's thread and the pool's threads are all counted).
 *
 *   bench_engine_direct [-d D[,D...]] [-o IMPL] [FILE]
 *
 * -o IMPL runs only that implementation (queue, pread1 or pool) and prints
 * its rates and CPU seconds on stderr: for profiling.
 *
 * FILE (default $HOOP_BENCH_FILE, else /tmp/hoop-bench-1g.dat) is created
 * once and reused; it must not be on tmpfs, where O_DIRECT reads would not
 * reach a disk. O_DIRECT bypasses the page cache, so it does not matter
 * that the file is also cached.
 */
#include <linux/magic.h>
#include <stdbool.h>
#include <sys/vfs.h>

#include "bench_engine.h"

#define MAX_DEPTH 256

enum { IMPL_QUEUE, IMPL_PREAD1, IMPL_POOL, IMPL_RING, IMPL_QUEUE_POOL, NIMPL };
static const char *const impl_names[NIMPL] = {"queue", "pread1", "pool", "ring",
                                              "queue_pool"};

struct direct_ctx {
	int fd;
	unsigned depth;
	double seconds;
	hoop_engine *e;      /* io_uring backend */
	hoop_engine *e_pool; /* thread-pool backend */
	hoop_ring *ring;
	char *bufs; /* MAX_DEPTH blocks */
	pthread_barrier_t start;
	_Atomic int stop;
	double cpu[NIMPL][BE_MAX_REPEATS]; /* CPU seconds per run */
	double ops[NIMPL][BE_MAX_REPEATS]; /* reads per run */
	int round[NIMPL];
};

struct pool_worker {
	struct direct_ctx *c;
	pthread_t tid;
	char *buf;
	uint64_t seed;
	long ops;
};

static void sleep_seconds(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	nanosleep(&ts, NULL);
}

static void *pool_main(void *arg)
{
	struct pool_worker *w = arg;
	struct direct_ctx *c = w->c;
	long ops = 0;
	pthread_barrier_wait(&c->start);
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		ssize_t r = pread(c->fd, w->buf, BE_READ_SIZE,
		                  (off_t)be_offset(&w->seed));
		if (r != (ssize_t)BE_READ_SIZE)
			BENCH_DIE("pread O_DIRECT: %zd (%s)", r, strerror(errno));
		ops++;
	}
	w->ops = ops;
	return NULL;
}

/* `nthreads` threads doing pread until the time is up; returns ops. */
static long run_threads(struct direct_ctx *c, unsigned nthreads)
{
	static struct pool_worker w[MAX_DEPTH];
	atomic_store(&c->stop, 0);
	pthread_barrier_init(&c->start, NULL, nthreads + 1);
	for (unsigned i = 0; i < nthreads; i++) {
		w[i].c = c;
		w[i].buf = c->bufs + (size_t)i * BE_READ_SIZE;
		w[i].seed = 0x9e3779b97f4a7c15ull * (i + 1) + c->depth;
		if (pthread_create(&w[i].tid, NULL, pool_main, &w[i]) != 0)
			BENCH_DIE("pthread_create");
	}
	pthread_barrier_wait(&c->start);
	sleep_seconds(c->seconds);
	atomic_store(&c->stop, 1);
	long ops = 0;
	for (unsigned i = 0; i < nthreads; i++) {
		pthread_join(w[i].tid, NULL);
		ops += w[i].ops;
	}
	pthread_barrier_destroy(&c->start);
	return ops;
}

/* One thread keeps `depth` reads in flight through a queue on `e`. */
static long run_queue(struct direct_ctx *c, hoop_engine *e)
{
	hoop_queue *q;
	struct hoop_op ops[MAX_DEPTH];
	struct hoop_completion done[MAX_DEPTH];
	uint64_t seed = 0x9e3779b97f4a7c15ull + c->depth;
	int r = hoop_queue_create(&q, e, c->depth);
	if (r < 0)
		BENCH_DIE("hoop_queue_create: %s", hoop_strerror(r));
	for (unsigned i = 0; i < c->depth; i++) {
		hoop_op_read(&ops[i], c->fd, c->bufs + (size_t)i * BE_READ_SIZE,
		             BE_READ_SIZE, be_offset(&seed));
		ops[i].user_data = i;
	}
	r = hoop_queue_add(q, ops, c->depth, NULL, 0);
	if (r != (int)c->depth)
		BENCH_DIE("hoop_queue_add: %d", r);
	unsigned inflight = c->depth;
	uint64_t end = be_now_ns() + (uint64_t)(c->seconds * 1e9);
	long n_done = 0;
	bool adding = true;
	while (inflight) {
		int n = hoop_queue_wait(q, done, c->depth, 1, -1);
		if (n < 1)
			BENCH_DIE("hoop_queue_wait: %d", n);
		inflight -= (unsigned)n;
		n_done += n;
		if (adding && be_now_ns() >= end)
			adding = false;
		if (!adding)
			continue;
		for (int i = 0; i < n; i++) {
			if (done[i].res != (int)BE_READ_SIZE)
				BENCH_DIE("queue read: res %d", done[i].res);
			unsigned slot = (unsigned)done[i].user_data;
			hoop_op_read(&ops[i], c->fd,
			             c->bufs + (size_t)slot * BE_READ_SIZE,
			             BE_READ_SIZE, be_offset(&seed));
			ops[i].user_data = slot;
		}
		r = hoop_queue_add(q, ops, (unsigned)n, NULL, 0);
		if (r != n)
			BENCH_DIE("hoop_queue_add: %d", r);
		inflight += (unsigned)n;
	}
	hoop_queue_destroy(q);
	return n_done;
}

static void ring_queue_read(struct direct_ctx *c, unsigned slot, uint64_t *seed)
{
	struct hoop_sqe *sqe = hoop_ring_get_sqe(c->ring);
	if (!sqe)
		BENCH_DIE("ring: SQ full");
	hoop_prep_read(sqe, c->fd, c->bufs + (size_t)slot * BE_READ_SIZE,
	               BE_READ_SIZE, be_offset(seed));
	hoop_sqe_set_data(sqe, slot);
}

/* The reference: a single-owner ring keeping `depth` reads in flight. */
static long run_ring(struct direct_ctx *c)
{
	struct hoop_cqe *cqes[MAX_DEPTH];
	uint64_t seed = 0x9e3779b97f4a7c15ull + c->depth;
	for (unsigned i = 0; i < c->depth; i++)
		ring_queue_read(c, i, &seed);
	unsigned inflight = c->depth;
	uint64_t end = be_now_ns() + (uint64_t)(c->seconds * 1e9);
	long n_done = 0;
	bool adding = true;
	while (inflight) {
		int r = hoop_ring_submit_and_wait(c->ring, 1);
		if (r < 0)
			BENCH_DIE("hoop_ring_submit_and_wait: %d", r);
		unsigned n = hoop_ring_peek_batch_cqe(c->ring, cqes, MAX_DEPTH);
		if (adding && be_now_ns() >= end)
			adding = false;
		for (unsigned i = 0; i < n; i++) {
			if (cqes[i]->res != (int)BE_READ_SIZE)
				BENCH_DIE("ring read: res %d", cqes[i]->res);
			if (adding)
				ring_queue_read(c, (unsigned)cqes[i]->user_data,
				                &seed);
		}
		hoop_ring_cq_advance(c->ring, n);
		n_done += n;
		if (!adding)
			inflight -= n;
	}
	return n_done;
}

/* One fixed-time run; returns reads/s and records the CPU seconds. */
static double direct_run(void *p, int impl)
{
	struct direct_ctx *c = p;
	double cpu0 = be_cpu_seconds(), t0 = bench_now();
	long ops = impl == IMPL_QUEUE        ? run_queue(c, c->e)
	           : impl == IMPL_QUEUE_POOL ? run_queue(c, c->e_pool)
	           : impl == IMPL_RING       ? run_ring(c)
	           : impl == IMPL_PREAD1     ? run_threads(c, 1)
	                                     : run_threads(c, c->depth);
	double t = bench_now() - t0, cpu = be_cpu_seconds() - cpu0;
	/* The first call of each impl is the warm-up: not recorded. */
	int k = c->round[impl]++ - 1;
	if (k >= 0) {
		c->cpu[impl][k] = cpu;
		c->ops[impl][k] = (double)ops;
	}
	return (double)ops / t;
}

static int open_direct(const char *path)
{
	struct statfs sf;
	struct stat st;
	/* Create and fill it once (the helper also caches it, harmlessly);
	 * an existing file of the right size is used as it is. */
	if (stat(path, &st) != 0 || st.st_size != BE_FILE_SIZE)
		close(bench_cached_file(path, BE_FILE_SIZE));
	if (statfs(path, &sf) == 0 && sf.f_type == TMPFS_MAGIC)
		BENCH_DIE("%s is on tmpfs: O_DIRECT needs a real disk; pass a "
		          "path under the build directory",
		          path);
	int fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0)
		BENCH_DIE("open %s O_DIRECT: %s", path, strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	unsigned depths[8] = {32, 128}, ndepths = 2;
	int only;
	bench_help(argc, argv, "[-d DEPTH,...] [-o IMPL] [FILE]");
	int argi = be_options(argc, argv, "-d", depths, &ndepths, 8, MAX_DEPTH,
	                      impl_names, NIMPL, &only);
	struct direct_ctx c;
	memset(&c, 0, sizeof(c));
	c.fd = open_direct(be_file_path(argc, argv, argi));
	c.seconds = be_seconds(5.0);
	c.bufs = be_buffer(MAX_DEPTH);
	hoop_engine_params ep;
	memset(&ep, 0, sizeof(ep));
	ep.sq_entries = MAX_DEPTH;
	c.e = be_engine(&ep);
	ep.backend = HOOP_BACKEND_THREADS;
	c.e_pool = be_engine(&ep);
	int err = hoop_ring_create(&c.ring, MAX_DEPTH, NULL);
	if (err < 0)
		BENCH_DIE("hoop_ring_create: %s", hoop_strerror(err));

	int reps = be_repeats();
	for (unsigned d = 0; d < ndepths; d++) {
		double v[NIMPL][BE_MAX_REPEATS];
		char name[64];
		c.depth = depths[d];
		memset(c.round, 0, sizeof(c.round));
		if (only >= 0) {
			c.round[only] = -BE_MAX_REPEATS; /* record nothing */
			for (int r = 0; r < reps; r++) {
				double cpu0 = be_cpu_seconds();
				double rate = direct_run(&c, only);
				fprintf(stderr,
				        "  depth %u %s: %.0f ops/s, %.3f "
				        "cpu_s\n",
				        c.depth, impl_names[only], rate,
				        be_cpu_seconds() - cpu0);
			}
			continue;
		}
		struct hoop_engine_metrics m[2] = {{0}};
		be_alternate(direct_run, &c, NIMPL, reps, v, c.e, m);
		be_emit_pair("direct_qd%u_vs_pool", c.depth, "ops/s",
		             v[IMPL_QUEUE], "pool", v[IMPL_POOL], reps, 0);
		be_emit_pair("direct_qd%u_vs_pread1", c.depth, "ops/s",
		             v[IMPL_QUEUE], "pread1", v[IMPL_PREAD1], reps, 0);
		be_emit_pair("direct_qd%u_cpu_vs_pool", c.depth, "cpu_s",
		             c.cpu[IMPL_QUEUE], "pool", c.cpu[IMPL_POOL], reps, 1);
		/* CPU per read, since the two do not read the same amount. */
		double per[NIMPL][BE_MAX_REPEATS];
		for (int i = 0; i < NIMPL; i++)
			for (int r = 0; r < reps; r++)
				per[i][r] = c.cpu[i][r] * 1e6 / c.ops[i][r];
		be_emit_pair("direct_qd%u_cpu_per_op_vs_pool", c.depth, "cpu_us/op",
		             per[IMPL_QUEUE], "pool", per[IMPL_POOL], reps, 1);
		be_emit_pair("direct_qd%u_cpu_per_op_vs_ring", c.depth,
		             "cpu_us/op", per[IMPL_QUEUE], "hoop_ring",
		             per[IMPL_RING], reps, 1);
		be_emit_pair("direct_qd%u_vs_ring", c.depth, "ops/s",
		             v[IMPL_QUEUE], "hoop_ring", v[IMPL_RING], reps, 0);
		be_emit_pair("direct_qd%u_pool_vs_pool", c.depth, "ops/s",
		             v[IMPL_QUEUE_POOL], "pool", v[IMPL_POOL], reps, 0);
		be_emit_pair("direct_qd%u_pool_cpu_per_op_vs_pool", c.depth,
		             "cpu_us/op", per[IMPL_QUEUE_POOL], "pool",
		             per[IMPL_POOL], reps, 1);
		snprintf(name, sizeof(name), "direct_qd%u", c.depth);
		be_emit_metrics(name, &m[0], &m[1]);
	}
	hoop_engine_destroy(c.e);
	hoop_engine_destroy(c.e_pool);
	hoop_ring_destroy(c.ring);
	free(c.bufs);
	close(c.fd);
	return 0;
}
