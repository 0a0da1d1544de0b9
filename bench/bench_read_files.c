/*
 * bench/bench_read_files.c - many small whole files: hoop_read_files of
 * N cached files of S bytes (default 5,000 of 4 KiB) against a loop of
 * open(2), read(2) until it returns 0, close(2):
 *   loop        the loop on one thread
 *   loop_T      the files split among T threads (T = CPUs online), each
 *               running the loop on its share
 *   loop_keep   the loop on one thread keeping every file's contents, as
 *               hoop does and as a program that reads files wants: open,
 *               fstat, malloc of the size, read until 0, close; all freed
 *               at the end of the run
 *   pool        hoop_read_files on an engine forced onto the thread pool
 * Each run reads every file once; hoop's runs include allocating and
 * freeing the results, the loops read into one reused buffer. Runs
 * alternate (hoop, loop, loop_T, pool, hoop, ...); medians of >= 5 rounds
 * (HOOP_BENCH_REPEATS), ratios are medians of per-round ratios.
 *
 *   bench_read_files [-n N] [-s SIZE] [-c] [-e fadvise|drop] [DIR]
 *
 * -c measures CPU time (user + system, every thread of the process, from
 * getrusage) instead of wall time: steadier on a loaded machine, and what
 * the one-thread rows compare; the loop_T row is then its total CPU, not
 * its wall time.
 *
 * -e makes every run start cold (the eviction is not timed): "fadvise"
 * drops the files' pages with posix_fadvise(POSIX_FADV_DONTNEED) (their
 * dentries and inodes stay cached); "drop" writes 3 to
 * /proc/sys/vm/drop_caches (root; empties the whole machine's page,
 * dentry and inode caches). Put DIR on a disk, not tmpfs.
 *
 * DIR defaults to $HOOP_BENCH_DIR or /tmp/hoop-bench-files; the files are
 * created there if missing (and left for the next run), then read once so
 * that the page cache holds them.
 *
 * JSON lines on stdout (us per file, ratio loop/hoop, higher is better):
 * read_files_vs_loop, read_files_vs_loop_threads, read_files_vs_loop_keep,
 * read_files_pool_vs_loop.
 * Spreads on stderr.
 */
#include "bench_engine.h"

#include <dirent.h>
#include <stdbool.h>

enum { IMPL_HOOP, IMPL_LOOP, IMPL_LOOP_T, IMPL_LOOP_KEEP, IMPL_POOL, NIMPL };

struct rf_ctx {
	bool cpu;  /* -c */
	int evict; /* -e: 0 none, 1 fadvise, 2 drop_caches */
	char **paths;
	size_t n, size;
	unsigned nthreads;
	hoop_engine *e, *e_pool;
	struct hoop_file_data *out;
	char **kept;
};

static void loop_keep(struct rf_ctx *c)
{
	for (size_t i = 0; i < c->n; i++) {
		int fd = open(c->paths[i], O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0)
			BENCH_DIE("open %s: %s", c->paths[i], strerror(errno));
		size_t cap = (size_t)st.st_size + 1, got = 0;
		char *b = malloc(cap);
		ssize_t r;
		while (b && (r = read(fd, b + got, cap - got)) > 0) {
			got += (size_t)r;
			if (got == cap)
				b = realloc(b, cap *= 2);
		}
		if (!b || got != c->size)
			BENCH_DIE("read %s", c->paths[i]);
		close(fd);
		c->kept[i] = b;
	}
	for (size_t i = 0; i < c->n; i++)
		free(c->kept[i]);
}

struct loop_arg {
	struct rf_ctx *c;
	size_t from, to;
	pthread_t tid;
};

static void *loop_run(void *p)
{
	struct loop_arg *a = p;
	static __thread char buf[65536];
	for (size_t i = a->from; i < a->to; i++) {
		int fd = open(a->c->paths[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			BENCH_DIE("open %s: %s", a->c->paths[i], strerror(errno));
		size_t got = 0;
		ssize_t r;
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			got += (size_t)r;
		if (r < 0 || got != a->c->size)
			BENCH_DIE("read %s", a->c->paths[i]);
		close(fd);
	}
	return NULL;
}

static void hoop_run(struct rf_ctx *c, hoop_engine *e)
{
	hoop_files *mem = NULL;
	int r = hoop_read_files(e, AT_FDCWD, (const char *const *)c->paths,
	                        c->n, NULL, c->out, &mem);
	if (r < 0)
		BENCH_DIE("hoop_read_files: %s", hoop_strerror(r));
	for (size_t i = 0; i < c->n; i++)
		if (c->out[i].res != (int64_t)c->size)
			BENCH_DIE("hoop_read_files %s: %lld", c->paths[i],
			          (long long)c->out[i].res);
	hoop_files_free(mem);
}

static double cpu_now(void)
{
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
	       (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

static void evict(struct rf_ctx *c)
{
	if (c->evict == 2) {
		int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "3\n", 2) != 2)
			BENCH_DIE("drop_caches: %s", strerror(errno));
		close(fd);
		return;
	}
	for (size_t i = 0; i < c->n; i++) {
		int fd = open(c->paths[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			BENCH_DIE("open %s: %s", c->paths[i], strerror(errno));
		int r = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		if (r)
			BENCH_DIE("posix_fadvise: %s", strerror(r));
		close(fd);
	}
}

/* One run; returns microseconds per file. */
static double run(void *ctx, int impl)
{
	struct rf_ctx *c = ctx;
	if (c->evict)
		evict(c);
	double t0 = c->cpu ? cpu_now() : bench_now();
	if (impl == IMPL_HOOP) {
		hoop_run(c, c->e);
	} else if (impl == IMPL_POOL) {
		hoop_run(c, c->e_pool);
	} else if (impl == IMPL_LOOP_KEEP) {
		loop_keep(c);
	} else if (impl == IMPL_LOOP) {
		struct loop_arg a = {c, 0, c->n, 0};
		loop_run(&a);
	} else {
		struct loop_arg a[64];
		unsigned t = c->nthreads;
		for (unsigned i = 0; i < t; i++) {
			a[i].c = c;
			a[i].from = c->n * i / t;
			a[i].to = c->n * (i + 1) / t;
			if (pthread_create(&a[i].tid, NULL, loop_run, &a[i]))
				BENCH_DIE("pthread_create");
		}
		for (unsigned i = 0; i < t; i++)
			pthread_join(a[i].tid, NULL);
	}
	double t1 = c->cpu ? cpu_now() : bench_now();
	return (t1 - t0) * 1e6 / (double)c->n;
}

/* Create (if needed) and cache the N files of SIZE bytes. */
static char **make_files(const char *dir, size_t n, size_t size)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		BENCH_DIE("mkdir %s: %s", dir, strerror(errno));
	char **paths = calloc(n, sizeof(*paths));
	char *buf = malloc(size ? size : 1);
	if (!paths || !buf)
		BENCH_DIE("out of memory");
	for (size_t i = 0; i < size; i++)
		buf[i] = (char)(i * 7 + 3);
	for (size_t i = 0; i < n; i++) {
		char p[4096];
		snprintf(p, sizeof(p), "%s/f%zu_%zu", dir, size, i);
		paths[i] = strdup(p);
		struct stat st;
		if (stat(p, &st) == 0 && (size_t)st.st_size == size)
			continue;
		int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, buf, size) != (ssize_t)size)
			BENCH_DIE("create %s: %s", p, strerror(errno));
		close(fd);
	}
	free(buf);
	return paths;
}

int main(int argc, char **argv)
{
	size_t n = 5000, size = 4096;
	bool cpu = false;
	int opt;
	int ev = 0;
	bench_help(argc, argv, "[-n N] [-s SIZE] [-c] [-e fadvise|drop] [DIR]");
	while ((opt = getopt(argc, argv, "n:s:ce:")) != -1) {
		if (opt == 'c')
			cpu = true;
		else if (opt == 'e' && !strcmp(optarg, "fadvise"))
			ev = 1;
		else if (opt == 'e' && !strcmp(optarg, "drop"))
			ev = 2;
		else if (opt == 'n')
			n = strtoul(optarg, NULL, 0);
		else if (opt == 's')
			size = strtoul(optarg, NULL, 0);
		else
			BENCH_DIE("usage: bench_read_files [-n N] [-s SIZE] "
			          "[-c] [-e fadvise|drop] [DIR]");
	}
	const char *dir = optind < argc ? argv[optind] : getenv("HOOP_BENCH_DIR");
	if (!dir)
		dir = "/tmp/hoop-bench-files";
	if (n == 0)
		BENCH_DIE("-n must be at least 1");

	struct rf_ctx c = {0};
	c.n = n;
	c.size = size;
	c.cpu = cpu;
	c.evict = ev;
	c.paths = make_files(dir, n, size);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	c.nthreads = cpus < 1 ? 1 : cpus > 64 ? 64 : (unsigned)cpus;
	c.out = calloc(n, sizeof(*c.out));
	c.kept = calloc(n, sizeof(*c.kept));
	if (!c.out || !c.kept)
		BENCH_DIE("out of memory");
	hoop_engine_params p = {0};
	p.backend = HOOP_BACKEND_URING;
	int r = hoop_engine_create(&c.e, &p);
	if (r < 0)
		BENCH_DIE("io_uring engine: %s", hoop_strerror(r));
	p.backend = HOOP_BACKEND_THREADS;
	r = hoop_engine_create(&c.e_pool, &p);
	if (r < 0)
		BENCH_DIE("thread-pool engine: %s", hoop_strerror(r));
	run(&c, IMPL_LOOP); /* into the page cache */

	int reps = be_repeats();
	static double v[NIMPL][BE_MAX_REPEATS];
	be_alternate(run, &c, NIMPL, reps, v, NULL, NULL);
	fprintf(stderr, "%zu files of %zu bytes in %s; loop_T: %u threads\n", n,
	        size, dir, c.nthreads);
	be_emit_pair("read_files_vs_loop", 0, "us/file", v[IMPL_HOOP], "loop",
	             v[IMPL_LOOP], reps, 1);
	be_emit_pair("read_files_vs_loop_threads", 0, "us/file", v[IMPL_HOOP],
	             "loop_threads", v[IMPL_LOOP_T], reps, 1);
	be_emit_pair("read_files_vs_loop_keep", 0, "us/file", v[IMPL_HOOP],
	             "loop_keep", v[IMPL_LOOP_KEEP], reps, 1);
	be_emit_pair("read_files_pool_vs_loop", 0, "us/file", v[IMPL_POOL],
	             "loop", v[IMPL_LOOP], reps, 1);

	hoop_engine_destroy(c.e);
	hoop_engine_destroy(c.e_pool);
	for (size_t i = 0; i < n; i++)
		free(c.paths[i]);
	free(c.paths);
	free(c.out);
	free(c.kept);
	return 0;
}
