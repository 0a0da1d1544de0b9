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
 * This file holds the options and the main flow; bench.h says which file
 * does what.
 */
#include "cli.h"
#include "bench.h"

#include <hoop.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define QUICK_BUDGET 55.0 /* seconds, --quick */
#define FULL_BUDGET 570.0 /* seconds, default */

static void on_sigint(int sig) { bench_stop = sig; }

static void bench_usage(FILE *f)
{
	fprintf(f,
	        "Usage: hoop bench [--quick] [--json FILE] [--only "
	        "SUITE[,SUITE]...]\n"
	        "                  [--plot FILE.svg] [--markdown FILE]\n"
	        "Run hoop side by side with what it replaces, on this machine, "
	        "and\n"
	        "print one table of ratios (each measured in one run, in "
	        "turns, so a\n"
	        "busy machine slows both sides alike).\n"
	        "\n"
	        "  --quick          a short run, under a minute (the default "
	        "run\n"
	        "                   stays under ten)\n"
	        "  --json FILE      write every result as a JSON line to FILE "
	        "('-':\n"
	        "                   stdout, and the table goes to stderr); "
	        "default\n"
	        "                   hoop-bench.jsonl in the current directory\n"
	        "  --plot FILE.svg  draw the ratios of the table as a bar "
	        "chart\n"
	        "                   (SVG, log scale around 1x)\n"
	        "  --markdown FILE  write a Markdown report: the machine, the\n"
	        "                   command line, the table and one table per "
	        "suite\n"
	        "  --only LIST      run only these suites (see --list)\n"
	        "  --list           list the suites and where each comes from\n"
	        "  --cp-size SIZE   file size for the cp suite (default 256M "
	        "with\n"
	        "                   --quick, else 1G)\n"
	        "  --cp-dir DIR     where the cp suite puts its files "
	        "(default\n"
	        "                   $TMPDIR or /tmp; a real disk, not tmpfs, "
	        "for\n"
	        "                   the cold and O_DIRECT cases)\n"
	        "  --repeat N       cp suite: runs of each tool (default 3, or "
	        "5\n"
	        "                   without --quick); medians are reported\n"
	        "  -v, --verbose    show the suites' own notes (stderr)\n"
	        "  -h, --help       this text\n"
	        "\n"
	        "The suites are the programs in bench/ (built with the library "
	        "when\n"
	        "liburing is installed), found in $HOOP_BENCH_DIR, ../bench "
	        "next to\n"
	        "this executable (a build tree) or " HOOP_BENCH_LIBEXEC
	        " next to it\n"
	        "(installed); python/bench/bench_py.py when the hoop Python\n"
	        "package imports; go test -bench in go/ when Go is installed "
	        "(not\n"
	        "with --quick); net, which runs bench/'s echo client against "
	        "hoop's\n"
	        "echo server and bench/'s epoll server, and without --quick "
	        "wrk\n"
	        "against hoop's HTTP server and nginx when both are installed\n"
	        "(hoop bench installs nothing); and cp, which times `hoop cp`\n"
	        "against coreutils' cp and `dd bs=1M` (warm cache; without "
	        "--quick\n"
	        "also cold cache and O_DIRECT). Missing suites are skipped "
	        "with a\n"
	        "note.\n"
	        "Environment: HOOP_BENCH_SECONDS and HOOP_BENCH_REPEATS are "
	        "passed\n"
	        "to the bench/ programs (--quick sets 0.02 and 5 unless "
	        "given).\n"
	        "\n"
	        "Files: the data files go to $TMPDIR (default /tmp), the cp "
	        "suite's\n"
	        "to --cp-dir: hoop-bench-1g.dat (1 GiB, the core and engine "
	        "suites;\n"
	        "$HOOP_BENCH_FILE names another, which is then left alone),\n"
	        "hoop-bench-py.dat (the Python suite), hoop-bench-cp-SIZE.dat "
	        "and\n"
	        "hoop-bench-cp.PID.out (cp), and the log of the suites' "
	        "messages,\n"
	        "hoop-bench-PID.log. What a run creates it removes at its end "
	        "and on\n"
	        "Ctrl-C; the log stays when a suite failed (its path is "
	        "printed).\n"
	        "The first JSON line says where they are (data_dir, cp_dir,\n"
	        "data_file, log).\n"
	        "\n"
	        "Exit status: 0 if every suite that ran finished, 1 if one "
	        "failed or\n"
	        "ran out of time or a result or report could not be written, 2 "
	        "for\n"
	        "bad usage.\n");
}

/* The load average and the date when the run starts, for the report. */
static void start_facts(struct bench *b)
{
	FILE *f = fopen("/proc/loadavg", "re");
	double l1, l5, l15;
	if (f && fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3)
		snprintf(b->load_start, sizeof(b->load_start),
		         "%.2f, %.2f, %.2f", l1, l5, l15);
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
	bench_json_out(b, "bench", line);
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
		} else if (!val && (strcmp(a, "--json") == 0 ||
		                    strcmp(a, "--only") == 0 ||
		                    strcmp(a, "--plot") == 0 ||
		                    strcmp(a, "--markdown") == 0 ||
		                    strcmp(a, "--cp-size") == 0 ||
		                    strcmp(a, "--cp-dir") == 0 ||
		                    strcmp(a, "--repeat") == 0)) {
			cli_err("option '%s' requires an argument", a);
			return CLI_USAGE;
		} else if (strcmp(a, "--json") == 0) {
			b.json_path = argv[++i];
		} else if (strcmp(a, "--plot") == 0) {
			size_t l = strlen(argv[++i]);
			if (l < 5 || strcmp(argv[i] + l - 4, ".svg") != 0) {
				cli_err("--plot writes SVG: name the file "
				        "*.svg, not '%s'",
				        argv[i]);
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
				cli_err("invalid size '%s' (at least 1M)", argv[i]);
				return CLI_USAGE;
			}
		} else if (strcmp(a, "--repeat") == 0) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || v < 1 || v > CP_MAX_REPEAT) {
				cli_err("invalid repeat count '%s' (1-%d)",
				        argv[i], CP_MAX_REPEAT);
				return CLI_USAGE;
			}
			b.repeat = (int)v;
		} else {
			cli_err("unknown option '%s'", a);
			fprintf(stderr, "Try 'hoop bench --help' for more "
			                "information.\n");
			return CLI_USAGE;
		}
	}
	bench_locate(&b);
	if (list) {
		bench_list_suites(&b);
		return CLI_OK;
	}
	if (b.only) {
		for (const char *p = b.only; *p;) {
			size_t n = strcspn(p, ",");
			if (!bench_suite_exists(p, n)) {
				cli_err("unknown suite '%.*s' (see hoop bench "
				        "--list)",
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
	snprintf(b.py_file, sizeof(b.py_file), "%s/hoop-bench-py.dat", b.tmp_dir);
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
			cli_errno(-errno, "cannot write '%s'", reports[i]);
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
			cli_errno(-errno, "cannot write '%s'", b.json_path);
			return CLI_FAIL;
		}
	}
	b.argc = argc;
	b.argv = argv;
	start_facts(&b);
	snprintf(b.log_path, sizeof(b.log_path), "%s/hoop-bench-%d.log",
	         b.tmp_dir, (int)getpid());
	b.log_fd = open(b.log_path,
	                O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	b.t0 = cli_now();
	b.deadline = b.t0 + (b.quick ? QUICK_BUDGET : FULL_BUDGET);
	int n = bench_count_suites(&b), failed;
	fprintf(stderr,
	        "hoop bench%s: %d suites, at most %.0f s; results in %s\n"
	        "hoop bench: data files in %s (cp: %s), removed at the end\n",
	        b.quick ? " --quick" : "", n, b.quick ? QUICK_BUDGET : FULL_BUDGET,
	        b.json == stdout ? "stdout" : b.json_path, b.tmp_dir, b.cp_dir);
	bench_where_json(&b);
	int suite_failed = bench_run_suites(&b);
	failed = suite_failed;
	/* Results that did not reach the JSON file are a failure. */
	if (b.json && b.json != stdout && fclose(b.json) != 0 && !b.json_err)
		b.json_err = -errno;
	if (b.json == stdout && fflush(stdout) != 0 && !b.json_err)
		b.json_err = -errno;
	if (b.json_err) {
		cli_errno(b.json_err, "writing the results to '%s'", b.json_path);
		failed = 1;
	}
	bench_remove_owned(&b);
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
	fprintf(table,
	        ".\nThe machine: %ld CPUs; other work on it slows both "
	        "sides of each comparison.\n",
	        sysconf(_SC_NPROCESSORS_ONLN));
	fflush(table);
	for (int i = 0; i < 2; i++) {
		const char *path = i ? b.markdown_path : b.plot_path;
		if (!path)
			continue;
		int r = i ? bench_write_markdown(&b, path)
		          : bench_write_svg(&b, path);
		if (r < 0) {
			cli_errno(r, "cannot write '%s'", path);
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
