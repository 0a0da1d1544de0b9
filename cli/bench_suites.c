/*
 * cli/bench_suites.c - what `hoop bench` runs: the table of suites, each
 * with its time limits and its arguments in --quick and by default; the
 * bench/ programs, the Python and Go suites run here, the cp suite
 * (bench_cp.c) and the networking suite (bench_net.c) are called from
 * here. Progress on stderr, one line per suite and one when it is over.
 */
#include "cli.h"
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum suite_kind { S_EXEC, S_PYTHON, S_GO, S_CP, S_NET };

struct suite {
	const char *name;
	const char *what;
	enum suite_kind kind;
	const char *prog;           /* S_EXEC: program in bench_dir */
	const char *quick[4];       /* its arguments in --quick */
	const char *full[4];        /* and by default */
	double quick_cap, full_cap; /* time limits; 0: not run in that mode */
};

static const struct suite suites[] = {
        {"core-nop",
         "NOPs, hoop_ring vs liburing",
         S_EXEC,
         "bench_nop",
         {"throughput"},
         {"throughput"},
         15,
         60},
        {"core-read",
         "4 KiB cached reads, hoop_ring vs liburing",
         S_EXEC,
         "bench_read",
         {0},
         {0},
         40,
         90},
        {"engine-threads",
         "threads sharing one engine vs pread",
         S_EXEC,
         "bench_engine_threads",
         {"-t", "16"},
         {"-t", "1,4,16,64"},
         15,
         120},
        {"engine-direct",
         "O_DIRECT reads: queue vs thread pool",
         S_EXEC,
         "bench_engine_direct",
         {"-d", "128"},
         {"-d", "32,128"},
         15,
         120},
        {"engine-nop",
         "engine and queue overhead per NOP",
         S_EXEC,
         "bench_engine_nop",
         {"batch", "latency"},
         {"batch", "latency"},
         10,
         60},
        {"read-files",
         "many small files: hoop_read_files vs open/read/close",
         S_EXEC,
         "bench_read_files",
         {"-n", "2000"},
         {0},
         15,
         60},
        {"net", "loopback echo vs epoll, HTTP vs nginx", S_NET, NULL, {0}, {0}, 20, 120},
        {"python",
         "the Python package vs os.pread and asyncio",
         S_PYTHON,
         NULL,
         {"--rounds", "40"},
         {"--rounds", "300"},
         20,
         120},
        {"go", "the Go package vs os.File", S_GO, NULL, {0}, {0}, 0, 180},
        {"cp", "hoop cp vs cp and dd", S_CP, NULL, {0}, {0}, 25, 240},
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

static void progress(struct bench *b, int i, int n, const struct suite *s)
{
	fprintf(stderr, "hoop bench: [%d/%d] %-15s %s ...\n", i, n, s->name,
	        s->what);
	if (b->nran < MAX_RAN) {
		struct ran *r = &b->ran[b->nran++];
		memset(r, 0, sizeof(*r));
		cli_copy(r->name, sizeof(r->name), s->name);
		cli_copy(r->what, sizeof(r->what), s->what);
	}
}

/* A suite is over: print (and keep, for --markdown) what became of it. */
static void progress_done(struct bench *b, double t, int rows, const char *note)
{
	if (note && rows)
		fprintf(stderr, "               %d result%s in %.1f s; %s\n",
		        rows, rows == 1 ? "" : "s", t, note);
	else if (note)
		fprintf(stderr, "               %s (%.1f s)\n", note, t);
	else
		fprintf(stderr, "               %d result%s in %.1f s\n", rows,
		        rows == 1 ? "" : "s", t);
	if (b->nran > 0) {
		struct ran *r = &b->ran[b->nran - 1];
		r->secs = t;
		r->rows = rows;
		cli_copy(r->note, sizeof(r->note), note ? note : "");
	}
}

static int wanted(const struct bench *b, const char *name)
{
	if (!b->only)
		return 1;
	size_t n = strlen(name);
	for (const char *p = b->only; (p = strstr(p, name)); p += n)
		if ((p == b->only || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return 1;
	return 0;
}

/* Pick the Python that has the hoop package: $HOOP_PYTHON, the tests'
 * virtualenv in this build tree, then python3. */
static int find_python(struct bench *b, char *out, size_t len)
{
	char cand[3][1100];
	_Static_assert(sizeof(cand[0]) > sizeof(b->exe_dir) + 32, "room");
	int n = 0;
	const char *env = getenv("HOOP_PYTHON");
	if (env && *env)
		cli_copy(cand[n++], sizeof(cand[0]), env);
	snprintf(cand[n++], sizeof(cand[0]), "%s/../tests/pyvenv/bin/python",
	         b->exe_dir);
	snprintf(cand[n++], sizeof(cand[0]), "python3");
	for (int i = 0; i < n; i++) {
		if (strchr(cand[i], '/') && !bench_is_exec(cand[i]))
			continue;
		char *argv[] = {cand[i], "-c", "import hoop, hoop.asyncio", NULL};
		if (bench_run_child(b, argv, "/", 20, NULL, "python") == 0) {
			cli_copy(out, len, cand[i]);
			return 1;
		}
	}
	return 0;
}

/* Go: parse `go test -bench` lines into rows. */
struct go_result {
	char name[64];
	double ns;
};
static struct go_result go_results[32];
static int go_nresults;

static void go_line(struct bench *b, const char *suite, const char *line)
{
	(void)b;
	(void)suite;
	char name[128];
	long iters;
	double ns;
	if (strncmp(line, "Benchmark", 9) != 0 ||
	    sscanf(line, "%127s %ld %lf ns/op", name, &iters, &ns) != 3)
		return;
	char *dash = strrchr(name, '-'); /* the GOMAXPROCS suffix */
	if (dash)
		*dash = '\0';
	if (go_nresults < 32) {
		cli_copy(go_results[go_nresults].name,
		         sizeof(go_results[0].name), name + 9);
		go_results[go_nresults++].ns = ns;
	}
}

static double go_find(const char *name)
{
	for (int i = 0; i < go_nresults; i++)
		if (strcmp(go_results[i].name, name) == 0)
			return go_results[i].ns;
	return NAN;
}

static void go_emit(struct bench *b)
{
	double h = go_find("ReadAt64Goroutines/hoop");
	double o = go_find("ReadAt64Goroutines/os");
	if (!isnan(h) && !isnan(o))
		bench_emit(b, "go", "go_readat_64goroutines", "reads/s",
		           1e9 / h, "os.File.ReadAt", 1e9 / o, NAN, NAN);
	for (int i = 0; i < go_nresults; i++) {
		const char *n = go_results[i].name;
		if (strncmp(n, "ReadAt64Goroutines", 18) == 0)
			continue;
		char name[80] = "go_";
		cli_copy(name + 3, sizeof(name) - 3, n);
		for (char *p = name; *p; p++)
			if (*p == '/')
				*p = '_';
		bench_emit(b, "go", name, "ns/op", go_results[i].ns, NULL, 0,
		           NAN, NAN);
	}
}

void bench_list_suites(struct bench *b)
{
	for (size_t i = 0; i < NSUITES; i++) {
		const struct suite *s = &suites[i];
		char where[1200];
		switch (s->kind) {
		case S_EXEC:
			snprintf(where, sizeof(where), "%s/%s", b->bench_dir,
			         s->prog);
			if (!bench_is_exec(where))
				strncat(where, " (missing)",
				        sizeof(where) - strlen(where) - 1);
			break;
		case S_PYTHON:
			snprintf(where, sizeof(where),
			         "%s/python/bench/bench_py.py", b->src_dir);
			break;
		case S_GO:
			snprintf(where, sizeof(where),
			         "go test -bench in %s/go", b->src_dir);
			break;
		case S_CP:
			snprintf(where, sizeof(where), "built in");
			break;
		case S_NET:
			snprintf(where, sizeof(where),
			         "%s/bench_echo_{client,epoll}; wrk, nginx",
			         b->bench_dir);
			break;
		}
		printf("%-15s %-45s %s%s\n", s->name, s->what, where,
		       s->quick_cap ? "" : " (not with --quick)");
	}
}

static int run_suite(struct bench *b, const struct suite *s, int idx, int n)
{
	double cap = b->quick ? s->quick_cap : s->full_cap;
	double left = b->deadline - cli_now();
	double limit = cap < left ? cap : left;
	int before = b->nrows;
	double t0 = cli_now();
	char path[1200], py[1100];
	int st;

	progress(b, idx, n, s);
	if (limit < 2) {
		progress_done(b, 0, 0, "skipped: out of time");
		return 1;
	}
	switch (s->kind) {
	case S_EXEC: {
		snprintf(path, sizeof(path), "%s/%s", b->bench_dir, s->prog);
		if (!bench_is_exec(path)) {
			char note[sizeof(b->bench_where) + 200];
			bench_missing_note(b, s->prog, 1, note, sizeof(note));
			progress_done(b, 0, 0, note);
			return 0;
		}
		char *argv[8] = {path};
		const char *const *args = b->quick ? s->quick : s->full;
		for (int i = 0; i < 4 && args[i]; i++)
			argv[i + 1] = (char *)args[i];
		st = bench_run_child(b, argv, NULL, limit, bench_take_line,
		                     s->name);
		break;
	}
	case S_PYTHON: {
		snprintf(path, sizeof(path), "%s/python/bench/bench_py.py",
		         b->src_dir);
		if (access(path, R_OK) != 0) {
			progress_done(b, 0, 0, "skipped: source tree not found");
			return 0;
		}
		if (!find_python(b, py, sizeof(py))) {
			progress_done(b, cli_now() - t0, 0,
			              "skipped: the hoop Python package is not "
			              "installed (pip install ./python)");
			return 0;
		}
		const char *const *args = b->quick ? s->quick : s->full;
		char *argv[] = {py,
		                path,
		                (char *)args[0],
		                (char *)args[1],
		                "--file",
		                b->py_file,
		                NULL};
		bench_own(b, b->py_file);
		st = bench_run_child(b, argv, NULL, limit - (cli_now() - t0),
		                     bench_take_line, s->name);
		break;
	}
	case S_GO: {
		char go[1100], dir[1100];
		snprintf(dir, sizeof(dir), "%s/go", b->src_dir);
		if (access(dir, R_OK) != 0) {
			progress_done(b, 0, 0, "skipped: source tree not found");
			return 0;
		}
		if (!bench_find_program("go", "/usr/local/go/bin", go, sizeof(go))) {
			progress_done(b, 0, 0, "skipped: Go is not installed");
			return 0;
		}
		char *argv[] = {go,  "test",       "-run",  "^$", "-bench",
		                ".", "-benchtime", "300ms", NULL};
		go_nresults = 0;
		st = bench_run_child(b, argv, dir, limit, go_line, s->name);
		go_emit(b);
		break;
	}
	case S_NET: {
		char note[600];
		st = bench_suite_net(b, limit, note, sizeof(note));
		if (st == 0 && note[0]) {
			progress_done(b, cli_now() - t0, b->nrows - before, note);
			return 0;
		}
		break;
	}
	case S_CP:
		st = bench_suite_cp(b, limit);
		if (st > 0)
			st = 0;
		break;
	default:
		st = -EINVAL;
	}
	double dt = cli_now() - t0;
	int got = b->nrows - before;
	if (st == -ETIME) {
		char note[128];
		snprintf(note, sizeof(note),
		         "stopped at its time limit, %d result%s kept", got,
		         got == 1 ? "" : "s");
		progress_done(b, dt, got, note);
		return 1;
	}
	if (st == -EINTR)
		return 1;
	if (st != 0) {
		char note[sizeof(b->log_path) + 100];
		snprintf(note, sizeof(note),
		         "failed (status %d); its messages are in %s", st,
		         b->log_path);
		b->log_named = 1;
		progress_done(b, dt, got, note);
		return 1;
	}
	progress_done(b, dt, got, NULL);
	return 0;
}

int bench_suite_exists(const char *name, size_t n)
{
	for (size_t i = 0; i < NSUITES; i++)
		if (strlen(suites[i].name) == n &&
		    strncmp(name, suites[i].name, n) == 0)
			return 1;
	return 0;
}

/* Whether suite s runs in this run: asked for, and run in this mode. */
static int runs(const struct bench *b, const struct suite *s)
{
	return wanted(b, s->name) && (b->quick ? s->quick_cap : s->full_cap) > 0;
}

int bench_count_suites(const struct bench *b)
{
	int n = 0;
	for (size_t i = 0; i < NSUITES; i++)
		n += runs(b, &suites[i]);
	return n;
}

int bench_run_suites(struct bench *b)
{
	int n = bench_count_suites(b), idx = 0, failed = 0;
	for (size_t i = 0; i < NSUITES && !bench_stop; i++)
		if (runs(b, &suites[i]))
			failed |= run_suite(b, &suites[i], ++idx, n);
	return failed;
}
