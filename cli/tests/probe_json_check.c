/*
 * cli/tests/probe_json_check.c - compares `hoop probe --json` output (a
 * file) with hoop_probe_run in this process: every field of struct
 * hoop_probe must be there with the same value.
 *
 *   probe_json_check FILE [uring|none]
 *
 * The optional second argument also checks what the probe must have found
 * (usable io_uring, or none, as under tests/seccomp_run). Exit 0 pass,
 * 1 fail.
 */
#include <hoop.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char text[65536];
static int failures;

/* The text after `"key": `, or NULL. */
static const char *value_of(const char *key)
{
	char pat[80];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *p = strstr(text, pat);
	return p ? p + strlen(pat) : NULL;
}

static void check_int(const char *key, long long want)
{
	const char *v = value_of(key);
	if (!v) {
		fprintf(stderr, "FAIL: %s missing\n", key);
		failures++;
		return;
	}
	long long got = strtoll(v, NULL, 10);
	if (got != want) {
		fprintf(stderr, "FAIL: %s = %lld, library says %lld\n", key,
		        got, want);
		failures++;
	}
}

static void check_u64(const char *key, uint64_t want)
{
	const char *v = value_of(key);
	if (!v) {
		fprintf(stderr, "FAIL: %s missing\n", key);
		failures++;
		return;
	}
	uint64_t got = strtoull(v, NULL, 10);
	if (got != want) {
		fprintf(stderr,
		        "FAIL: %s = %" PRIu64 ", library says %" PRIu64 "\n",
		        key, got, want);
		failures++;
	}
}

static void check_str(const char *key, const char *want)
{
	const char *v = value_of(key);
	char got[512];
	size_t n = 0;
	if (!v || *v != '"') {
		fprintf(stderr, "FAIL: %s missing or not a string\n", key);
		failures++;
		return;
	}
	for (v++; *v && *v != '"' && n + 1 < sizeof(got); v++) {
		if (*v == '\\') {
			v++;
			if (*v == 'u') {
				got[n++] = (char)strtol(v + 1, NULL, 16);
				v += 4;
				continue;
			}
		}
		got[n++] = *v;
	}
	got[n] = '\0';
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "FAIL: %s = \"%s\", library says \"%s\"\n", key,
		        got, want);
		failures++;
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE [uring|none]\n", argv[0]);
		return 1;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	size_t len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = '\0';

	struct hoop_probe p = {.size = sizeof(struct hoop_probe)};
	int err = hoop_probe_run(&p);
	if (err < 0) {
		fprintf(stderr, "FAIL: hoop_probe_run: %s\n", hoop_strerror(err));
		return 1;
	}
	check_int("size", p.size);
	check_int("usable", p.usable);
	check_int("setup_err", p.setup_err);
	check_int("io_uring_disabled", p.io_uring_disabled);
	check_int("io_uring_group", p.io_uring_group);
	check_int("seccomp_mode", p.seccomp_mode);
	check_int("tier", p.tier);
	check_str("tier_name", hoop_probe_tier_name(p.tier));
	check_int("auto_backend", p.auto_backend);
	check_int("kernel_major", p.kernel_major);
	check_int("kernel_minor", p.kernel_minor);
	check_int("kernel_patch", p.kernel_patch);
	check_int("features", p.features);
	check_int("setup_flags", p.setup_flags);
	check_int("sqpoll_permitted", p.sqpoll_permitted);
	check_int("sqpoll_err", p.sqpoll_err);
	check_int("buf_ring", p.buf_ring);
	check_int("opcode_count", p.opcode_count);
	check_int("kernel_ops", p.kernel_ops);
	check_int("resv0", p.resv0);
	check_int("resv1", p.resv1);
	check_u64("opcodes", p.opcodes);
	check_u64("opcodes_hi", p.opcodes_hi);
	check_u64("memlock_limit", p.memlock_limit);
	check_int("memlock_charged", p.memlock_charged);
	check_int("max_entries", p.max_entries);
	check_str("kernel_release", p.kernel_release);
	check_str("reason", p.reason);
	check_str("memlock_note", p.memlock_note);
	check_str("auto_reason", p.auto_reason);
	check_u64("ring_extras", p.ring_extras);

	/* The opcode names list as many names as there are supported opcodes. */
	const char *names = value_of("opcode_names");
	int count = 0;
	for (const char *q = names; q && *q && *q != ']'; q++)
		count += *q == '"';
	if (count / 2 != (int)p.opcode_count) {
		fprintf(stderr,
		        "FAIL: opcode_names has %d names, opcode_count %u\n",
		        count / 2, p.opcode_count);
		failures++;
	}
	/* ring_extra_names: one name per HOOP_PROBE_X_* bit set, in bit
	 * order, with the CLI's names. */
	static const char *const extra_names[] = {
	        "sync_msg",          "clone_buffers",    "clone_offsets",
	        "mem_region",        "wait_region",      "cmd_getsockname",
	        "cq_eventfd_toggle", "mem_region_kernel"};
	char want[512] = "[", *end = want + 1;
	for (unsigned i = 0; i < sizeof(extra_names) / sizeof(*extra_names); i++) {
		if (!(p.ring_extras & (UINT64_C(1) << i)))
			continue;
		end += sprintf(end, "%s\"%s\"", end == want + 1 ? "" : ", ",
		               extra_names[i]);
	}
	strcpy(end, "]");
	const char *xn = value_of("ring_extra_names");
	if (!xn || strncmp(xn, want, strlen(want)) != 0) {
		fprintf(stderr, "FAIL: ring_extra_names is %.80s, want %s\n",
		        xn ? xn : "(missing)", want);
		failures++;
	}
	if (argc > 2 && strcmp(argv[2], "uring") == 0 && p.usable != 1) {
		fprintf(stderr, "FAIL: expected usable io_uring: %s\n", p.reason);
		failures++;
	}
	if (argc > 2 && strcmp(argv[2], "none") == 0 &&
	    (p.usable != 0 || p.tier != HOOP_TIER_NONE ||
	     !strstr(p.reason, "EPERM"))) {
		fprintf(stderr,
		        "FAIL: expected io_uring refused with EPERM, got "
		        "usable %d tier %d reason '%s'\n",
		        p.usable, p.tier, p.reason);
		failures++;
	}
	if (failures)
		return 1;
	printf("probe_json_check: %s matches hoop_probe_run (%u opcodes, tier "
	       "%s)\n",
	       argv[1], p.opcode_count, hoop_probe_tier_name(p.tier));
	return 0;
}
