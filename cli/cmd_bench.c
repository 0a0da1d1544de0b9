/*
 * cli/cmd_bench.c - `hoop bench`: run the side-by-side suites of bench/
 * (hoop against liburing, plain system calls and thread pools), the Python
 * and Go suites when their toolchains and packages are present, and a copy
 * of a file by `hoop cp` against coreutils' cp and dd; print one table of
 * ratios and write every result as a JSON line.
 *
 * The suites are separate programs. They are found in:
 *   - $HOOP_BENCH_DIR, else
 *   - ../bench next to this executable (the build tree: build/X/cli/hoop
 *     runs build/X/bench/bench_*), which is where they are built (those
 *     against liburing when liburing is installed), else
 *   - ../libexec/hoop next to it (HOOP_BENCH_LIBEXEC), where they are
 *     installed.
 * The Python and Go suites come from the source tree this hoop was built
 * from (HOOP_SOURCE_DIR, or $HOOP_SOURCE_DIR). A suite whose program or
 * toolchain is missing is skipped with a note; the cp suite needs nothing.
 *
 * Every child runs in its own process group with a time limit; on timeout
 * or Ctrl-C the group is killed, and the results it printed so far are kept.
 */
#include "cli.h"
#include "bench.h"

#include <hoop.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef HOOP_SOURCE_DIR
#define HOOP_SOURCE_DIR ""
#endif
/* Set by cli/CMakeLists.txt: where bench/ installs its programs, relative
 * to the installed hoop, and what bench/ could build. */
#ifndef HOOP_BENCH_LIBEXEC
#define HOOP_BENCH_LIBEXEC "../libexec/hoop"
#endif
#ifndef HOOP_BENCH_BUILT
#define HOOP_BENCH_BUILT 1
#endif
#ifndef HOOP_BENCH_URING
#define HOOP_BENCH_URING 1
#endif

#define QUICK_BUDGET 55.0 /* seconds, --quick */
#define FULL_BUDGET 570.0 /* seconds, default */

volatile sig_atomic_t bench_stop;

static void on_sigint(int sig)
{
	bench_stop = sig;
}

/* ---- JSON lines: a flat object of string and number values ---- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* Parse a JSON string at p (after the quote) into out; returns the
 * position after the closing quote, or NULL. Escapes are kept simple: \"
 * and \\ and \/ are unescaped, others copied. */
static const char *parse_str(const char *p, char *out, size_t len)
{
	size_t n = 0;
	while (*p && *p != '"') {
		char c = *p++;
		if (c == '\\' && *p)
			c = *p++;
		if (n + 1 < len)
			out[n++] = c;
	}
	out[n] = '\0';
	return *p == '"' ? p + 1 : NULL;
}

/* Fill r from one result line; returns 1 if it is a result row ("case"). */
static int parse_row(const char *line, struct row *r)
{
	const char *p = skip_ws(line);
	int has_case = 0;
	memset(r, 0, sizeof(*r));
	r->hoop = r->base = r->ratio = r->lo = r->hi = NAN;
	if (*p++ != '{')
		return 0;
	for (;;) {
		char key[32], sval[64];
		p = skip_ws(p);
		if (*p == '}')
			break;
		if (*p++ != '"' || !(p = parse_str(p, key, sizeof(key))))
			return 0;
		p = skip_ws(p);
		if (*p++ != ':')
			return 0;
		p = skip_ws(p);
		if (*p == '"') {
			if (!(p = parse_str(p + 1, sval, sizeof(sval))))
				return 0;
			if (strcmp(key, "case") == 0) {
				cli_copy(r->name, sizeof(r->name), sval);
				has_case = 1;
			} else if (strcmp(key, "unit") == 0) {
				cli_copy(r->unit, sizeof(r->unit), sval);
			} else if (strcmp(key, "baseline") == 0) {
				cli_copy(r->baseline, sizeof(r->baseline), sval);
			}
		} else {
			char *end;
			double v = strtod(p, &end);
			if (end == p)
				return 0;
			p = end;
			if (strcmp(key, "hoop") == 0)
				r->hoop = v;
			else if (strcmp(key, "baseline_value") == 0)
				r->base = v;
			else if (strcmp(key, "ratio") == 0)
				r->ratio = v;
			else if (strcmp(key, "ratio_min") == 0)
				r->lo = v;
			else if (strcmp(key, "ratio_max") == 0)
				r->hi = v;
		}
		p = skip_ws(p);
		if (*p == ',')
			p++;
	}
	return has_case;
}

/* Write one line to the JSON file with "suite" added first. */
static void json_out(struct bench *b, const char *suite, const char *line)
{
	if (!b->json)
		return;
	const char *p = skip_ws(line);
	if (*p != '{')
		return;
	p = skip_ws(p + 1);
	if ((fprintf(b->json, "{\"suite\": \"%s\"%s%s\n", suite,
	             *p == '}' ? "" : ", ", p) < 0 ||
	     fflush(b->json) != 0) &&
	    !b->json_err)
		b->json_err = errno ? -errno : -EIO;
}

int bench_higher_is_better(const char *unit)
{
	size_t n = strlen(unit);
	return n >= 2 && strcmp(unit + n - 2, "/s") == 0;
}

double bench_ratio(double hoop, double base, const char *unit)
{
	if (!(hoop > 0) || !(base > 0) || isinf(hoop) || isinf(base))
		return NAN;
	return bench_higher_is_better(unit) ? hoop / base : base / hoop;
}

/*
 * The line with its "ratio" set to `ratio` (replaced, or added at the end
 * of the object), into out: the JSON file says what the table says.
 */
static const char *set_ratio(const char *line, double ratio, char *out,
                             size_t len)
{
	const char *k = strstr(line, "\"ratio\"");
	const char *v = k ? skip_ws(k + 7) : NULL;
	if (v && *v == ':') {
		char *end;
		v = skip_ws(v + 1);
		strtod(v, &end);
		if (end == v)
			return line;
		snprintf(out, len, "%.*s%.4f%s", (int)(v - line), line, ratio, end);
		return out;
	}
	const char *close = strrchr(line, '}');
	if (!close)
		return line;
	snprintf(out, len, "%.*s, \"ratio\": %.4f%s", (int)(close - line), line,
	         ratio, close);
	return out;
}

void bench_take_line(struct bench *b, const char *suite, const char *line)
{
	struct row r;
	char fixed[1024];
	if (skip_ws(line)[0] != '{')
		return;
	int is_row = parse_row(line, &r);
	if (is_row && r.baseline[0]) {
		/* "hoop is" is the ratio of the two values shown beside it,
		 * whatever the program computed. */
		double ratio = bench_ratio(r.hoop, r.base, r.unit);
		if (!isnan(ratio) && strlen(line) + 32 < sizeof(fixed))
			line = set_ratio(line, ratio, fixed, sizeof(fixed));
		r.ratio = ratio;
	}
	json_out(b, suite, line);
	if (is_row && b->nrows < MAX_ROWS) {
		cli_copy(r.suite, sizeof(r.suite), suite);
		b->rows[b->nrows++] = r;
	}
}

/* Emit a result that hoop bench measured itself (cp, go, net). */
void bench_emit(struct bench *b, const char *suite, const char *name,
                const char *unit, double hoop, const char *baseline,
                double base, double lo, double hi)
{
	char line[512];
	int n;
	if (!baseline) {
		snprintf(line, sizeof(line),
		         "{\"case\": \"%s\", \"unit\": \"%s\", \"hoop\": %.6g}", name,
		         unit, hoop);
		bench_take_line(b, suite, line);
		return;
	}
	n = snprintf(line, sizeof(line),
	             "{\"case\": \"%s\", \"unit\": \"%s\", \"hoop\": %.6g, "
	             "\"baseline\": \"%s\", \"baseline_value\": %.6g, "
	             "\"ratio\": %.4f",
	             name, unit, hoop, baseline, base,
	             bench_ratio(hoop, base, unit));
	if (!isnan(lo) && !isnan(hi) && n > 0 && (size_t)n < sizeof(line))
		n += snprintf(line + n, sizeof(line) - (size_t)n,
		              ", \"ratio_min\": %.4f, \"ratio_max\": %.4f", lo, hi);
	if (n > 0 && (size_t)n < sizeof(line) - 1)
		snprintf(line + n, sizeof(line) - (size_t)n, "}");
	bench_take_line(b, suite, line);
}

#define MAX_REPEATS 64

void bench_emit_repeats(struct bench *b, const char *suite, const char *name,
                        const char *unit, const double *h,
                        const char *baseline, const double *base, int n)
{
	double mh[MAX_REPEATS], mb[MAX_REPEATS];
	double lo = NAN, hi = NAN;
	if (n <= 0)
		return;
	if (n > MAX_REPEATS)
		n = MAX_REPEATS;
	for (int i = 0; i < n; i++) {
		double r = bench_ratio(h[i], base[i], unit);
		mh[i] = h[i];
		mb[i] = base[i];
		if (isnan(r))
			continue;
		if (isnan(lo) || r < lo)
			lo = r;
		if (isnan(hi) || r > hi)
			hi = r;
	}
	bench_emit(b, suite, name, unit, bench_median(mh, n), baseline,
	           bench_median(mb, n), lo, hi);
}

/* ---- running a child with a time limit ---- */


int bench_kill_group(pid_t pid, double grace)
{
	int status;
	kill(-pid, SIGTERM);
	for (double end = cli_now() + grace; cli_now() < end;) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		usleep(20000);
	}
	kill(-pid, SIGKILL);
	return waitpid(pid, &status, 0) == pid ? status : -1;
}

void bench_log(struct bench *b, const char *suite, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int fd = !b->verbose && b->log_fd >= 0 ? b->log_fd : STDERR_FILENO;
	dprintf(fd, "hoop bench: %s: %s\n", suite, msg);
}

void bench_pin_cpu(int cpu)
{
	cpu_set_t set;
	if (cpu < 0 || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)sched_setaffinity(0, sizeof(set), &set); /* best effort */
}

/* In a child: into its own process group, stdout to `out` (-1:
 * /dev/null), stderr to the log unless verbose, on CPU `cpu` (-1: any),
 * then exec argv. Never returns. */
void bench_exec(struct bench *b, char *const argv[], int out, const char *cwd,
                int cpu)
{
	setpgid(0, 0);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	bench_pin_cpu(cpu);
	if (out < 0)
		out = open("/dev/null", O_WRONLY);
	if (out >= 0)
		dup2(out, STDOUT_FILENO);
	if (!b->verbose && b->log_fd >= 0)
		dup2(b->log_fd, STDERR_FILENO);
	if (cwd && chdir(cwd) < 0)
		_exit(126);
	execvp(argv[0], argv);
	fprintf(stderr, "hoop bench: cannot run %s: %s\n", argv[0],
	        strerror(errno));
	_exit(127);
}

/*
 * Run argv (in `cwd` if not NULL) for at most `limit` seconds. Its stdout
 * lines go to `fn` (or to /dev/null if fn is NULL); its stderr to the log,
 * or to ours when verbose. Returns the exit status (>= 0), -ETIME on
 * timeout, -EINTR on Ctrl-C, or -errno if it could not start.
 */
int bench_run_child(struct bench *b, char *const argv[], const char *cwd,
                     double limit, bench_line_fn fn, const char *suite)
{
	int pfd[2] = {-1, -1};
	if (fn && pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		if (fn) {
			close(pfd[0]);
			close(pfd[1]);
		}
		return e;
	}
	if (pid == 0)
		bench_exec(b, argv, fn ? pfd[1] : -1, cwd, -1);
	setpgid(pid, pid);
	double end = cli_now() + limit;
	int status = 0, result = 0;
	if (fn) {
		close(pfd[1]);
		char buf[8192];
		size_t have = 0;
		for (;;) {
			double left = end - cli_now();
			if (bench_stop || left <= 0) {
				result = bench_stop ? -EINTR : -ETIME;
				break;
			}
			struct pollfd p = {pfd[0], POLLIN, 0};
			int pr = poll(&p, 1, (int)(left * 1000) + 1);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr <= 0)
				continue;
			ssize_t n = read(pfd[0], buf + have, sizeof(buf) - 1 - have);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			have += (size_t)n;
			buf[have] = '\0';
			char *nl, *start = buf;
			while ((nl = strchr(start, '\n'))) {
				*nl = '\0';
				fn(b, suite, start);
				start = nl + 1;
			}
			have = strlen(start);
			memmove(buf, start, have + 1);
			if (have == sizeof(buf) - 1)
				have = 0; /* an absurdly long line: drop it */
		}
		close(pfd[0]);
	}
	if (result == 0) {
		/* Output is done (or there was none to read): wait for exit. */
		for (;;) {
			pid_t w = waitpid(pid, &status, WNOHANG);
			if (w == pid)
				break;
			if (bench_stop || cli_now() > end) {
				result = bench_stop ? -EINTR : -ETIME;
				break;
			}
			usleep(2000);
		}
	}
	if (result < 0) {
		bench_kill_group(pid, 1);
		return result;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* ---- finding things ---- */

int bench_is_exec(const char *path)
{
	return access(path, X_OK) == 0;
}

void bench_own(struct bench *b, const char *path)
{
	struct stat st;
	if (b->nowned >= MAX_OWNED || lstat(path, &st) == 0)
		return;
	for (int i = 0; i < b->nowned; i++)
		if (strcmp(b->owned[i], path) == 0)
			return;
	cli_copy(b->owned[b->nowned++], sizeof(b->owned[0]), path);
}

/* The end of a run: remove the files it created. */
static void remove_owned(struct bench *b)
{
	for (int i = 0; i < b->nowned; i++)
		if (unlink(b->owned[i]) == 0 && b->verbose)
			fprintf(stderr, "hoop bench: removed %s\n", b->owned[i]);
	b->nowned = 0;
}

/* Find `name` on PATH (or in extra), into out. */
int bench_find_program(const char *name, const char *extra, char *out,
                        size_t len)
{
	const char *path = getenv("PATH");
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s:%s", path ? path : "/usr/bin:/bin",
	         extra ? extra : "");
	for (char *save, *dir = strtok_r(buf, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(out, len, "%s/%s", dir, name);
		if (bench_is_exec(out))
			return 1;
	}
	return 0;
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Where the bench/ programs are: $HOOP_BENCH_DIR if set; else ../bench
 * next to this executable (the build tree) if it exists; else the
 * installed HOOP_BENCH_LIBEXEC relative to this executable
 * (../libexec/hoop).
 */
static void locate(struct bench *b)
{
	const char *env = getenv("HOOP_BENCH_DIR");
	char tree[1100], inst[1100];
	if (readlink("/proc/self/exe", b->exe, sizeof(b->exe) - 1) < 0)
		snprintf(b->exe, sizeof(b->exe), "hoop");
	if (cli_exe_dir(b->exe_dir, sizeof(b->exe_dir)) < 0)
		snprintf(b->exe_dir, sizeof(b->exe_dir), ".");
	snprintf(tree, sizeof(tree), "%s/../bench", b->exe_dir);
	snprintf(inst, sizeof(inst), "%s/%s", b->exe_dir, HOOP_BENCH_LIBEXEC);
	if (env && *env) {
		cli_copy(b->bench_dir, sizeof(b->bench_dir), env);
		snprintf(b->bench_where, sizeof(b->bench_where),
		         "%s ($HOOP_BENCH_DIR)", env);
	} else {
		cli_copy(b->bench_dir, sizeof(b->bench_dir),
		         is_dir(tree) || !is_dir(inst) ? tree : inst);
		snprintf(b->bench_where, sizeof(b->bench_where), "%s, nor in %s",
		         tree, inst);
	}
	env = getenv("HOOP_SOURCE_DIR");
	snprintf(b->src_dir, sizeof(b->src_dir), "%s",
	         env && *env ? env : HOOP_SOURCE_DIR);
}

void bench_missing_note(const struct bench *b, const char *prog,
                        int needs_uring, char *note, size_t len)
{
	const char *env = getenv("HOOP_BENCH_DIR");
	if (!(env && *env) && !HOOP_BENCH_BUILT)
		snprintf(note, len, "skipped: %s not built (this hoop was built "
		         "with HOOP_BUILD_BENCH=OFF)", prog);
	else if (!(env && *env) && needs_uring && !HOOP_BENCH_URING)
		snprintf(note, len, "skipped: %s not built (liburing was not "
		         "found when this hoop was built; install liburing-dev "
		         "and rebuild)", prog);
	else
		snprintf(note, len, "skipped: no program %s in %s", prog,
		         b->bench_where);
}

/* ---- progress on stderr ---- */

/* ---- suites ---- */

enum suite_kind { S_EXEC, S_PYTHON, S_GO, S_CP, S_NET };

struct suite {
	const char *name;
	const char *what;
	enum suite_kind kind;
	const char *prog;     /* S_EXEC: program in bench_dir */
	const char *quick[4]; /* its arguments in --quick */
	const char *full[4];  /* and by default */
	double quick_cap, full_cap; /* time limits; 0: not run in that mode */
};

static const struct suite suites[] = {
    {"core-nop", "NOPs, hoop_ring vs liburing", S_EXEC, "bench_nop",
     {"throughput"}, {"throughput"}, 15, 60},
    {"core-read", "4 KiB cached reads, hoop_ring vs liburing", S_EXEC,
     "bench_read", {0}, {0}, 40, 90},
    {"engine-threads", "threads sharing one engine vs pread", S_EXEC,
     "bench_engine_threads", {"-t", "16"}, {"-t", "1,4,16,64"}, 15, 120},
    {"engine-direct", "O_DIRECT reads: queue vs thread pool", S_EXEC,
     "bench_engine_direct", {"-d", "128"}, {"-d", "32,128"}, 15, 120},
    {"engine-nop", "engine and queue overhead per NOP", S_EXEC,
     "bench_engine_nop", {"batch", "latency"}, {"batch", "latency"}, 10, 60},
    {"read-files", "many small files: hoop_read_files vs open/read/close",
     S_EXEC, "bench_read_files", {"-n", "2000"}, {0}, 15, 60},
    {"net", "loopback echo vs epoll, HTTP vs nginx", S_NET, NULL,
     {0}, {0}, 20, 120},
    {"python", "the Python package vs os.pread and asyncio", S_PYTHON, NULL,
     {"--rounds", "40"}, {"--rounds", "300"}, 20, 120},
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
		fprintf(stderr, "               %d result%s in %.1f s; %s\n", rows,
		        rows == 1 ? "" : "s", t, note);
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
		cli_copy(go_results[go_nresults].name, sizeof(go_results[0].name), name + 9);
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
		bench_emit(b, "go", "go_readat_64goroutines", "reads/s", 1e9 / h,
		           "os.File.ReadAt", 1e9 / o, NAN, NAN);
	for (int i = 0; i < go_nresults; i++) {
		const char *n = go_results[i].name;
		if (strncmp(n, "ReadAt64Goroutines", 18) == 0)
			continue;
		char name[80] = "go_";
		cli_copy(name + 3, sizeof(name) - 3, n);
		for (char *p = name; *p; p++)
			if (*p == '/')
				*p = '_';
		bench_emit(b, "go", name, "ns/op", go_results[i].ns, NULL, 0, NAN,
		           NAN);
	}
}

/* ---- the cp suite ---- */

static int make_cp_source(const char *path, uint64_t size)
{
	struct stat st;
	if (stat(path, &st) == 0 && (uint64_t)st.st_size == size &&
	    (uint64_t)st.st_blocks * 512 >= size)
		return 0;
	fprintf(stderr, "               creating %s\n", path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	size_t chunk = 1 << 20;
	unsigned char *buf = malloc(chunk);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (uint64_t done = 0; done < size; done += chunk) {
		for (size_t i = 0; i < chunk; i += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(buf + i, &x, 8);
		}
		size_t n = size - done < chunk ? (size_t)(size - done) : chunk;
		if (write(fd, buf, n) != (ssize_t)n) {
			int e = errno ? -errno : -EIO;
			free(buf);
			close(fd);
			unlink(path);
			return e;
		}
	}
	free(buf);
	close(fd);
	return 0;
}

/* Read the file through once so it sits in the page cache. */
static void warm(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char *buf = malloc(1 << 20);
	if (buf)
		while (read(fd, buf, 1 << 20) > 0)
			;
	free(buf);
	close(fd);
}

/* Drop the source from the page cache: all caches if we may, else the
 * file's own pages. Returns the method used. */
static const char *drop_cache(const char *path)
{
	sync();
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		int ok = write(fd, "3\n", 2) == 2;
		close(fd);
		if (ok)
			return "drop_caches";
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
	return "fadvise";
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

#define CP_TOOLS 3
#define CP_MAX_REPEAT 15

/*
 * One cp case: `repeat` rounds, each running hoop, cp and dd (the order
 * rotates every round), each from a removed destination after sync, with
 * the cache warm or dropped. In the O_DIRECT case every tool's time ends
 * with an fsync of the destination, so the page cache cannot hide cp's
 * writes: the times are until the copy is on the disk. Emits the median
 * times, their ratio (baseline / hoop: > 1, hoop is faster) and the spread
 * of the per-round ratios.
 */
static int cp_case(struct bench *b, const char *mode, const char *src,
                   const char *dst, double end)
{
	int direct = strcmp(mode, "direct") == 0;
	int cold = strcmp(mode, "cold") == 0 || direct;
	char of[1200], iff[1200];
	snprintf(iff, sizeof(iff), "if=%s", src);
	snprintf(of, sizeof(of), "of=%s", dst);
	char *hoop_argv[] = {b->exe, "cp", "-q", (char *)src, (char *)dst, NULL};
	char *hoop_dargv[] = {b->exe,      "cp",         "-q", "--direct",
	                      (char *)src, (char *)dst, NULL};
	char *cp_argv[] = {"cp", (char *)src, (char *)dst, NULL};
	char *dd_argv[] = {"dd", iff, of, "bs=1M", "status=none", NULL};
	char *dd_dargv[] = {"dd",           iff,          of, "bs=1M",
	                    "iflag=direct", "oflag=direct", "status=none", NULL};
	char **argvs[CP_TOOLS] = {direct ? hoop_dargv : hoop_argv, cp_argv,
	                          direct ? dd_dargv : dd_argv};
	static const char *const tools[CP_TOOLS] = {"hoop", "cp", "dd"};
	double t[CP_TOOLS][CP_MAX_REPEAT];
	int rounds = 0;
	const char *how = "warm";

	if (!cold)
		warm(src);
	for (int round = 0; round < b->repeat; round++) {
		for (int k = 0; k < CP_TOOLS; k++) {
			int tool = (k + round) % CP_TOOLS;
			unlink(dst);
			if (cold)
				how = drop_cache(src);
			else
				sync();
			double left = end - cli_now();
			if (left <= 0 || bench_stop) {
				unlink(dst);
				goto done;
			}
			double t0 = cli_now();
			int st = bench_run_child(b, argvs[tool], NULL, left, NULL, "cp");
			if (st == 0 && direct) {
				/* Time to disk: O_DIRECT data is on the device
				 * already; cp's waits in the page cache. */
				int fd = open(dst, O_RDONLY | O_CLOEXEC);
				if (fd < 0 || fsync(fd) < 0)
					st = -EIO;
				if (fd >= 0)
					close(fd);
			}
			double dt = cli_now() - t0;
			if (st != 0) {
				unlink(dst);
				if (st == -ETIME || st == -EINTR)
					goto done;
				fprintf(stderr,
				        "               %s failed (status %d); see %s\n",
				        tools[tool], st, b->log_path);
				return -EIO;
			}
			t[tool][round] = dt;
		}
		rounds++;
	}
done:
	unlink(dst);
	if (rounds == 0)
		return -ETIME;
	char name[64], base[64];
	const char *size_s = b->cp_size >= (1u << 30) ? "G" : "M";
	unsigned long long size_n = b->cp_size >> (b->cp_size >= (1u << 30) ? 30 : 20);
	for (int k = 1; k < CP_TOOLS; k++) {
		snprintf(name, sizeof(name), "cp_%llu%s_%s_vs_%s", size_n, size_s,
		         mode, tools[k]);
		snprintf(base, sizeof(base), "%s%s", tools[k],
		         !direct ? "" : k == 2 ? " (O_DIRECT)" : "+fsync");
		bench_emit_repeats(b, "cp", name, "s", t[0], base, t[k], rounds);
	}
	if (cold && b->verbose)
		fprintf(stderr, "               cache dropped with %s\n", how);
	return rounds;
}

static int suite_cp(struct bench *b, double limit)
{
	double end = cli_now() + limit;
	char src[1100], dst[1100];
	snprintf(src, sizeof(src), "%s/hoop-bench-cp-%lluM.dat", b->cp_dir,
	         (unsigned long long)(b->cp_size >> 20));
	snprintf(dst, sizeof(dst), "%s/hoop-bench-cp.%d.out", b->cp_dir,
	         (int)getpid());
	bench_own(b, src);
	bench_own(b, dst);
	int r = make_cp_source(src, b->cp_size);
	if (r < 0) {
		cli_errno(r, "bench: cannot create %s", src);
		return r;
	}
	static const char *const quick_modes[] = {"warm"};
	static const char *const full_modes[] = {"warm", "cold", "direct"};
	const char *const *modes = b->quick ? quick_modes : full_modes;
	int nmodes = b->quick ? 1 : 3;
	const char *env = getenv("HOOP_BENCH_CP_MODES");
	for (int i = 0; i < nmodes && !bench_stop; i++) {
		if (env && !strstr(env, modes[i]))
			continue;
		r = cp_case(b, modes[i], src, dst, end);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- the table ---- */

struct desc {
	const char *prefix;
	const char *text;
};

/* What a case measures, in words; matched by prefix, longest first. */
static const struct desc descs[] = {
    {"nop_batch1", "NOP, one per submit"},
    {"nop_batch32_engine", "NOP batch 32: engine vs bare ring"},
    {"nop_batch32_queue", "NOP batch 32: queue vs bare ring"},
    {"nop_batch32", "NOPs, batches of 32"},
    {"nop_batch256", "NOPs, batches of 256"},
    {"read4k_qd1_registered", "4K cached read, depth 1, registered"},
    {"read4k_qd32_registered", "4K cached reads, depth 32, registered"},
    {"read4k_qd1", "4K cached read, depth 1"},
    {"read4k_qd32", "4K cached reads, depth 32"},
    {"lat_nop_p50", "NOP round trip, median: engine vs ring"},
    {"lat_nop_p99", "NOP round trip, p99: engine vs ring"},
};

void bench_describe(const struct row *r, char *out, size_t len)
{
	size_t best = 0;
	const char *text = NULL;
	for (size_t i = 0; i < sizeof(descs) / sizeof(descs[0]); i++) {
		size_t n = strlen(descs[i].prefix);
		if (strncmp(r->name, descs[i].prefix, n) == 0 && n > best &&
		    (r->name[n] == '\0' || r->name[n] == '_')) {
			best = n;
			text = descs[i].text;
		}
	}
	unsigned k, size;
	char mode[16];
	if (text) {
		snprintf(out, len, "%s", text);
	} else if (sscanf(r->name, "threads_t%u", &k) == 1) {
		/* "_pool_vs_": the engine forced onto its thread-pool backend. */
		snprintf(out, len, "%u threads, 4K cached reads%s", k,
		         strstr(r->name, "_pool_vs_") ? ", engine on threads" : "");
	} else if (sscanf(r->name, "direct_qd%u", &k) == 1) {
		const char *what = strstr(r->name, "_cpu_per_op") ? "CPU per read"
		                   : strstr(r->name, "_cpu") ? "CPU time"
		                                             : "reads";
		snprintf(out, len, "O_DIRECT 4K, depth %u: %s%s", k, what,
		         strncmp(strchr(r->name + 9, '_'), "_pool_", 6) == 0
		             ? " (queue on threads)"
		             : "");
	} else if (sscanf(r->name, "echo_c%u_%uB", &k, &size) == 2) {
		int cpu = strstr(r->name, "_server_cpu") != NULL;
		snprintf(out, len, "echo, %u conn%s x %u%s%s", k, k == 1 ? "" : "s",
		         size >= 1024 ? size / 1024 : size,
		         size >= 1024 ? " KiB" : " B",
		         cpu ? ": server CPU per round trip" : "");
	} else if (sscanf(r->name, "http_c%u", &k) == 1) {
		snprintf(out, len, "HTTP, %u conns (wrk)%s", k,
		         strstr(r->name, "_server_cpu") ? ": server CPU per request"
		                                        : "");
	} else if (sscanf(r->name, "cp_%u%*[MG]_%15[a-z]", &k, mode) == 2) {
		const char *unit = strchr(r->name + 3, 'G') &&
		                           strchr(r->name + 3, 'G') < strchr(r->name + 3, '_')
		                       ? "GiB"
		                       : "MiB";
		snprintf(out, len, "copy %u %s file, %s", k, unit,
		         strcmp(mode, "warm") == 0   ? "warm cache"
		         : strcmp(mode, "cold") == 0 ? "cold cache"
		                                     : "O_DIRECT, to disk");
	} else {
		snprintf(out, len, "%s", r->name);
	}
}

void bench_fmt_value(double v, const char *unit, char *out, size_t len)
{
	if (isnan(v)) {
		snprintf(out, len, "-");
		return;
	}
	int rate = strstr(unit, "/s") != NULL;
	if (rate && v >= 1e6)
		snprintf(out, len, "%.2f M%s", v / 1e6, unit);
	else if (rate && v >= 1e3)
		snprintf(out, len, "%.1f k%s", v / 1e3, unit);
	else if (strcmp(unit, "s") == 0)
		snprintf(out, len, "%.2f s", v);
	else if (v >= 100)
		snprintf(out, len, "%.0f %s", v, unit);
	else if (v >= 10)
		snprintf(out, len, "%.1f %s", v, unit);
	else
		snprintf(out, len, "%.3g %s", v, unit);
}

int bench_show_in_table(const struct bench *b, const struct row *r)
{
	/* In --quick, comparisons of hoop with its own single-owner ring
	 * (engine overhead, for hoop's developers) stay in the JSON. */
	return !b->quick || strcmp(r->baseline, "hoop_ring") != 0;
}

void bench_fmt_ratio(const struct row *r, char *out, size_t len)
{
	if (isnan(r->ratio))
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%.2fx", r->ratio);
}

void bench_fmt_spread(const struct row *r, char *out, size_t len)
{
	if (isnan(r->lo) || isnan(r->hi))
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%.2f-%.2fx", r->lo, r->hi);
}

void bench_print_table(struct bench *b, FILE *f)
{
	char desc[MAX_ROWS][64], hv[MAX_ROWS][32], bv[MAX_ROWS][32];
	char rv[MAX_ROWS][32], sv[MAX_ROWS][48];
	int w_suite = 5, w_desc = 4, w_h = 4, w_base = 8, w_bv = 5, w_r = 7;
	int w_s = 6;
	for (int i = 0; i < b->nrows; i++) {
		struct row *r = &b->rows[i];
		bench_describe(r, desc[i], sizeof(desc[i]));
		bench_fmt_value(r->hoop, r->unit, hv[i], sizeof(hv[i]));
		bench_fmt_value(r->base, r->unit, bv[i], sizeof(bv[i]));
		bench_fmt_ratio(r, rv[i], sizeof(rv[i]));
		bench_fmt_spread(r, sv[i], sizeof(sv[i]));
		if (!r->baseline[0])
			snprintf(r->baseline, sizeof(r->baseline), "-");
		if (!bench_show_in_table(b, r))
			continue;
#define WIDEN(w, s)                                                            \
	do {                                                                   \
		int l_ = (int)strlen(s);                                       \
		if (l_ > (w))                                                  \
			(w) = l_;                                              \
	} while (0)
		WIDEN(w_suite, r->suite);
		WIDEN(w_desc, desc[i]);
		WIDEN(w_h, hv[i]);
		WIDEN(w_base, r->baseline);
		WIDEN(w_bv, bv[i]);
		WIDEN(w_r, rv[i]);
		WIDEN(w_s, sv[i]);
#undef WIDEN
	}
	fprintf(f, "\n%-*s  %-*s  %*s  %-*s  %*s  %*s  %s\n", w_suite, "suite",
	        w_desc, "what", w_h, "hoop", w_base, "baseline", w_bv, "value",
	        w_r, "hoop is", "spread");
	int total = w_suite + w_desc + w_h + w_base + w_bv + w_r + w_s + 12;
	for (int i = 0; i < total; i++)
		fputc('-', f);
	fputc('\n', f);
	b->hidden = 0;
	for (int i = 0; i < b->nrows; i++) {
		struct row *r = &b->rows[i];
		if (!bench_show_in_table(b, r)) {
			b->hidden++;
			continue;
		}
		fprintf(f, "%-*s  %-*s  %*s  %-*s  %*s  %*s  %s\n", w_suite,
		        r->suite, w_desc, desc[i], w_h, hv[i], w_base, r->baseline,
		        w_bv, bv[i], w_r, rv[i], sv[i]);
	}
	fprintf(f, "\n\"hoop is\" = how many times better hoop did than the "
	        "baseline: the ratio of\nthe two medians beside it (higher "
	        "rates, lower times); below 1.00x the\nbaseline won. \"spread\" "
	        "= the lowest and highest ratio of single repeats\n(each measured "
	        "in one round, in turns; \"-\": not known).\n");
}

/* ---- main ---- */

static void bench_usage(FILE *f)
{
	fprintf(f,
	        "Usage: hoop bench [--quick] [--json FILE] [--only SUITE[,SUITE]...]\n"
	        "                  [--plot FILE.svg] [--markdown FILE]\n"
	        "Run hoop side by side with what it replaces, on this machine, and\n"
	        "print one table of ratios (each measured in one run, in turns, so a\n"
	        "busy machine slows both sides alike).\n"
	        "\n"
	        "  --quick          a short run, under a minute (the default run\n"
	        "                   stays under ten)\n"
	        "  --json FILE      write every result as a JSON line to FILE ('-':\n"
	        "                   stdout, and the table goes to stderr); default\n"
	        "                   hoop-bench.jsonl in the current directory\n"
	        "  --plot FILE.svg  draw the ratios of the table as a bar chart\n"
	        "                   (SVG, log scale around 1x)\n"
	        "  --markdown FILE  write a Markdown report: the machine, the\n"
	        "                   command line, the table and one table per suite\n"
	        "  --only LIST      run only these suites (see --list)\n"
	        "  --list           list the suites and where each comes from\n"
	        "  --cp-size SIZE   file size for the cp suite (default 256M with\n"
	        "                   --quick, else 1G)\n"
	        "  --cp-dir DIR     where the cp suite puts its files (default\n"
	        "                   $TMPDIR or /tmp; a real disk, not tmpfs, for\n"
	        "                   the cold and O_DIRECT cases)\n"
	        "  --repeat N       cp suite: runs of each tool (default 3, or 5\n"
	        "                   without --quick); medians are reported\n"
	        "  -v, --verbose    show the suites' own notes (stderr)\n"
	        "  -h, --help       this text\n"
	        "\n"
	        "The suites are the programs in bench/ (built with the library when\n"
	        "liburing is installed), found in $HOOP_BENCH_DIR, ../bench next to\n"
	        "this executable (a build tree) or " HOOP_BENCH_LIBEXEC " next to it\n"
	        "(installed); python/bench/bench_py.py when the hoop Python\n"
	        "package imports; go test -bench in go/ when Go is installed (not\n"
	        "with --quick); net, which runs bench/'s echo client against hoop's\n"
	        "echo server and bench/'s epoll server, and without --quick wrk\n"
	        "against hoop's HTTP server and nginx when both are installed\n"
	        "(hoop bench installs nothing); and cp, which times `hoop cp`\n"
	        "against coreutils' cp and `dd bs=1M` (warm cache; without --quick\n"
	        "also cold cache and O_DIRECT). Missing suites are skipped with a\n"
	        "note.\n"
	        "Environment: HOOP_BENCH_SECONDS and HOOP_BENCH_REPEATS are passed\n"
	        "to the bench/ programs (--quick sets 0.02 and 5 unless given).\n"
	        "\n"
	        "Files: the data files go to $TMPDIR (default /tmp), the cp suite's\n"
	        "to --cp-dir: hoop-bench-1g.dat (1 GiB, the core and engine suites;\n"
	        "$HOOP_BENCH_FILE names another, which is then left alone),\n"
	        "hoop-bench-py.dat (the Python suite), hoop-bench-cp-SIZE.dat and\n"
	        "hoop-bench-cp.PID.out (cp), and the log of the suites' messages,\n"
	        "hoop-bench-PID.log. What a run creates it removes at its end and on\n"
	        "Ctrl-C; the log stays when a suite failed (its path is printed).\n"
	        "The first JSON line says where they are (data_dir, cp_dir,\n"
	        "data_file, log).\n"
	        "\n"
	        "Exit status: 0 if every suite that ran finished, 1 if one failed or\n"
	        "ran out of time or a result or report could not be written, 2 for\n"
	        "bad usage.\n");
}

static void list_suites(struct bench *b)
{
	for (size_t i = 0; i < NSUITES; i++) {
		const struct suite *s = &suites[i];
		char where[1200];
		switch (s->kind) {
		case S_EXEC:
			snprintf(where, sizeof(where), "%s/%s", b->bench_dir, s->prog);
			if (!bench_is_exec(where))
				strncat(where, " (missing)",
				        sizeof(where) - strlen(where) - 1);
			break;
		case S_PYTHON:
			snprintf(where, sizeof(where), "%s/python/bench/bench_py.py",
			         b->src_dir);
			break;
		case S_GO:
			snprintf(where, sizeof(where), "go test -bench in %s/go", b->src_dir);
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
		st = bench_run_child(b, argv, NULL, limit, bench_take_line, s->name);
		break;
	}
	case S_PYTHON: {
		snprintf(path, sizeof(path), "%s/python/bench/bench_py.py", b->src_dir);
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
		char *argv[] = {py, path, (char *)args[0], (char *)args[1],
		                "--file", b->py_file, NULL};
		bench_own(b, b->py_file);
		st = bench_run_child(b, argv, NULL, limit - (cli_now() - t0), bench_take_line,
		               s->name);
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
		char *argv[] = {go, "test", "-run", "^$", "-bench", ".",
		                "-benchtime", "300ms", NULL};
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
		st = suite_cp(b, limit);
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
		snprintf(note, sizeof(note), "stopped at its time limit, %d result%s kept",
		         got, got == 1 ? "" : "s");
		progress_done(b, dt, got, note);
		return 1;
	}
	if (st == -EINTR)
		return 1;
	if (st != 0) {
		char note[sizeof(b->log_path) + 100];
		snprintf(note, sizeof(note), "failed (status %d); its messages are in %s",
		         st, b->log_path);
		b->log_named = 1;
		progress_done(b, dt, got, note);
		return 1;
	}
	progress_done(b, dt, got, NULL);
	return 0;
}

/* The load average and the date when the run starts, for the report. */
static void start_facts(struct bench *b)
{
	FILE *f = fopen("/proc/loadavg", "re");
	double l1, l5, l15;
	if (f && fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3)
		snprintf(b->load_start, sizeof(b->load_start), "%.2f, %.2f, %.2f",
		         l1, l5, l15);
	if (f)
		fclose(f);
	time_t t = time(NULL);
	struct tm tm;
	if (gmtime_r(&t, &tm))
		strftime(b->date_start, sizeof(b->date_start),
		         "%Y-%m-%d %H:%M UTC", &tm);
}

/* The first JSON line: where this run writes (its files are removed at
 * the end; the log is kept when a suite failed). */
/* `s` as a JSON string's contents: " and \ escaped, control
 * characters as \u00XX. */
static const char *json_esc(const char *s, char *out, size_t len)
{
	size_t n = 0;
	for (; *s && n + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			n += (size_t)snprintf(out + n, len - n, "\\%c", c);
		else if (c < 0x20)
			n += (size_t)snprintf(out + n, len - n, "\\u%04x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
	return out;
}

static void bench_where_json(struct bench *b)
{
	char line[4096], e[4][700];
	snprintf(line, sizeof(line),
	         "{\"data_dir\": \"%s\", \"cp_dir\": \"%s\", "
	         "\"data_file\": \"%s\", \"log\": \"%s\"}",
	         json_esc(b->tmp_dir, e[0], sizeof(e[0])),
	         json_esc(b->cp_dir, e[1], sizeof(e[1])),
	         json_esc(b->data_file, e[2], sizeof(e[2])),
	         json_esc(b->log_path, e[3], sizeof(e[3])));
	json_out(b, "bench", line);
}

int cmd_bench(int argc, char **argv)
{
	static struct bench b;
	int list = 0;
	memset(&b, 0, sizeof(b));
	b.log_fd = -1;
	b.repeat = 0;
	b.json_path = "hoop-bench.jsonl";
	const char *tmp = getenv("TMPDIR");
	cli_copy(b.tmp_dir, sizeof(b.tmp_dir), tmp && *tmp ? tmp : "/tmp");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (cli_is_help(a)) {
			bench_usage(stdout);
			return CLI_OK;
		} else if (strcmp(a, "--quick") == 0) {
			b.quick = 1;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			b.verbose = 1;
		} else if (strcmp(a, "--list") == 0) {
			list = 1;
		} else if (!val && (strcmp(a, "--json") == 0 || strcmp(a, "--only") == 0 ||
		                    strcmp(a, "--plot") == 0 ||
		                    strcmp(a, "--markdown") == 0 ||
		                    strcmp(a, "--cp-size") == 0 ||
		                    strcmp(a, "--cp-dir") == 0 ||
		                    strcmp(a, "--repeat") == 0)) {
			cli_err("bench: option '%s' requires an argument", a);
			return CLI_USAGE;
		} else if (strcmp(a, "--json") == 0) {
			b.json_path = argv[++i];
		} else if (strcmp(a, "--plot") == 0) {
			size_t l = strlen(argv[++i]);
			if (l < 5 || strcmp(argv[i] + l - 4, ".svg") != 0) {
				cli_err("bench: --plot writes SVG: name the file "
				        "*.svg, not '%s'", argv[i]);
				return CLI_USAGE;
			}
			b.plot_path = argv[i];
		} else if (strcmp(a, "--markdown") == 0) {
			b.markdown_path = argv[++i];
		} else if (strcmp(a, "--only") == 0) {
			b.only = argv[++i];
		} else if (strcmp(a, "--cp-dir") == 0) {
			cli_copy(b.cp_dir, sizeof(b.cp_dir), argv[++i]);
		} else if (strcmp(a, "--cp-size") == 0) {
			if (cli_parse_size(argv[++i], &b.cp_size) < 0 ||
			    b.cp_size < (1u << 20)) {
				cli_err("bench: invalid size '%s' (at least 1M)", argv[i]);
				return CLI_USAGE;
			}
		} else if (strcmp(a, "--repeat") == 0) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || v < 1 || v > CP_MAX_REPEAT) {
				cli_err("bench: invalid repeat count '%s' (1-%d)", argv[i],
				        CP_MAX_REPEAT);
				return CLI_USAGE;
			}
			b.repeat = (int)v;
		} else {
			cli_err("bench: unknown option '%s'", a);
			fprintf(stderr, "Try 'hoop bench --help' for more information.\n");
			return CLI_USAGE;
		}
	}
	locate(&b);
	if (list) {
		list_suites(&b);
		return CLI_OK;
	}
	if (b.only) {
		for (const char *p = b.only; *p;) {
			size_t n = strcspn(p, ",");
			int ok = 0;
			for (size_t i = 0; i < NSUITES; i++)
				if (strlen(suites[i].name) == n &&
				    strncmp(p, suites[i].name, n) == 0)
					ok = 1;
			if (!ok) {
				cli_err("bench: unknown suite '%.*s' (see hoop bench --list)",
				        (int)n, p);
				return CLI_USAGE;
			}
			p += n + (p[n] == ',');
		}
	}
	if (!b.cp_dir[0])
		cli_copy(b.cp_dir, sizeof(b.cp_dir), b.tmp_dir);
	/* The bench/ programs' 1 GiB file: the user's $HOOP_BENCH_FILE is
	 * theirs; else ours, in tmp_dir, removed at the end if we made it. */
	const char *data = getenv("HOOP_BENCH_FILE");
	if (data && *data) {
		cli_copy(b.data_file, sizeof(b.data_file), data);
	} else {
		snprintf(b.data_file, sizeof(b.data_file),
		         "%s/hoop-bench-1g.dat", b.tmp_dir);
		setenv("HOOP_BENCH_FILE", b.data_file, 1);
		bench_own(&b, b.data_file);
	}
	snprintf(b.py_file, sizeof(b.py_file), "%s/hoop-bench-py.dat",
	         b.tmp_dir);
	if (!b.cp_size)
		b.cp_size = b.quick ? (256u << 20) : (1u << 30);
	if (!b.repeat)
		b.repeat = b.quick ? 3 : 5;
	if (b.quick) {
		setenv("HOOP_BENCH_SECONDS", "0.02", 0);
		setenv("HOOP_BENCH_REPEATS", "5", 0);
	}

	/* The reports come at the end: find out now if they can be written. */
	const char *reports[2] = {b.plot_path, b.markdown_path};
	for (int i = 0; i < 2; i++) {
		if (!reports[i])
			continue;
		FILE *f = fopen(reports[i], "we");
		if (!f) {
			cli_errno(-errno, "bench: cannot write '%s'", reports[i]);
			return CLI_FAIL;
		}
		fclose(f);
	}
	FILE *table = stdout;
	if (strcmp(b.json_path, "-") == 0) {
		b.json = stdout;
		table = stderr;
	} else {
		b.json = fopen(b.json_path, "w");
		if (!b.json) {
			cli_errno(-errno, "bench: cannot write '%s'", b.json_path);
			return CLI_FAIL;
		}
	}
	b.argc = argc;
	b.argv = argv;
	start_facts(&b);
	snprintf(b.log_path, sizeof(b.log_path), "%s/hoop-bench-%d.log",
	         b.tmp_dir, (int)getpid());
	b.log_fd = open(b.log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
	                0644);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	b.t0 = cli_now();
	b.deadline = b.t0 + (b.quick ? QUICK_BUDGET : FULL_BUDGET);
	int n = 0, idx = 0, failed = 0;
	int suite_failed = 0;
	for (size_t i = 0; i < NSUITES; i++)
		if (wanted(&b, suites[i].name) &&
		    (b.quick ? suites[i].quick_cap : suites[i].full_cap) > 0)
			n++;
	fprintf(stderr, "hoop bench%s: %d suites, at most %.0f s; results in %s\n"
	        "hoop bench: data files in %s (cp: %s), removed at the end\n",
	        b.quick ? " --quick" : "", n,
	        b.quick ? QUICK_BUDGET : FULL_BUDGET,
	        b.json == stdout ? "stdout" : b.json_path, b.tmp_dir, b.cp_dir);
	bench_where_json(&b);
	for (size_t i = 0; i < NSUITES && !bench_stop; i++) {
		const struct suite *s = &suites[i];
		if (!wanted(&b, s->name) ||
		    (b.quick ? s->quick_cap : s->full_cap) <= 0)
			continue;
		suite_failed |= run_suite(&b, s, ++idx, n);
	}
	failed = suite_failed;
	/* Results that did not reach the JSON file are a failure. */
	if (b.json && b.json != stdout && fclose(b.json) != 0 && !b.json_err)
		b.json_err = -errno;
	if (b.json == stdout && fflush(stdout) != 0 && !b.json_err)
		b.json_err = -errno;
	if (b.json_err) {
		cli_errno(b.json_err, "bench: writing the results to '%s'",
		          b.json_path);
		failed = 1;
	}
	remove_owned(&b);
	if (bench_stop) {
		fprintf(stderr, "hoop bench: interrupted\n");
		if (b.log_fd >= 0) {
			close(b.log_fd);
			if (!b.log_named) /* else the progress named it */
				unlink(b.log_path);
		}
		signal((int)bench_stop, SIG_DFL);
		raise((int)bench_stop);
		return 128 + (int)bench_stop;
	}

	bench_print_table(&b, table);
	fprintf(table, "%d results in %.0f s; JSON lines in %s", b.nrows,
	        cli_now() - b.t0, b.json == stdout ? "stdout" : b.json_path);
	if (b.hidden)
		fprintf(table, " (%d more there: engine vs hoop's own ring)",
		        b.hidden);
	fprintf(table, ".\nThe machine: %ld CPUs; other work on it slows both "
	        "sides of each comparison.\n", sysconf(_SC_NPROCESSORS_ONLN));
	fflush(table);
	for (int i = 0; i < 2; i++) {
		const char *path = i ? b.markdown_path : b.plot_path;
		if (!path)
			continue;
		int r = i ? bench_write_markdown(&b, path) : bench_write_svg(&b, path);
		if (r < 0) {
			cli_errno(r, "bench: cannot write '%s'", path);
			failed = 1;
		} else {
			fprintf(table, "%s: %s\n", i ? "Report" : "Chart", path);
		}
	}
	if (b.log_fd >= 0) {
		close(b.log_fd);
		if (!b.log_named) /* else the progress named it */
			unlink(b.log_path);
	}
	return failed ? CLI_FAIL : CLI_OK;
}
