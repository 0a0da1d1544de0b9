/*
 * cli/bench_results.c - the results of `hoop bench`: the JSON lines the
 * bench/ programs print (read with cJSON), the rows of the table, the
 * ratio of two medians, and the JSON file every result goes to. Depends
 * on nothing else in the bench: the suites feed it, the reports read it.
 */
#include "cli.h"
#include "bench.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* A string member of `o` into out (truncated to fit); nothing if absent. */
static void get_str(const cJSON *o, const char *key, char *out, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (cJSON_IsString(v) && v->valuestring)
		cli_copy(out, len, v->valuestring);
}

static double get_num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

double bench_json_num(const char *line, const char *key)
{
	cJSON *o = cJSON_Parse(line);
	double v = cJSON_IsObject(o) ? get_num(o, key) : NAN;
	cJSON_Delete(o);
	return v;
}

/* Fill r from one result line; returns 1 if it is a result row (an
 * object with a string "case"), 0 for other objects, -1 if the line is
 * not a JSON object. */
static int parse_row(const char *line, struct row *r)
{
	memset(r, 0, sizeof(*r));
	r->hoop = r->base = r->ratio = r->lo = r->hi = NAN;
	cJSON *o = cJSON_Parse(line);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return -1;
	}
	int has_case = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "cas"
	                                                                  "e"));
	get_str(o, "case", r->name, sizeof(r->name));
	get_str(o, "unit", r->unit, sizeof(r->unit));
	get_str(o, "baseline", r->baseline, sizeof(r->baseline));
	r->hoop = get_num(o, "hoop");
	r->base = get_num(o, "baseline_value");
	r->ratio = get_num(o, "ratio");
	r->lo = get_num(o, "ratio_min");
	r->hi = get_num(o, "ratio_max");
	cJSON_Delete(o);
	return has_case;
}

void bench_json_out(struct bench *b, const char *suite, const char *line)
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
	/* A rate: per second ("ops/s", "rt/s") or per CPU second
	 * ("ops/cpu-s"). */
	size_t n = strlen(unit);
	return (n >= 2 && strcmp(unit + n - 2, "/s") == 0) ||
	       (n >= 6 && strcmp(unit + n - 6, "/cpu-s") == 0);
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
static const char *set_ratio(const char *line, double ratio, char *out, size_t len)
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
	int is_row = parse_row(line, &r);
	if (is_row < 0) /* not a result: progress, messages */
		return;
	if (is_row && r.baseline[0]) {
		/* "hoop is" is the ratio of the two values shown beside it,
		 * whatever the program computed. */
		double ratio = bench_ratio(r.hoop, r.base, r.unit);
		if (!isnan(ratio) && strlen(line) + 32 < sizeof(fixed))
			line = set_ratio(line, ratio, fixed, sizeof(fixed));
		r.ratio = ratio;
	}
	bench_json_out(b, suite, line);
	if (is_row && b->nrows < MAX_ROWS) {
		cli_copy(r.suite, sizeof(r.suite), suite);
		b->rows[b->nrows++] = r;
	}
}

/* v with printf format `fmt`, or null where JSON has no number for it
 * (NAN, infinities). */
static const char *num(char *out, size_t len, const char *fmt, double v)
{
	if (!isfinite(v))
		return "null";
	snprintf(out, len, fmt, v);
	return out;
}

/* Emit a result that hoop bench measured itself (cp, go, net). */
void bench_emit(struct bench *b, const char *suite, const char *name,
                const char *unit, double hoop, const char *baseline,
                double base, double lo, double hi)
{
	char line[512], v[4][32];
	int n;
	if (!baseline) {
		snprintf(line, sizeof(line),
		         "{\"case\": \"%s\", \"unit\": \"%s\", \"hoop\": %s}",
		         name, unit, num(v[0], sizeof(v[0]), "%.6g", hoop));
		bench_take_line(b, suite, line);
		return;
	}
	n = snprintf(line, sizeof(line),
	             "{\"case\": \"%s\", \"unit\": \"%s\", \"hoop\": %s, "
	             "\"baseline\": \"%s\", \"baseline_value\": %s, "
	             "\"ratio\": %s",
	             name, unit, num(v[0], sizeof(v[0]), "%.6g", hoop),
	             baseline, num(v[1], sizeof(v[1]), "%.6g", base),
	             num(v[2], sizeof(v[2]), "%.4f", bench_ratio(hoop, base, unit)));
	if (!isnan(lo) && !isnan(hi) && n > 0 && (size_t)n < sizeof(line))
		n += snprintf(line + n, sizeof(line) - (size_t)n,
		              ", \"ratio_min\": %s, \"ratio_max\": %s",
		              num(v[0], sizeof(v[0]), "%.4f", lo),
		              num(v[1], sizeof(v[1]), "%.4f", hi));
	if (n > 0 && (size_t)n < sizeof(line) - 1)
		snprintf(line + n, sizeof(line) - (size_t)n, "}");
	bench_take_line(b, suite, line);
}

#define MAX_REPEATS 64

void bench_emit_repeats(struct bench *b, const char *suite, const char *name,
                        const char *unit, const double *h, const char *baseline,
                        const double *base, int n)
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
