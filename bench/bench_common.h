/*
 * bench/bench_common.h - shared plumbing for the hoop-vs-liburing benches:
 * clock, medians, the JSON result line, a deterministic PRNG, the cached
 * test file, and the callgrind driver for instruction counts.
 *
 * Everything here is static: each bench program is one translation unit.
 */
#ifndef HOOP_BENCH_COMMON_H
#define HOOP_BENCH_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_NOINLINE __attribute__((noinline, unused))
#define BENCH_UNUSED __attribute__((unused))

/* Repeats per library and case; medians are taken over these. */
#define BENCH_REPEATS 21

#define BENCH_DIE(...)                                                         \
	do {                                                                   \
		fprintf(stderr, "bench: " __VA_ARGS__);                        \
		fprintf(stderr, "\n");                                         \
		exit(2);                                                       \
	} while (0)

/*
 * The command line, before anything is created: -h or --help anywhere
 * prints "usage: PROG <usage>" on stdout and exits 0; an argument that
 * starts with '-' where a file or directory is expected is an unknown
 * option (bench_positional). Every program here calls bench_help first.
 */
BENCH_UNUSED
static void bench_help(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: %s %s\n", argv[0], usage);
			exit(0);
		}
}

/* argv[i..argc): at most `max` positional arguments, none an option. */
BENCH_UNUSED
static void bench_positional(int argc, char **argv, int i, int max, const char *usage)
{
	for (int k = i; k < argc; k++)
		if (argv[k][0] == '-' || k - i >= max) {
			fprintf(stderr, "bench: %s '%s'\nusage: %s %s\n",
			        argv[k][0] == '-' ? "unknown option"
			                          : "extra argument",
			        argv[k], argv[0], usage);
			exit(2);
		}
}

static inline double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

BENCH_UNUSED
static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of n values; sorts v in place. */
BENCH_UNUSED
static double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/*
 * One result line on stdout. `ratio` is computed by the caller so that
 * higher is always better for hoop (hoop/baseline for rates,
 * baseline/hoop for costs).
 */
BENCH_UNUSED
static void bench_emit(const char *name, const char *unit, double hoop,
                       double base, double ratio)
{
	printf("{\"case\": \"%s\", \"unit\": \"%s\", \"hoop\": %.6g, "
	       "\"baseline\": \"liburing\", \"baseline_value\": %.6g, "
	       "\"ratio\": %.4f}\n",
	       name, unit, hoop, base, ratio);
	fflush(stdout);
}

/* The spread of one library's repeats, for the human on stderr. */
BENCH_UNUSED
static void bench_note(const char *name, const char *lib, const double *v,
                       int n, const char *unit)
{
	double lo = v[0], hi = v[0];
	for (int i = 1; i < n; i++) {
		if (v[i] < lo)
			lo = v[i];
		if (v[i] > hi)
			hi = v[i];
	}
	fprintf(stderr, "  %-22s %-8s min %.4g max %.4g %s (%d runs)\n", name,
	        lib, lo, hi, unit, n);
}

/*
 * The per-run seconds target; HOOP_BENCH_SECONDS overrides (the whole core
 * bench takes about 40 x this plus file setup).
 */
BENCH_UNUSED
static double bench_seconds(void)
{
	const char *s = getenv("HOOP_BENCH_SECONDS");
	double v = s ? atof(s) : 0.0;
	return v > 0.0 ? v : 0.1;
}

/* One timed run of `ops` operations with library `lib` (0 hoop, 1 liburing). */
typedef void (*bench_run_fn)(void *ctx, int lib, long ops);

BENCH_UNUSED
static double bench_time(bench_run_fn run, void *ctx, int lib, long ops)
{
	double t0 = bench_now();
	run(ctx, lib, ops);
	return bench_now() - t0;
}

/*
 * A throughput case: calibrate the op count on hoop so a run takes about
 * bench_seconds(), warm both up once, then BENCH_REPEATS runs of each in
 * strict alternation (hoop, liburing, hoop, ...). Emits the median rate of
 * each library in ops/s, their ratio (so the ratio agrees with the two
 * values shown), and as ratio_min and ratio_max the spread of hoop/liburing
 * over adjacent runs (each liburing run against the hoop run before and
 * after it, which see nearly the same load on a shared machine).
 * `grain` is the op count granularity (the batch size).
 */
static void bench_case(const char *name, bench_run_fn run, void *ctx, long grain)
{
	long ops = grain * 64;
	double t;
	while ((t = bench_time(run, ctx, 0, ops)) < 0.02)
		ops *= 4;
	ops = (long)((double)ops * bench_seconds() / t);
	ops = ops / grain * grain;
	if (ops < grain)
		ops = grain;
	bench_time(run, ctx, 1, ops / 4 / grain * grain + grain);

	double h[BENCH_REPEATS], b[BENCH_REPEATS], r[2 * BENCH_REPEATS];
	int nr = 0;
	for (int i = 0; i < BENCH_REPEATS; i++) {
		h[i] = (double)ops / bench_time(run, ctx, 0, ops);
		b[i] = (double)ops / bench_time(run, ctx, 1, ops);
		r[nr++] = h[i] / b[i];
		if (i > 0)
			r[nr++] = h[i] / b[i - 1];
	}
	bench_note(name, "hoop", h, BENCH_REPEATS, "ops/s");
	bench_note(name, "liburing", b, BENCH_REPEATS, "ops/s");
	double mh = bench_median(h, BENCH_REPEATS);
	double mb = bench_median(b, BENCH_REPEATS);
	double lo = r[0], hi = r[0];
	for (int i = 1; i < nr; i++) {
		if (r[i] < lo)
			lo = r[i];
		if (r[i] > hi)
			hi = r[i];
	}
	printf("{\"case\": \"%s\", \"unit\": \"ops/s\", \"hoop\": %.6g, "
	       "\"baseline\": \"liburing\", \"baseline_value\": %.6g, "
	       "\"ratio\": %.4f, \"ratio_min\": %.4f, \"ratio_max\": %.4f}\n",
	       name, mh, mb, mh / mb, lo, hi);
	fflush(stdout);
}

/* xorshift64: the same offset sequence for both libraries. */
static inline uint64_t bench_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/*
 * Open (creating if needed) a file of exactly `size` bytes at `path`, read
 * it through once so that it sits in the page cache, and check with
 * mincore() that it does. Returns the fd (O_RDONLY).
 */
BENCH_UNUSED
static int bench_cached_file(const char *path, off_t size)
{
	struct stat st;
	size_t chunk = 1u << 20;
	char *buf = malloc(chunk);
	if (!buf)
		BENCH_DIE("out of memory");
	if (stat(path, &st) != 0 || st.st_size != size) {
		fprintf(stderr, "bench: creating %s (%lld MiB)\n", path,
		        (long long)(size >> 20));
		int wfd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (wfd < 0)
			BENCH_DIE("create %s: %s", path, strerror(errno));
		for (size_t i = 0; i < chunk; i++)
			buf[i] = (char)(i * 31 + 7);
		for (off_t done = 0; done < size; done += (off_t)chunk) {
			if (write(wfd, buf, chunk) != (ssize_t)chunk)
				BENCH_DIE("write %s: %s", path, strerror(errno));
		}
		close(wfd);
	}
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		BENCH_DIE("open %s: %s", path, strerror(errno));
	/*
	 * Read it through and confirm residency rather than hope for it. Other
	 * work on the machine can push pages out while we read (seen in a CI
	 * run at 98.8%), so read it through again, up to three times, before
	 * giving up.
	 */
	for (int attempt = 1;; attempt++) {
		for (off_t done = 0; done < size; done += (off_t)chunk) {
			if (pread(fd, buf, chunk, done) != (ssize_t)chunk)
				BENCH_DIE("read %s: %s", path, strerror(errno));
		}
		void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			break;
		long page = sysconf(_SC_PAGESIZE);
		size_t pages = (size_t)size / (size_t)page;
		unsigned char *vec = malloc(pages);
		size_t in = pages;
		if (vec && mincore(map, (size_t)size, vec) == 0) {
			in = 0;
			for (size_t i = 0; i < pages; i++)
				in += vec[i] & 1;
			fprintf(stderr, "bench: %s: %.1f%% in page cache\n",
			        path, 100.0 * (double)in / (double)pages);
		}
		free(vec);
		munmap(map, (size_t)size);
		if (in >= pages * 99 / 100)
			break;
		if (attempt == 3)
			BENCH_DIE("%s is not cached after %d reads; is memory "
			          "short?",
			          path, attempt);
	}
	free(buf);
	return fd;
}

/*
 * Instruction counts: re-run this program as
 *   valgrind --tool=callgrind --toggle-collect=<fn> <self> <args...>
 * so that only instructions executed inside `fn` (and what it calls, in
 * user space: the library's code, PLT stubs, libc's syscall wrapper) are
 * counted; ring setup is outside `fn` and excluded. Returns the total Ir,
 * or -1 if valgrind is unavailable or failed.
 */
BENCH_UNUSED
static long long bench_callgrind_ir(const char *self, const char *fn,
                                    char *const args[])
{
	char outfile[] = "/tmp/hoop-bench-cg.XXXXXX";
	int ofd = mkstemp(outfile);
	if (ofd < 0)
		return -1;
	close(ofd);
	char toggle[256], out_opt[300];
	snprintf(toggle, sizeof(toggle), "--toggle-collect=%s", fn);
	snprintf(out_opt, sizeof(out_opt), "--callgrind-out-file=%s", outfile);

	char *argv[32];
	int n = 0;
	argv[n++] = "valgrind";
	argv[n++] = "--tool=callgrind";
	argv[n++] = "--quiet";
	argv[n++] = toggle;
	argv[n++] = out_opt;
	argv[n++] = (char *)self;
	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;

	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, STDOUT_FILENO);
		execvp("valgrind", argv);
		_exit(127);
	}
	int status;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		unlink(outfile);
		return -1;
	}
	/* The "summary:" line holds the total of the collected events. */
	long long ir = -1;
	FILE *f = fopen(outfile, "r");
	if (f) {
		char line[512];
		while (fgets(line, sizeof(line), f)) {
			if (strncmp(line, "summary:", 8) == 0 ||
			    strncmp(line, "totals:", 7) == 0)
				ir = strtoll(line + (line[0] == 's' ? 8 : 7),
				             NULL, 10);
		}
		fclose(f);
	}
	if (getenv("HOOP_BENCH_KEEP_CALLGRIND"))
		fprintf(stderr, "bench: callgrind output kept in %s\n", outfile);
	else
		unlink(outfile);
	return ir;
}

#endif
