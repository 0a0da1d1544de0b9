/*
 * cli/bench.h - what the parts of `hoop bench` share. Private to cli/.
 * The files and who calls whom (arrows one way, no loop):
 *
 *   cmd_bench.c      options and the main flow
 *     -> bench_suites.c  the table of suites; bench/, Python, Go suites
 *          -> bench_cp.c     the cp suite
 *          -> bench_net.c    the networking suite
 *     -> bench_report.c  the table on the terminal, --plot, --markdown
 *   and below all of them, calling nothing of the bench:
 *     bench_run.c      children with a time limit, owned files, finding
 *                      programs
 *     bench_results.c  JSON lines (cJSON) into rows, ratios, the JSON file
 */
#ifndef HOOP_CLI_BENCH_H
#define HOOP_CLI_BENCH_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

/* Set by cli/CMakeLists.txt: where hoop was built from, where bench/
 * installs its programs (relative to the installed hoop), and what bench/
 * could build. */
#ifndef HOOP_SOURCE_DIR
#define HOOP_SOURCE_DIR ""
#endif
#ifndef HOOP_BENCH_LIBEXEC
#define HOOP_BENCH_LIBEXEC "../libexec/hoop"
#endif
#ifndef HOOP_BENCH_BUILT
#define HOOP_BENCH_BUILT 1
#endif
#ifndef HOOP_BENCH_URING
#define HOOP_BENCH_URING 1
#endif

#define MAX_ROWS 256
#define CP_MAX_REPEAT 15
#define MAX_RAN 16
#define MAX_OWNED 8

/* One result: hoop's value, the baseline's (medians over the repeats),
 * how many times better hoop did (> 1: hoop won): always the ratio of the
 * two values shown (bench_ratio), and the spread of the per-repeat ratios
 * (lo..hi). NAN where absent. */
struct row {
	char suite[24];
	char name[64];
	char unit[16];
	char baseline[64];
	double hoop, base, ratio;
	double lo, hi;
};

/* What happened to one suite, for the Markdown report. */
struct ran {
	char name[24];
	char what[64];
	char note[600]; /* empty: it finished */
	double secs;
	int rows;
};

struct bench {
	int quick;
	int verbose;
	int repeat; /* cp suite: runs per tool */
	uint64_t cp_size;
	char cp_dir[512]; /* the cp suite's files (--cp-dir, else tmp_dir) */
	char tmp_dir[512]; /* the other data files and the log: $TMPDIR or /tmp */
	char data_file[600]; /* the bench/ programs' file ($HOOP_BENCH_FILE) */
	char py_file[600];   /* the Python suite's file */
	char owned[MAX_OWNED][1100]; /* files this run created: removed at the end */
	int nowned;
	const char *only;
	const char *plot_path;     /* --plot */
	const char *markdown_path; /* --markdown */
	FILE *json;
	const char *json_path;
	int json_err; /* first failed write of a JSON line: -errno */
	int log_fd;   /* children's stderr unless verbose */
	char log_path[600];
	int log_named; /* a failure note named the log: it is kept */
	double t0, deadline;
	char exe[1024], exe_dir[1024], bench_dir[1100], src_dir[1024];
	char bench_where[2400]; /* where the bench/ programs were looked for */
	int argc;               /* the command line, for the report */
	char **argv;
	char load_start[64]; /* /proc/loadavg when the run started */
	char date_start[64]; /* and the date, UTC */
	struct row rows[MAX_ROWS];
	int nrows;
	int hidden; /* rows left out of the table (in the JSON only) */
	struct ran ran[MAX_RAN];
	int nran;
};

/* Set by SIGINT and SIGTERM (cmd_bench.c): stop the run. */
extern volatile sig_atomic_t bench_stop;

/* ---- bench_results.c ---- */

/* A result line (JSON object) from a suite: to the JSON file with
 * "suite" added first (and "ratio" set to that of the two values), and to
 * the rows if it has a "case". Lines that are not JSON objects are left
 * out. */
void bench_take_line(struct bench *b, const char *suite, const char *line);

/* A result hoop bench measured itself; baseline NULL: no comparison.
 * The ratio is that of hoop and base (bench_ratio); lo and hi the spread
 * of the per-repeat ratios (NAN: unknown). */
void bench_emit(struct bench *b, const char *suite, const char *name,
                const char *unit, double hoop, const char *baseline,
                double base, double lo, double hi);

/* 1 if a higher value is better in `unit` (a rate: it ends in "/s" or
 * "/cpu-s"), else
 * lower is better (times, costs). */
int bench_higher_is_better(const char *unit);

/* How many times better hoop did: hoop/base for rates, base/hoop for
 * times and costs; NAN if either is not a positive number. */
double bench_ratio(double hoop, double base, const char *unit);

/* A comparison from n repeats (h[i] and base[i] measured in the same
 * round): emits the medians, their ratio and the min-max of the per-round
 * ratios. Leaves h and base untouched; n <= 64. */
void bench_emit_repeats(struct bench *b, const char *suite, const char *name,
                        const char *unit, const double *h, const char *baseline,
                        const double *base, int n);

/* One JSON object line to the JSON file with "suite" added first. */
void bench_json_out(struct bench *b, const char *suite, const char *line);

/* The number `key` of the JSON object `line`, or NAN. */
double bench_json_num(const char *line, const char *key);

/* The median of v[0..n) (sorts v); n > 0. */
double bench_median(double *v, int n);

/* ---- bench_report.c ---- */

/* The table on the terminal (after a run). */
void bench_print_table(struct bench *b, FILE *f);

/* A row's "hoop is" and spread cells: "1.16x", "0.91-1.20x"; "-" where
 * absent. */
void bench_fmt_ratio(const struct row *r, char *out, size_t len);
void bench_fmt_spread(const struct row *r, char *out, size_t len);

/* A row's case in words, its values with units, and whether the terminal
 * table shows it (--quick hides comparisons with hoop's own ring). */
void bench_describe(const struct row *r, char *out, size_t len);
void bench_fmt_value(double v, const char *unit, char *out, size_t len);
int bench_show_in_table(const struct bench *b, const struct row *r);

/* The reports. Each returns 0 or -errno. */
int bench_write_svg(const struct bench *b, const char *path);
int bench_write_markdown(const struct bench *b, const char *path);

/* ---- bench_run.c ---- */

typedef void (*bench_line_fn)(struct bench *b, const char *suite, const char *line);

/*
 * Run argv (in `cwd` if not NULL) for at most `limit` seconds in its own
 * process group. Its stdout lines go to `fn` (or to /dev/null if fn is
 * NULL); its stderr to the log, or to ours when verbose. Returns the exit
 * status (>= 0), -ETIME on timeout, -EINTR on Ctrl-C, or -errno if it
 * could not start.
 */
int bench_run_child(struct bench *b, char *const argv[], const char *cwd,
                    double limit, bench_line_fn fn, const char *suite);

/* "hoop bench: <suite>: <message>\n" into the log, where the children's
 * messages go (ours on stderr when verbose or without a log): why a suite
 * failed, next to what its programs said. */
void bench_log(struct bench *b, const char *suite, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Pin the calling process to CPU `cpu`, best effort; nothing for -1 or
 * on a single-CPU machine. */
void bench_pin_cpu(int cpu);

/* In a child after fork(): its own process group, stdout to `out` (-1:
 * /dev/null), stderr to the log unless verbose, pinned to CPU `cpu` (-1:
 * not pinned; also not on a single-CPU machine), then exec argv (chdir to
 * cwd first if not NULL). Never returns. */
void bench_exec(struct bench *b, char *const argv[], int out, const char *cwd,
                int cpu) __attribute__((noreturn));

/* SIGTERM to the process group `pid` leads, SIGKILL after `grace` seconds;
 * reaps it. Returns its wait status, or -1 if it could not be reaped. */
int bench_kill_group(pid_t pid, double grace);

/* Why the bench/ program `prog` (missing from b->bench_dir) is missing:
 * "not built: ..." or "no PROG in DIR, nor in DIR", into note. */
void bench_missing_note(const struct bench *b, const char *prog,
                        int needs_uring, char *note, size_t len);

/* `path` is a file this run may create: if it does not exist now, it is
 * removed at the end of the run (also after Ctrl-C). */
void bench_own(struct bench *b, const char *path);

/* 1 if `path` is executable. */
int bench_is_exec(const char *path);

/* Find `name` on PATH, then in the ':'-list `extra`, into out; 1 if found. */
int bench_find_program(const char *name, const char *extra, char *out, size_t len);

/* The end of a run: remove the files bench_own listed. */
void bench_remove_owned(struct bench *b);

/* Where the bench/ programs are (b->bench_dir, and b->bench_where for
 * messages) and the source tree (b->src_dir). */
void bench_locate(struct bench *b);

/* ---- bench_suites.c ---- */

/* 1 if the n bytes at `name` name a suite. */
int bench_suite_exists(const char *name, size_t n);

/* How many suites this run runs (--only, --quick). */
int bench_count_suites(const struct bench *b);

/* Run them in turn until done, out of time or stopped; 1 if one failed
 * or ran out of time, else 0. */
int bench_run_suites(struct bench *b);

/* --list: each suite and where it comes from, on stdout. */
void bench_list_suites(struct bench *b);

/* The cp suite (bench_cp.c), at most CP_MAX_REPEAT rounds (--repeat).
 * Returns 0 (or > 0), -ETIME, -EINTR, -errno. */
int bench_suite_cp(struct bench *b, double limit);

/* The networking suite (bench_net.c): echo against the epoll server and,
 * without --quick, HTTP against nginx with wrk. Returns 0, a note in
 * `note` if it was skipped (then 0 too), or -ETIME, -EINTR, -errno. */
int bench_suite_net(struct bench *b, double limit, char *note, size_t len);

#endif /* HOOP_CLI_BENCH_H */
