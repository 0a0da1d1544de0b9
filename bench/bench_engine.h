/*
 * bench/bench_engine.h - plumbing shared by the engine and queue benches
 * (bench_engine_*.c), on top of bench_common.h: the JSON line with a named
 * baseline, alternating repeats, CPU time, percentiles, engine metrics.
 *
 * Everything here is static: each bench program is one translation unit.
 */
#ifndef HOOP_BENCH_ENGINE_H
#define HOOP_BENCH_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>

#include "hoop.h"
/* bench_case() there is for the core benches; these do not use it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "bench_common.h"
#pragma GCC diagnostic pop

#define BE_READ_SIZE 4096u
#define BE_FILE_SIZE (1ll << 30)
#define BE_MAX_IMPLS 4
#define BE_MAX_REPEATS 64

/*
 * One result line on stdout, the format of bench_common.h's bench_emit but
 * with the baseline named: `ratio` is computed by the caller so that higher
 * is better for hoop.
 */
BENCH_UNUSED
static void be_emit(const char *name, const char *unit, double hoop,
                    const char *baseline, double base, double ratio)
{
	printf("{\"case\": \"%s\", \"unit\": \"%s\", \"hoop\": %.6g, "
	       "\"baseline\": \"%s\", \"baseline_value\": %.6g, "
	       "\"ratio\": %.4f}\n",
	       name, unit, hoop, baseline, base, ratio);
	fflush(stdout);
}

/* Alternating repeats per case: HOOP_BENCH_REPEATS, at least 5. */
BENCH_UNUSED
static int be_repeats(void)
{
	const char *s = getenv("HOOP_BENCH_REPEATS");
	int n = s ? atoi(s) : 0;
	if (n < 5)
		n = 5;
	return n > BE_MAX_REPEATS ? BE_MAX_REPEATS : n;
}

/* Seconds per timed run: HOOP_BENCH_SECONDS scaled by `scale`. */
BENCH_UNUSED
static double be_seconds(double scale) { return bench_seconds() * scale; }

/* One timed run of implementation `impl`; returns the measured value. */
typedef double (*be_run_fn)(void *ctx, int impl);

BENCH_UNUSED
static struct hoop_engine_metrics be_metrics(hoop_engine *e)
{
	struct hoop_engine_metrics m;
	if (hoop_engine_get_metrics(e, &m, sizeof(m)) < 0)
		BENCH_DIE("hoop_engine_get_metrics");
	return m;
}

/*
 * Run `nimpl` implementations in strict alternation (0, 1, ..., 0, 1, ...),
 * after one untimed warm-up run of each, `reps` rounds: v[impl][round].
 * Adjacent runs see nearly the same machine load, so per-round ratios are
 * steadier on a shared machine than ratios of medians. If `e` is not NULL,
 * m[0] and m[1] receive its counters before and after.
 */
BENCH_UNUSED
static void be_alternate(be_run_fn run, void *ctx, int nimpl, int reps,
                         double v[][BE_MAX_REPEATS], hoop_engine *e,
                         struct hoop_engine_metrics *m)
{
	if (e)
		m[0] = be_metrics(e);
	for (int i = 0; i < nimpl; i++)
		run(ctx, i);
	for (int r = 0; r < reps; r++)
		for (int i = 0; i < nimpl; i++)
			v[i][r] = run(ctx, i);
	if (e)
		m[1] = be_metrics(e);
}

/*
 * The lowest and highest per-round ratio a[r]/b[r] (invert: b[r]/a[r]).
 */
BENCH_UNUSED
static void be_ratio_spread(const double *a, const double *b, int reps,
                            int invert, double *lo, double *hi)
{
	for (int i = 0; i < reps; i++) {
		double r = invert ? b[i] / a[i] : a[i] / b[i];
		if (i == 0 || r < *lo)
			*lo = r;
		if (i == 0 || r > *hi)
			*hi = r;
	}
}

/* Median of n values, leaving v untouched. */
BENCH_UNUSED
static double be_median(const double *v, int n)
{
	double c[BE_MAX_REPEATS];
	memcpy(c, v, (size_t)n * sizeof(*v));
	return bench_median(c, n);
}

/*
 * Emit one case: medians of hoop and base, their ratio, and the spread of
 * the per-round ratios (ratio_min, ratio_max). The case's name is `fmt`
 * formatted with `k` (a thread count or a depth).
 */
BENCH_UNUSED
static void be_emit_pair(const char *fmt, unsigned k, const char *unit,
                         const double *h, const char *baseline, const double *b,
                         int reps, int lower_is_better)
{
	char name[96];
	snprintf(name, sizeof(name), fmt, k);
	bench_note(name, "hoop", h, reps, unit);
	bench_note(name, baseline, b, reps, unit);
	double mh = be_median(h, reps), mb = be_median(b, reps), lo = 0, hi = 0;
	be_ratio_spread(h, b, reps, lower_is_better, &lo, &hi);
	printf("{\"case\": \"%s\", \"unit\": \"%s\", \"hoop\": %.6g, "
	       "\"baseline\": \"%s\", \"baseline_value\": %.6g, "
	       "\"ratio\": %.4f, \"ratio_min\": %.4f, \"ratio_max\": %.4f}\n",
	       name, unit, mh, baseline, mb,
	       lower_is_better ? mb / mh : mh / mb, lo, hi);
	fflush(stdout);
}

/* User + system CPU seconds of the whole process (all its threads). */
BENCH_UNUSED
static double be_cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

BENCH_UNUSED
static int be_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* The p-th percentile (0..100) of n samples; sorts them in place. */
BENCH_UNUSED
static double be_percentile(uint64_t *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), be_cmp_u64);
	size_t k = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return (double)v[k < n ? k : n - 1];
}

BENCH_UNUSED
static uint64_t be_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * An engine for a bench; HOOP_BENCH_ENGINE_FLAGS (a number, e.g. 2 for
 * HOOP_ENGINE_NO_INLINE) is OR-ed into its flags, to measure one engine
 * change against the same build.
 */
BENCH_UNUSED
static hoop_engine *be_engine(const hoop_engine_params *p)
{
	hoop_engine *e;
	hoop_engine_params q;
	if (p)
		q = *p;
	else
		memset(&q, 0, sizeof(q));
	const char *fl = getenv("HOOP_BENCH_ENGINE_FLAGS");
	if (fl)
		q.flags |= (uint32_t)strtoul(fl, NULL, 0);
	int r = hoop_engine_create(&e, &q);
	if (r < 0)
		BENCH_DIE("hoop_engine_create: %s", hoop_strerror(r));
	return e;
}

/*
 * The engine's counters between two snapshots, as one JSON line on stdout
 * ({"metrics": name, ...}; no "case" key, so table makers skip it) and a
 * readable line on stderr.
 */
BENCH_UNUSED
static void be_emit_metrics(const char *name, const struct hoop_engine_metrics *a,
                            const struct hoop_engine_metrics *b)
{
	double ops = (double)(b->completed - a->completed);
	double enters = (double)(b->enters - a->enters);
	double sqes = (double)(b->sqes_entered - a->sqes_entered);
	double wake = (double)(b->wakeups - a->wakeups);
	double rw = (double)(b->reaps_by_waiters - a->reaps_by_waiters);
	double rt = (double)(b->reaps_by_thread - a->reaps_by_thread);
	double blocked = (double)(b->submit_blocked - a->submit_blocked);
	double per = ops > 0 ? ops : 1;
	printf("{\"metrics\": \"%s\", \"ops\": %.0f, \"enters\": %.0f, "
	       "\"sqes_per_enter\": %.3f, \"wakeups\": %.0f, "
	       "\"wakeups_per_op\": %.4f, \"reaps_by_waiters\": %.0f, "
	       "\"reaps_by_thread\": %.0f, \"submit_blocked\": %.0f}\n",
	       name, ops, enters, enters > 0 ? sqes / enters : 0.0, wake,
	       wake / per, rw, rt, blocked);
	fflush(stdout);
	fprintf(stderr,
	        "  metrics %s: %.0f ops, %.0f enters (%.2f SQEs each), %.0f "
	        "wakeups (%.3f/op), reaped by waiters %.0f, by thread %.0f, "
	        "submitters blocked %.0f\n",
	        name, ops, enters, enters > 0 ? sqes / enters : 0.0, wake,
	        wake / per, rw, rt, blocked);
}

/* Parse "1,4,16,64" into v[] (each 1..hi); returns the count. */
BENCH_UNUSED
static unsigned be_parse_list(const char *s, unsigned *v, unsigned max, long hi)
{
	unsigned n = 0;
	while (*s && n < max) {
		char *end;
		long x = strtol(s, &end, 10);
		if (end == s || x < 1 || x > hi || (*end && *end != ','))
			BENCH_DIE("bad list of counts: %s", s);
		v[n++] = (unsigned)x;
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

/*
 * Options shared by the benches: `listopt` LIST (e.g. -t 1,4 or -d 32,128)
 * replaces list[] and sets *nlist; -o NAME sets *only to the index of NAME
 * in names[] (run that implementation alone, for profiling). Returns the
 * index of the first argument after the options.
 */
BENCH_UNUSED
static int be_options(int argc, char **argv, const char *listopt,
                      unsigned *list, unsigned *nlist, unsigned max, long hi,
                      const char *const *names, int nnames, int *only)
{
	int argi = 1;
	*only = -1;
	while (argc > argi + 1 && argv[argi][0] == '-') {
		const char *val = argv[argi + 1];
		if (strcmp(argv[argi], listopt) == 0) {
			*nlist = be_parse_list(val, list, max, hi);
		} else if (strcmp(argv[argi], "-o") == 0) {
			for (int i = 0; i < nnames; i++)
				if (strcmp(val, names[i]) == 0)
					*only = i;
			if (*only < 0)
				BENCH_DIE("unknown implementation %s", val);
		} else {
			BENCH_DIE("unknown option %s", argv[argi]);
		}
		argi += 2;
	}
	bench_positional(argc, argv, argi, 1, "(see --help)");
	return argi;
}

/* The bench file's path: argv[1], $HOOP_BENCH_FILE or the core bench's. */
BENCH_UNUSED
static const char *be_file_path(int argc, char **argv, int argi)
{
	const char *path = argc > argi ? argv[argi] : getenv("HOOP_BENCH_FILE");
	return path ? path : "/tmp/hoop-bench-1g.dat";
}

/* A page-aligned 4 KiB buffer (O_DIRECT needs the alignment). */
BENCH_UNUSED
static char *be_buffer(size_t n)
{
	void *p;
	if (posix_memalign(&p, 4096, n * BE_READ_SIZE) != 0)
		BENCH_DIE("out of memory");
	memset(p, 0, n * BE_READ_SIZE);
	return p;
}

/* Block-aligned random offset within the 1 GiB file. */
static inline uint64_t be_offset(uint64_t *seed)
{
	return (bench_rand(seed) % ((uint64_t)BE_FILE_SIZE / BE_READ_SIZE)) *
	       BE_READ_SIZE;
}

#endif
