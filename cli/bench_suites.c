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
        {"go", "the Go package vs os.File and net", S_GO, NULL, {0}, {0}, 0, 240},
        {"cp", "hoop cp vs cp and dd", S_CP, NULL, {0}, {0}, 25, 240},
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

/* The Go suite's socket benchmarks and how many alternating rounds of
 * them (go/run_bench.sh runs the same with HOOP_BENCH_FILTER='Echo|HTTP'). */
#define GO_SOCKETS "Echo|HTTP"
#define GO_ROUNDS 7

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

/* Go: parse `go test -bench` lines into rows. Each line is one run of one
 * benchmark: its name, ns/op and, where it reports them, cpu-ns/op and
 * req/s (NAN if not). A name seen again (-count) is the next round. */
struct go_result {
	char name[64];
	double ns, cpu_ns, reqs;
};
#define GO_MAX_RESULTS 96
static struct go_result go_results[GO_MAX_RESULTS];
static int go_nresults;

static void go_line(struct bench *b, const char *suite, const char *line)
{
	(void)b;
	(void)suite;
	char name[128];
	long iters;
	int used = 0;
	if (strncmp(line, "Benchmark", 9) != 0 ||
	    sscanf(line, "%127s %ld%n", name, &iters, &used) != 2 ||
	    go_nresults >= GO_MAX_RESULTS)
		return;
	char *dash = strrchr(name, '-'); /* the GOMAXPROCS suffix */
	if (dash)
		*dash = '\0';
	struct go_result r = {.ns = NAN, .cpu_ns = NAN, .reqs = NAN};
	cli_copy(r.name, sizeof(r.name), name + 9);
	/* The metrics: "value unit" pairs. */
	for (const char *p = line + used;;) {
		double v;
		char unit[32];
		int k = 0;
		if (sscanf(p, "%lf %31s%n", &v, unit, &k) != 2)
			break;
		p += k;
		if (strcmp(unit, "ns/op") == 0)
			r.ns = v;
		else if (strcmp(unit, "cpu-ns/op") == 0)
			r.cpu_ns = v;
		else if (strcmp(unit, "req/s") == 0)
			r.reqs = v;
	}
	if (!isnan(r.ns))
		go_results[go_nresults++] = r;
}

/* The value `what` of a result: 'n' ns/op, 'c' cpu-ns/op, 'r' req/s. */
static double go_value(const struct go_result *r, char what)
{
	return what == 'n' ? r->ns : what == 'c' ? r->cpu_ns : r->reqs;
}

/* One compared row from the rounds of hoop's and the baseline's benchmark
 * (their i-th runs pair up: one round is one go test process, which runs
 * both back to back), the value taken by `what` and multiplied by `scale` (a rate of
 * ns/op is scale / ns). */
static void go_pair(struct bench *b, const char *row, const char *unit,
                    const char *hoop, const char *base, const char *base_name,
                    char what, double scale, int inverse)
{
	double h[GO_MAX_RESULTS], o[GO_MAX_RESULTS];
	int nh = 0, no = 0;
	for (int i = 0; i < go_nresults; i++) {
		double v = go_value(&go_results[i], what);
		if (isnan(v) || v <= 0)
			continue;
		v = inverse ? scale / v : v * scale;
		if (strcmp(go_results[i].name, hoop) == 0)
			h[nh++] = v;
		else if (strcmp(go_results[i].name, base) == 0)
			o[no++] = v;
	}
	int n = nh < no ? nh : no;
	if (n > 0)
		bench_emit_repeats(b, "go", row, unit, h, base_name, o, n);
}

/* The benchmarks that are compared with a baseline, as rows. */
static const struct go_row {
	const char *row, *unit, *hoop, *base, *base_name;
	char what;
	double scale;
	int inverse;
} go_rows[] = {
        {"go_readat_64goroutines", "reads/s", "ReadAt64Goroutines/hoop",
         "ReadAt64Goroutines/os", "os.File.ReadAt", 'n', 1e9, 1},
        {"go_readat_64goroutines_file", "reads/s", "ReadAt64Goroutines/hoop-file",
         "ReadAt64Goroutines/os", "os.File.ReadAt", 'n', 1e9, 1},
        {"go_readat_1goroutine", "reads/s", "ReadAt1Goroutine/hoop",
         "ReadAt1Goroutine/os", "os.File.ReadAt", 'n', 1e9, 1},
        {"go_readat_1goroutine_file", "reads/s", "ReadAt1Goroutine/hoop-file",
         "ReadAt1Goroutine/os", "os.File.ReadAt", 'n', 1e9, 1},
        {"go_echo_c64_64B", "rt/s", "Echo/hoop/64B", "Echo/net/64B", "net", 'n',
         1e9, 1},
        {"go_echo_c64_64B_cpu", "us/rt", "Echo/hoop/64B", "Echo/net/64B", "net",
         'c', 1e-3, 0},
        {"go_echo_c64_4096B", "rt/s", "Echo/hoop/4096B", "Echo/net/4096B",
         "net", 'n', 1e9, 1},
        {"go_echo_c64_4096B_cpu", "us/rt", "Echo/hoop/4096B", "Echo/net/4096B",
         "net", 'c', 1e-3, 0},
        {"go_http_c64", "req/s", "HTTP/hoop", "HTTP/net", "net", 'r', 1, 0},
        {"go_http_c64_server_cpu", "us/req", "HTTP/hoop", "HTTP/net", "net",
         'c', 1e-3, 0},
        {"go_deadline_clear_cpu", "ns/op", "DeadlineClear/hoop",
         "DeadlineClear/net", "net", 'c', 1, 0},
        {"go_echo_c64_64B_ring", "rt/s", "Echo/hoop-ring/64B", "Echo/net/64B",
         "net", 'n', 1e9, 1},
        {"go_echo_c64_4096B_ring", "rt/s", "Echo/hoop-ring/4096B",
         "Echo/net/4096B", "net", 'n', 1e9, 1},
        {"go_http_c64_ring", "req/s", "HTTP/hoop-ring", "HTTP/net", "net", 'r',
         1, 0},
};
#define GO_NROWS (sizeof(go_rows) / sizeof(go_rows[0]))

/* Whether benchmark `name` belongs to a compared row. */
static int go_compared(const char *name)
{
	for (size_t i = 0; i < GO_NROWS; i++)
		if (strcmp(name, go_rows[i].hoop) == 0 ||
		    strcmp(name, go_rows[i].base) == 0)
			return 1;
	return 0;
}

static void go_emit(struct bench *b)
{
	for (size_t i = 0; i < GO_NROWS; i++) {
		const struct go_row *r = &go_rows[i];
		go_pair(b, r->row, r->unit, r->hoop, r->base, r->base_name,
		        r->what, r->scale, r->inverse);
	}
	/* The others, ns/op of their first run, without a baseline. */
	for (int i = 0; i < go_nresults; i++) {
		const char *n = go_results[i].name;
		int first = 1;
		for (int j = 0; j < i; j++)
			if (strcmp(go_results[j].name, n) == 0)
				first = 0;
		if (!first || go_compared(n))
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
		/* Every benchmark once, then the socket comparisons (hoop's
		 * Listen vs net.Listen) in GO_ROUNDS rounds, one go test each
		 * (-count would repeat hoop's side before net's): each round
		 * runs both back to back, net's first in every other round
		 * (HOOP_BENCH_NET_FIRST), so neither is always the first in a
		 * fresh process. */
		char *argv[] = {go,           "test",  "-run",  "^$",
		                "-bench",     ".",     "-skip", GO_SOCKETS,
		                "-benchtime", "300ms", NULL};
		go_nresults = 0;
		st = bench_run_child(b, argv, dir, limit, go_line, s->name);
		for (int i = 0; st == 0 && i < GO_ROUNDS; i++) {
			double left = limit - (cli_now() - t0);
			char *argv2[] = {"/usr/bin/env",
			                 i % 2 ? "HOOP_BENCH_NET_FIRST=1"
			                       : "HOOP_BENCH_NET_FIRST=0",
			                 go,
			                 "test",
			                 "-run",
			                 "^$",
			                 "-bench",
			                 GO_SOCKETS,
			                 "-benchtime",
			                 "300ms",
			                 NULL};
			if (left < 1)
				break;
			st = bench_run_child(b, argv2, dir, left, go_line, s->name);
		}
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
