/*
 * bench/bench_engine_threads.c - T threads each doing blocking 4 KiB random
 * reads from a page-cached 1 GiB file, one at a time:
 *   engine     hoop_engine_submit of 1 op, then hoop_engine_wait on it,
 *              all threads sharing one engine
 *   pread      each thread calls pread(2)
 *   mutex_ring one liburing ring shared under a pthread mutex, submit and
 *              wait under the lock (the simplest correct shared ring)
 *   engine_pool the same as engine, on an engine forced onto the thread-pool
 *              backend (what the fallback costs where io_uring is blocked)
 * for T = 1, 4, 16, 64 (or the counts given with -t). Each run lasts a fixed
 * time; the rate is reads/s summed over the threads.
 *
 *   bench_engine_threads [-t T[,T...]] [-o IMPL] [FILE]
 *   bench_engine_threads --loop engine|pread|engine_pool OPS
 *
 * -o IMPL runs only that implementation (engine, pread or mutex_ring) and
 * prints its rates on stderr: for profiling (strace -c -f, perf).
 *
 * JSON lines on stdout: threads_t<T>_vs_pread and threads_t<T>_vs_mutex_ring
 * (ops/s, ratio engine/baseline), threads_t<T>_pool_vs_pread (the
 * thread-pool engine against pread), threads_t<T>_cpu_vs_pread and
 * threads_t<T>_pool_cpu_vs_pread (the same in reads per CPU second of the
 * whole process, which a loaded machine disturbs less than wall time), and
 * the io_uring engine's metrics for the largest T.
 */
#include <liburing.h>

#include "bench_engine.h"

#define MAX_THREADS 256

enum { IMPL_ENGINE, IMPL_PREAD, IMPL_MUTEX_RING, IMPL_ENGINE_POOL, NIMPL };
static const char *const impl_names[NIMPL] = {"engine", "pread", "mutex_ring",
                                              "engine_pool"};

struct threads_ctx {
	int fd;
	unsigned nthreads;
	double seconds;
	hoop_engine *e;      /* io_uring backend */
	hoop_engine *e_pool; /* thread-pool backend */
	struct io_uring ring;
	pthread_mutex_t ring_lock;
	pthread_barrier_t start;
	_Atomic int stop;
	int impl;
	/* reads per CPU second (the whole process: engine thread and pool
	 * workers included) of each timed run, by impl; round[] counts the
	 * runs, the first being the warm-up */
	double cpu_rate[NIMPL][BE_MAX_REPEATS];
	int round[NIMPL];
};

struct worker {
	struct threads_ctx *c;
	pthread_t tid;
	char *buf;
	uint64_t seed;
	long ops;
};

static void read_on(hoop_engine *e, int fd, char *buf, uint64_t off)
{
	struct hoop_op op;
	struct hoop_completion done;
	uint64_t token;
	hoop_op_read(&op, fd, buf, BE_READ_SIZE, off);
	int r = hoop_engine_submit(e, &op, 1, &token, 0);
	if (r != 1)
		BENCH_DIE("hoop_engine_submit: %d", r);
	r = hoop_engine_wait(e, token, &done, -1);
	if (r != 0 || done.res != (int)BE_READ_SIZE)
		BENCH_DIE("hoop_engine_wait: %d res %d", r, done.res);
}

static void read_engine(struct threads_ctx *c, char *buf, uint64_t off)
{
	read_on(c->e, c->fd, buf, off);
}

static void read_engine_pool(struct threads_ctx *c, char *buf, uint64_t off)
{
	read_on(c->e_pool, c->fd, buf, off);
}

static void read_pread(struct threads_ctx *c, char *buf, uint64_t off)
{
	ssize_t r = pread(c->fd, buf, BE_READ_SIZE, (off_t)off);
	if (r != (ssize_t)BE_READ_SIZE)
		BENCH_DIE("pread: %zd", r);
}

static void read_mutex_ring(struct threads_ctx *c, char *buf, uint64_t off)
{
	struct io_uring_cqe *cqe;
	pthread_mutex_lock(&c->ring_lock);
	struct io_uring_sqe *sqe = io_uring_get_sqe(&c->ring);
	if (!sqe)
		BENCH_DIE("mutex ring: SQ full");
	io_uring_prep_read(sqe, c->fd, buf, BE_READ_SIZE, off);
	int r = io_uring_submit_and_wait(&c->ring, 1);
	if (r != 1)
		BENCH_DIE("io_uring_submit_and_wait: %d", r);
	r = io_uring_peek_cqe(&c->ring, &cqe);
	if (r != 0 || cqe->res != (int)BE_READ_SIZE)
		BENCH_DIE("mutex ring: peek %d res %d", r, r ? 0 : cqe->res);
	io_uring_cqe_seen(&c->ring, cqe);
	pthread_mutex_unlock(&c->ring_lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct threads_ctx *c = w->c;
	void (*one)(struct threads_ctx *, char *,
	            uint64_t) = c->impl == IMPL_ENGINE        ? read_engine
	                        : c->impl == IMPL_ENGINE_POOL ? read_engine_pool
	                        : c->impl == IMPL_PREAD       ? read_pread
	                                                      : read_mutex_ring;
	long ops = 0;
	pthread_barrier_wait(&c->start);
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		one(c, w->buf, be_offset(&w->seed));
		ops++;
	}
	w->ops = ops;
	return NULL;
}

/* One fixed-time run of `impl` on nthreads threads; returns reads/s. */
static double threads_run(void *p, int impl)
{
	struct threads_ctx *c = p;
	static struct worker w[MAX_THREADS];
	c->impl = impl;
	atomic_store(&c->stop, 0);
	pthread_barrier_init(&c->start, NULL, c->nthreads + 1);
	for (unsigned i = 0; i < c->nthreads; i++) {
		if (!w[i].buf)
			w[i].buf = be_buffer(1);
		w[i].c = c;
		w[i].seed = 0x9e3779b97f4a7c15ull * (i + 1);
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0)
			BENCH_DIE("pthread_create");
	}
	pthread_barrier_wait(&c->start);
	double t0 = bench_now(), cpu0 = be_cpu_seconds();
	struct timespec ts = {(time_t)c->seconds,
	                      (long)((c->seconds - (double)(time_t)c->seconds) *
	                             1e9)};
	nanosleep(&ts, NULL);
	atomic_store(&c->stop, 1);
	long ops = 0;
	for (unsigned i = 0; i < c->nthreads; i++) {
		pthread_join(w[i].tid, NULL);
		ops += w[i].ops;
	}
	double t = bench_now() - t0, cpu = be_cpu_seconds() - cpu0;
	pthread_barrier_destroy(&c->start);
	int k = c->round[impl]++ - 1;
	if (k >= 0 && k < BE_MAX_REPEATS)
		c->cpu_rate[impl][k] = cpu > 0 ? (double)ops / cpu : 0;
	return (double)ops / t;
}

/*
 * --loop IMPL OPS: one thread, OPS reads through IMPL (engine, pread or
 * engine_pool) and nothing else, for callgrind's instruction count per
 * read (count inside read_loop at two OPS values and divide the
 * difference, as bench_engine_nop's instr case does).
 */
BENCH_NOINLINE static void read_loop(struct threads_ctx *c, int impl, long ops)
{
	char *buf = be_buffer(1);
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	for (long i = 0; i < ops; i++) {
		uint64_t off = be_offset(&seed);
		if (impl == IMPL_ENGINE)
			read_engine(c, buf, off);
		else if (impl == IMPL_ENGINE_POOL)
			read_engine_pool(c, buf, off);
		else
			read_pread(c, buf, off);
	}
	free(buf);
}

int main(int argc, char **argv)
{
	unsigned counts[16] = {1, 4, 16, 64}, ncounts = 4;
	int only;
	bench_help(argc, argv,
	           "[-t THREADS,...] [-o IMPL] [FILE] | --loop IMPL OPS");
	if (argc == 4 && strcmp(argv[1], "--loop") == 0) {
		int impl = -1;
		for (int i = 0; i < NIMPL; i++)
			if (strcmp(argv[2], impl_names[i]) == 0 &&
			    i != IMPL_MUTEX_RING)
				impl = i;
		if (impl < 0)
			BENCH_DIE("--loop: engine, pread or engine_pool");
		struct threads_ctx c;
		memset(&c, 0, sizeof(c));
		c.fd = bench_cached_file(be_file_path(1, argv, 1), BE_FILE_SIZE);
		hoop_engine_params pp;
		memset(&pp, 0, sizeof(pp));
		pp.backend = HOOP_BACKEND_THREADS;
		c.e = be_engine(impl == IMPL_ENGINE_POOL ? &pp : NULL);
		c.e_pool = c.e;
		read_loop(&c, impl, atol(argv[3]));
		hoop_engine_destroy(c.e);
		close(c.fd);
		return 0;
	}
	int argi = be_options(argc, argv, "-t", counts, &ncounts, 16,
	                      MAX_THREADS, impl_names, NIMPL, &only);
	struct threads_ctx c;
	memset(&c, 0, sizeof(c));
	c.fd = bench_cached_file(be_file_path(argc, argv, argi), BE_FILE_SIZE);
	c.seconds = be_seconds(2.0);
	c.e = be_engine(NULL);
	hoop_engine_params pp;
	memset(&pp, 0, sizeof(pp));
	pp.backend = HOOP_BACKEND_THREADS;
	c.e_pool = be_engine(&pp);
	int r = io_uring_queue_init(256, &c.ring, 0);
	if (r < 0)
		BENCH_DIE("io_uring_queue_init: %s", strerror(-r));
	pthread_mutex_init(&c.ring_lock, NULL);

	int reps = be_repeats();
	unsigned tmax = 0;
	for (unsigned i = 0; i < ncounts; i++)
		tmax = counts[i] > tmax ? counts[i] : tmax;
	for (unsigned i = 0; i < ncounts; i++) {
		double v[NIMPL][BE_MAX_REPEATS];
		char name[64];
		c.nthreads = counts[i];
		if (only >= 0) {
			for (int r = 0; r < reps; r++)
				fprintf(stderr, "  T=%u %s: %.0f ops/s\n",
				        c.nthreads, impl_names[only],
				        threads_run(&c, only));
			continue;
		}
		struct hoop_engine_metrics m[2] = {{0}};
		memset(c.round, 0, sizeof(c.round));
		be_alternate(threads_run, &c, NIMPL, reps, v, c.e, m);
		be_emit_pair("threads_t%u_vs_pread", c.nthreads, "ops/s",
		             v[IMPL_ENGINE], "pread", v[IMPL_PREAD], reps, 0);
		be_emit_pair("threads_t%u_vs_mutex_ring", c.nthreads, "ops/s",
		             v[IMPL_ENGINE], "mutex_ring", v[IMPL_MUTEX_RING],
		             reps, 0);
		be_emit_pair("threads_t%u_pool_vs_pread", c.nthreads, "ops/s",
		             v[IMPL_ENGINE_POOL], "pread", v[IMPL_PREAD], reps, 0);
		/* The same in reads per CPU second: steadier on a loaded
		 * machine, where wall time mostly shows the CPU share. */
		be_emit_pair("threads_t%u_cpu_vs_pread", c.nthreads,
		             "ops/cpu-s", c.cpu_rate[IMPL_ENGINE], "pread",
		             c.cpu_rate[IMPL_PREAD], reps, 0);
		be_emit_pair("threads_t%u_pool_cpu_vs_pread", c.nthreads,
		             "ops/cpu-s", c.cpu_rate[IMPL_ENGINE_POOL], "pread",
		             c.cpu_rate[IMPL_PREAD], reps, 0);
		if (c.nthreads == tmax) {
			snprintf(name, sizeof(name), "threads_t%u", c.nthreads);
			be_emit_metrics(name, &m[0], &m[1]);
		}
	}
	hoop_engine_destroy(c.e);
	hoop_engine_destroy(c.e_pool);
	io_uring_queue_exit(&c.ring);
	close(c.fd);
	return 0;
}
