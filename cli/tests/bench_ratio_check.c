/*
 * cli_bench_ratio: the "hoop is" column of `hoop bench` is the ratio of
 * the two medians printed beside it, in the terminal table, the Markdown
 * report and the JSON lines, and the spread column is the min-max of the
 * per-repeat ratios. Known repeats go through the code hoop bench uses
 * (bench_emit_repeats, bench_take_line, bench_print_table,
 * bench_write_markdown) and the output is checked against values worked
 * out by hand, chosen so that the median of the per-repeat ratios
 * contradicts the ratio of the medians (issue 18: 58.4 vs 50.2 krt/s was
 * shown as "0.95x"):
 *   rates (rt/s), hoop {10, 60, 58.4}, epoll {50.2, 70, 45}:
 *     medians 58.4 and 50.2, ratio 58.4/50.2 = 1.1633 ("1.16x");
 *     per repeat 0.199, 0.857, 1.298: median 0.857, spread "0.20-1.30x";
 *   times (s), hoop {0.91, 1.0, 0.5}, cp {0.2, 0.39, 0.9}:
 *     medians 0.91 and 0.39, ratio 0.39/0.91 = 0.4286 ("0.43x", lower
 *     times are better); per repeat 0.220, 0.390, 1.800: median 0.39,
 *     spread "0.22-1.80x";
 *   a bench/ program's line that says "ratio": 0.95 (a median of per-run
 *     ratios) for hoop 58400 vs 50200 ops/s: shown as 1.16x, and the JSON
 *     line written says 1.1633; its ratio_min/ratio_max are the spread.
 * The hoop command's own sources are compiled in (its main renamed).
 */
#define main hoop_cli_main
#include "../hoop.c"
#undef main

#include "../bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The other subcommands are not part of this test. */
int cmd_probe(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 2;
}
int cmd_cp(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 2;
}
int cmd_cat(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 2;
}
int cmd_echo_server(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 2;
}
int cmd_http_server(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 2;
}

static int failures;

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	static char buf[1 << 16];
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = '\0';
	if (f)
		fclose(f);
	return buf;
}

/* The line of `text` that contains `key`, into out; 0 if none. */
static int line_with(const char *text, const char *key, char *out, size_t len)
{
	const char *p = strstr(text, key);
	if (!p)
		return 0;
	while (p > text && p[-1] != '\n')
		p--;
	size_t n = strcspn(p, "\n");
	snprintf(out, len, "%.*s", (int)n, p);
	return 1;
}

/* `where`'s line naming `key` has each of the NULL-ended `want`. */
static void expect_line(const char *where, const char *text, const char *key,
                        const char *const *want)
{
	char line[1024];
	if (!line_with(text, key, line, sizeof(line))) {
		fprintf(stderr, "FAIL: %s: no line with '%s':\n%s\n", where,
		        key, text);
		failures++;
		return;
	}
	for (; *want; want++)
		if (!strstr(line, *want)) {
			fprintf(stderr,
			        "FAIL: %s: '%s' not in the line of %s: %s\n",
			        where, *want, key, line);
			failures++;
		}
}

int main(void)
{
	static struct bench b;
	char dir[] = "/tmp/hoop-bench-ratio.XXXXXX";
	char json[64], table[64], md[64];
	/* Rates per CPU second are rates: engine-threads printed 870083 vs
	 * 934563 ops/cpu-s as "1.07x" (hoop ahead) while it was behind. */
	if (!bench_higher_is_better("ops/cpu-s") ||
	    !bench_higher_is_better("kops/s") || bench_higher_is_better("s") ||
	    bench_higher_is_better("us/file") ||
	    fabs(bench_ratio(870083, 934563, "ops/cpu-s") - 0.931) > 0.001) {
		fprintf(stderr, "ops/cpu-s is not read as a rate\n");
		return 1;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(json, sizeof(json), "%s/r.jsonl", dir);
	snprintf(table, sizeof(table), "%s/table", dir);
	snprintf(md, sizeof(md), "%s/r.md", dir);

	memset(&b, 0, sizeof(b));
	b.log_fd = -1;
	b.t0 = cli_now();
	b.json_path = json;
	b.json = fopen(json, "we");
	if (!b.json) {
		perror(json);
		return 1;
	}

	const double rate_h[] = {10, 60, 58.4}, rate_b[] = {50.2, 70, 45};
	const double time_h[] = {0.91, 1.0, 0.5}, time_b[] = {0.2, 0.39, 0.9};
	bench_emit_repeats(&b, "net", "echo_c64_64B_same", "rt/s", rate_h,
	                   "epoll", rate_b, 3);
	bench_emit_repeats(&b, "cp", "cp_256M_warm_vs_cp", "s", time_h, "cp",
	                   time_b, 3);
	bench_take_line(&b, "core-nop",
	                "{\"case\": \"nop_batch32\", \"unit\": \"ops/s\", "
	                "\"hoop\": 58400, \"baseline\": \"liburing\", "
	                "\"baseline_value\": 50200, \"ratio\": 0.9500, "
	                "\"ratio_min\": 0.8000, \"ratio_max\": 1.2500}");
	fclose(b.json);
	b.json = NULL;
	/* The suites that "ran", for the report's per-suite tables. */
	const char *names[] = {"net", "cp", "core-nop"};
	for (int i = 0; i < 3; i++) {
		snprintf(b.ran[i].name, sizeof(b.ran[i].name), "%s", names[i]);
		b.ran[i].rows = 1;
	}
	b.nran = 3;

	FILE *f = fopen(table, "we");
	if (!f) {
		perror(table);
		return 1;
	}
	bench_print_table(&b, f);
	fclose(f);
	if (bench_write_markdown(&b, md) < 0) {
		perror(md);
		return 1;
	}

	const char *t = slurp(table);
	printf("%s\n", t);
	expect_line("table", t, "hoop is", (const char *[]){"spread", NULL});
	expect_line("table", t, "echo, 64 conns",
	            (const char *[]){"58.4 rt/s", "50.2 rt/s", "1.16x",
	                             "0.20-1.30x", NULL});
	expect_line("table", t, "copy 256 MiB",
	            (const char *[]){"0.91 s", "0.39 s", "0.43x", "0.22-1.80x",
	                             NULL});
	expect_line("table", t, "NOPs, batches of 32",
	            (const char *[]){"58.4 kops/s", "50.2 kops/s", "1.16x",
	                             "0.80-1.25x", NULL});

	const char *m = slurp(md);
	expect_line("markdown", m, "| suite | what |",
	            (const char *[]){"| hoop is | spread |", NULL});
	expect_line("markdown", m, "| net | echo, 64 conns",
	            (const char *[]){"| 1.16x | 0.20-1.30x |", NULL});
	expect_line("markdown", m, "| `echo_c64_64B_same` |",
	            (const char *[]){"| 1.16x | 0.20-1.30x |", NULL});
	expect_line("markdown", m, "| `cp_256M_warm_vs_cp` |",
	            (const char *[]){"| 0.43x | 0.22-1.80x |", NULL});
	expect_line("markdown", m, "| `nop_batch32` |",
	            (const char *[]){"| 1.16x | 0.80-1.25x |", NULL});

	const char *j = slurp(json);
	expect_line("json", j, "echo_c64_64B_same",
	            (const char *[]){"\"suite\": \"net\"", "\"hoop\": 58.4",
	                             "\"baseline_value\": 50.2",
	                             "\"ratio\": 1.1633", "\"ratio_min\": 0.1992",
	                             "\"ratio_max\": 1.2978", NULL});
	expect_line("json", j, "cp_256M_warm_vs_cp",
	            (const char *[]){"\"hoop\": 0.91", "\"baseline_value\": 0.39",
	                             "\"ratio\": 0.4286", "\"ratio_min\": 0.2198",
	                             "\"ratio_max\": 1.8000", NULL});
	expect_line("json", j, "nop_batch32",
	            (const char *[]){"\"ratio\": 1.1633", "\"ratio_min\": 0.8000",
	                             "\"ratio_max\": 1.2500", NULL});

	unlink(json);
	unlink(table);
	unlink(md);
	rmdir(dir);
	if (failures) {
		fprintf(stderr, "cli_bench_ratio: %d failure(s)\n", failures);
		return 1;
	}
	printf("cli_bench_ratio: passed\n");
	return 0;
}
