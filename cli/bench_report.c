/*
 * cli/bench_report.c - the reports of `hoop bench`:
 *   --plot FILE.svg    a bar chart of the "hoop is Nx" ratios, one bar per
 *                      row of the table, on a log scale around 1x; plain
 *                      SVG written here, no plotting tool needed;
 *   --markdown FILE    the machine, the command line, the summary table
 *                      and one table per suite, in Markdown (the top of
 *                      docs/BENCHMARKS.md is one such report);
 * and the table on the terminal, which both reports repeat.
 */
#include "cli.h"
#include "bench.h"

#include <hoop.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

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
		const char *what = strstr(r->name, "_cpu_per_op")
		                           ? "CPU per read"
		                   : strstr(r->name, "_cpu") ? "CPU time"
		                                             : "reads";
		snprintf(out, len, "O_DIRECT 4K, depth %u: %s%s", k, what,
		         strncmp(strchr(r->name + 9, '_'), "_pool_", 6) == 0
		                 ? " (queue on threads)"
		                 : "");
	} else if (sscanf(r->name, "echo_c%u_%uB", &k, &size) == 2) {
		int cpu = strstr(r->name, "_server_cpu") != NULL;
		snprintf(out, len, "echo, %u conn%s x %u%s%s", k,
		         k == 1 ? "" : "s", size >= 1024 ? size / 1024 : size,
		         size >= 1024 ? " KiB" : " B",
		         cpu ? ": server CPU per round trip" : "");
	} else if (sscanf(r->name, "http_c%u", &k) == 1) {
		snprintf(out, len, "HTTP, %u conns (wrk)%s", k,
		         strstr(r->name, "_server_cpu")
		                 ? ": server CPU per request"
		                 : "");
	} else if (sscanf(r->name, "cp_%u%*[MG]_%15[a-z]", &k, mode) == 2) {
		const char *unit = strchr(r->name + 3, 'G') &&
		                                   strchr(r->name + 3, 'G') <
		                                           strchr(r->name + 3, '_')
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
		        r->suite, w_desc, desc[i], w_h, hv[i], w_base,
		        r->baseline, w_bv, bv[i], w_r, rv[i], sv[i]);
	}
	fprintf(f, "\n\"hoop is\" = how many times better hoop did than the "
	           "baseline: the ratio of\nthe two medians beside it (higher "
	           "rates, lower times); below 1.00x the\nbaseline won. "
	           "\"spread\" "
	           "= the lowest and highest ratio of single repeats\n(each "
	           "measured "
	           "in one round, in turns; \"-\": not known).\n");
}

/* ---- the chart ---- */

/* Text for XML: & < > " escaped. */
static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* The rows the chart shows: those of the table that have a ratio. */
static int charted(const struct bench *b, const struct row *r)
{
	return bench_show_in_table(b, r) && !isnan(r->ratio) && r->ratio > 0;
}

int bench_write_svg(const struct bench *b, const char *path)
{
	char label[MAX_ROWS][192]; /* suite, description, baseline */
	int n = 0, idx[MAX_ROWS];
	size_t longest = 10;
	double lo = 0.5, hi = 2;
	for (int i = 0; i < b->nrows; i++) {
		const struct row *r = &b->rows[i];
		char desc[80];
		if (!charted(b, r))
			continue;
		bench_describe(r, desc, sizeof(desc));
		snprintf(label[n], sizeof(label[n]), "%s: %s (vs %s)", r->suite,
		         desc, r->baseline);
		if (strlen(label[n]) > longest)
			longest = strlen(label[n]);
		if (r->ratio < lo)
			lo = r->ratio;
		if (r->ratio > hi)
			hi = r->ratio;
		idx[n++] = i;
	}
	/* Whole powers of two at both ends of the axis, with room for the
	 * value written beside the longest bars. */
	int e_lo = (int)floor(log2(lo * 0.8)), e_hi = (int)ceil(log2(hi * 1.25));
	const int bar_h = 16, gap = 6, top = 58, bottom = 46;
	const int label_w = (int)(longest * 6.4) + 16;
	const int plot_w = 460, left = label_w + 10, right = 70;
	const int width = left + plot_w + right;
	const int height = top + (n ? n : 1) * (bar_h + gap) + bottom;
#define XPOS(v) (left + (log2(v) - e_lo) / (double)(e_hi - e_lo) * plot_w)

	FILE *f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	        "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"DejaVu "
	        "Sans, "
	        "Helvetica, Arial, sans-serif\" font-size=\"11\">\n"
	        "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
	        width, height, width, height);
	fprintf(f,
	        "<text x=\"12\" y=\"22\" font-size=\"15\" font-weight=\"bold\">"
	        "hoop bench%s: how many times better hoop did than the "
	        "baseline</text>\n"
	        "<text x=\"12\" y=\"40\" fill=\"#555\">%s; %ld CPUs, shared; "
	        "log scale, right of 1x hoop won, left of it the baseline "
	        "won</text>\n",
	        b->quick ? " --quick" : "", b->date_start,
	        sysconf(_SC_NPROCESSORS_ONLN));
	/* Grid: a line per power of two, 1x darker. */
	int y_end = top + n * (bar_h + gap);
	for (int e = e_lo; e <= e_hi; e++) {
		double x = XPOS(ldexp(1, e));
		fprintf(f,
		        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
		        "stroke=\"%s\" stroke-width=\"%s\"/>\n"
		        "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
		        "fill=\"#444\">%gx</text>\n",
		        x, top - 6, x, y_end + 2, e == 0 ? "#333" : "#ddd",
		        e == 0 ? "1.5" : "1", x, y_end + 18, ldexp(1, e));
	}
	for (int k = 0; k < n; k++) {
		const struct row *r = &b->rows[idx[k]];
		int y = top + k * (bar_h + gap);
		double x1 = XPOS(1.0), x = XPOS(r->ratio);
		double bx = x < x1 ? x : x1, bw = fabs(x - x1);
		int won = r->ratio >= 1.0;
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
		        left - 8, y + bar_h - 4);
		xml_text(f, label[k]);
		fprintf(f,
		        "</text>\n<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
		        "height=\"%d\" fill=\"%s\"/>\n"
		        "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\" "
		        "fill=\"#222\">%.2fx</text>\n",
		        bx, y, bw < 1 ? 1 : bw, bar_h,
		        won ? "#3a7d44" : "#c0504d", won ? x + 4 : x - 4,
		        y + bar_h - 4, won ? "start" : "end", r->ratio);
	}
	if (n == 0)
		fprintf(f,
		        "<text x=\"%d\" y=\"%d\">no comparisons in this run"
		        "</text>\n",
		        left, top + bar_h);
	fprintf(f,
	        "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" "
	        "fill=\"#444\">"
	        "hoop is N times better (the ratio of the medians; higher "
	        "rates, lower times)</text>\n</svg>\n",
	        left + plot_w / 2.0, y_end + 36);
#undef XPOS
	return fclose(f) == 0 ? 0 : -errno;
}

/* ---- the Markdown report ---- */

/* The first line of `path` that starts with `key`, after its ':', into
 * out; 0 if there is none. */
static int proc_field(const char *path, const char *key, char *out, size_t len)
{
	char line[512];
	int found = 0;
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (strncmp(line, key, strlen(key)) != 0 || !colon)
			continue;
		colon++;
		colon += strspn(colon, " \t");
		colon[strcspn(colon, "\n")] = '\0';
		cli_copy(out, len, colon);
		found = 1;
	}
	fclose(f);
	return found;
}

/* A table cell: | escaped, so a value cannot break the table. */
static void md_cell(FILE *f, const char *s)
{
	fputs("| ", f);
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc(' ', f);
}

static void md_machine(FILE *f, const struct bench *b)
{
	struct utsname u;
	char model[256] = "unknown", mem[64] = "";
	unsigned long long kb = 0;
	proc_field("/proc/cpuinfo", "model name", model, sizeof(model));
	if (proc_field("/proc/meminfo", "MemTotal", mem, sizeof(mem)) &&
	    sscanf(mem, "%llu", &kb) == 1)
		cli_human_bytes((double)kb * 1024, mem, sizeof(mem));
	fprintf(f, "## Machine\n\n");
	if (uname(&u) == 0)
		fprintf(f, "- Kernel: %s %s (%s), %s\n", u.sysname, u.release,
		        u.version, u.machine);
	fprintf(f, "- CPUs: %ld online, model name: %s\n",
	        sysconf(_SC_NPROCESSORS_ONLN), model);
	fprintf(f, "- Memory: %s\n", mem[0] ? mem : "unknown");
	fprintf(f, "- Load average at the start (1, 5, 15 min): %s\n",
	        b->load_start[0] ? b->load_start : "unknown");
	fprintf(f, "- Date: %s; hoop %s\n", b->date_start, hoop_version_string());
	fprintf(f,
	        "- The machine is shared with other work: each ratio compares "
	        "hoop with its baseline\n  measured in the same run, in "
	        "turns, so both sides see the same load;\n  absolute "
	        "figures move with the load, ratios much less.\n\n");
}

/* Relative path from the report's directory to the chart, if both are in
 * one directory; else the chart's path as given. */
static void chart_ref(const char *md, const char *svg, char *out, size_t len)
{
	char d1[PATH_MAX], d2[PATH_MAX], t1[PATH_MAX], t2[PATH_MAX];
	cli_copy(t1, sizeof(t1), md);
	cli_copy(t2, sizeof(t2), svg);
	char *s1 = strrchr(t1, '/'), *s2 = strrchr(t2, '/');
	if (s1)
		*s1 = '\0';
	if (s2)
		*s2 = '\0';
	const char *base = s2 ? strrchr(svg, '/') + 1 : svg;
	if (realpath(s1 ? t1 : ".", d1) && realpath(s2 ? t2 : ".", d2) &&
	    strcmp(d1, d2) == 0)
		cli_copy(out, len, base);
	else
		cli_copy(out, len, svg);
}

static void md_row_values(FILE *f, const struct row *r)
{
	char hv[32], bv[32], ratio[32], spread[48];
	bench_fmt_value(r->hoop, r->unit, hv, sizeof(hv));
	bench_fmt_value(r->base, r->unit, bv, sizeof(bv));
	bench_fmt_ratio(r, ratio, sizeof(ratio));
	bench_fmt_spread(r, spread, sizeof(spread));
	md_cell(f, hv);
	md_cell(f, r->baseline[0] ? r->baseline : "-");
	md_cell(f, bv);
	md_cell(f, ratio);
	md_cell(f, spread);
	fputs("|\n", f);
}

int bench_write_markdown(const struct bench *b, const char *path)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f, "# One run of `hoop bench`\n\n");
	fprintf(f,
	        "Generated by `hoop bench --markdown` (the command below); "
	        "\"hoop is\" = how many\ntimes better hoop did than the "
	        "baseline in the same run: the ratio of the\ntwo medians "
	        "shown (higher rates, lower times); below 1.00x the baseline\n"
	        "won. \"spread\" = the lowest and highest ratio of single "
	        "repeats.\n\n```sh\nhoop");
	for (int i = 0; i < b->argc; i++)
		fprintf(f, " %s", b->argv[i]);
	fprintf(f, "\n```\n\n");
	md_machine(f, b);

	fprintf(f, "## Summary\n\n%d results from %d suites in %.0f s%s.\n\n",
	        b->nrows, b->nran, cli_now() - b->t0,
	        b->quick ? " (--quick)" : "");
	fprintf(f,
	        "| suite | what | hoop | baseline | baseline value | hoop is "
	        "| spread |\n|---|---|---:|---|---:|---:|---:|\n");
	for (int i = 0; i < b->nrows; i++) {
		const struct row *r = &b->rows[i];
		char desc[80];
		if (!bench_show_in_table(b, r))
			continue;
		bench_describe(r, desc, sizeof(desc));
		md_cell(f, r->suite);
		md_cell(f, desc);
		md_row_values(f, r);
	}
	if (b->plot_path) {
		char ref[PATH_MAX];
		chart_ref(path, b->plot_path, ref, sizeof(ref));
		fprintf(f, "\n![The ratios of the table above as bars](%s)\n", ref);
	}

	fprintf(f, "\n## The suites\n");
	for (int k = 0; k < b->nran; k++) {
		const struct ran *s = &b->ran[k];
		fprintf(f, "\n### %s: %s\n\n", s->name, s->what);
		if (s->note[0])
			fprintf(f, "%d result%s in %.1f s; %s.\n", s->rows,
			        s->rows == 1 ? "" : "s", s->secs, s->note);
		else
			fprintf(f, "%d result%s in %.1f s.\n", s->rows,
			        s->rows == 1 ? "" : "s", s->secs);
		if (!s->rows)
			continue;
		fprintf(f,
		        "\n| case | unit | hoop | baseline | baseline value | "
		        "hoop is | spread "
		        "|\n|---|---|---:|---|---:|---:|---:|\n");
		for (int i = 0; i < b->nrows; i++) {
			const struct row *r = &b->rows[i];
			char name[80];
			if (strcmp(r->suite, s->name) != 0)
				continue;
			snprintf(name, sizeof(name), "`%s`", r->name);
			md_cell(f, name);
			md_cell(f, r->unit);
			md_row_values(f, r);
		}
	}
	return fclose(f) == 0 ? 0 : -errno;
}
