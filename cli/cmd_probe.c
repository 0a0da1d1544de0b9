/*
 * cli/cmd_probe.c - `hoop probe [--json]`: hoop_probe_run's findings, as a
 * report for a person or as one JSON object with every field of
 * struct hoop_probe (plus names for the bit sets) for scripts.
 */
#include "cli.h"

#include <hoop.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- the report for a person ---- */

/* Prints words after a label, wrapping at 78 columns with a hanging indent. */
struct wrap {
	int col;
	int indent;
	int first;
};

static void wrap_start(struct wrap *w, const char *label)
{
	w->indent = printf("%-14s", label);
	w->col = w->indent;
	w->first = 1;
}

static void wrap_word(struct wrap *w, const char *word)
{
	int len = (int)strlen(word);
	if (!w->first && w->col + 1 + len > 78) {
		printf("\n%*s", w->indent, "");
		w->col = w->indent;
		w->first = 1;
	}
	w->col += printf("%s%s", w->first ? "" : " ", word);
	w->first = 0;
}

/* A name for each bit of a HOOP_FEAT_* or HOOP_SETUP_* word. */
typedef const char *(*bit_name_fn)(uint32_t bit);

static void print_bits(const char *label, uint32_t bits, bit_name_fn name)
{
	struct wrap w;
	char hex[32];
	uint32_t unnamed = 0;
	wrap_start(&w, label);
	snprintf(hex, sizeof(hex), "%#" PRIx32 ":", bits);
	wrap_word(&w, bits ? hex : "none");
	for (unsigned i = 0; i < 32; i++) {
		uint32_t bit = UINT32_C(1) << i;
		if (!(bits & bit))
			continue;
		if (name(bit))
			wrap_word(&w, name(bit));
		else
			unnamed |= bit;
	}
	if (unnamed) {
		snprintf(hex, sizeof(hex), "(unnamed %#" PRIx32 ")", unnamed);
		wrap_word(&w, hex);
	}
	printf("\n");
}

/* A name for each HOOP_PROBE_X_* bit of ring_extras: the hoop call the
 * bit says works here. */
static const char *extra_name(uint64_t bit)
{
	switch (bit) {
	case HOOP_PROBE_X_SYNC_MSG:
		return "sync_msg";
	case HOOP_PROBE_X_CLONE_BUFFERS:
		return "clone_buffers";
	case HOOP_PROBE_X_CLONE_OFFSETS:
		return "clone_offsets";
	case HOOP_PROBE_X_MEM_REGION:
		return "mem_region";
	case HOOP_PROBE_X_WAIT_REGION:
		return "wait_region";
	case HOOP_PROBE_X_CMD_GETSOCKNAME:
		return "cmd_getsockname";
	case HOOP_PROBE_X_CQ_EVENTFD_TOGGLE:
		return "cq_eventfd_toggle";
	case HOOP_PROBE_X_MEM_REGION_KERNEL:
		return "mem_region_kernel";
	}
	return NULL;
}

/* The probe's opcode masks: opcodes (0-63) and opcodes_hi (64-127). */
#define OPCODE_BITS 128u

/* hoop_opcode_name(op), or "opN" (in tmp) for an opcode hoop cannot name. */
static const char *opcode_word(unsigned op, char *tmp, size_t n)
{
	const char *name = hoop_opcode_name(op);
	if (name)
		return name;
	snprintf(tmp, n, "op%u", op);
	return tmp;
}

/* The ring_extras line: like print_bits, over 64 bits. */
static void print_extras(uint64_t bits)
{
	struct wrap w;
	char hex[48];
	uint64_t unnamed = 0;
	wrap_start(&w, "extras:");
	snprintf(hex, sizeof(hex), "%#" PRIx64 ":", bits);
	wrap_word(&w, bits ? hex : "none");
	for (unsigned i = 0; i < 64; i++) {
		uint64_t bit = UINT64_C(1) << i;
		if (!(bits & bit))
			continue;
		if (extra_name(bit))
			wrap_word(&w, extra_name(bit));
		else
			unnamed |= bit;
	}
	if (unnamed) {
		snprintf(hex, sizeof(hex), "(unnamed %#" PRIx64 ")", unnamed);
		wrap_word(&w, hex);
	}
	printf("\n");
}

static const char *tier_meaning(int tier)
{
	switch (tier) {
	case HOOP_TIER_NONE:
		return "no rings; engines and queues run on the thread pool";
	case HOOP_TIER_BASE:
		return "plain rings";
	case HOOP_TIER_MID:
		return "rings with COOP_TASKRUN (no task-work interrupts)";
	case HOOP_TIER_HIGH:
		return "SINGLE_ISSUER/DEFER_TASKRUN rings, multishot accept "
		       "and "
		       "recv, provided-buffer rings";
	}
	return "?";
}

static const char *disabled_meaning(int v)
{
	switch (v) {
	case 0:
		return "0 (io_uring enabled for all)";
	case 1:
		return "1 (only CAP_SYS_ADMIN or kernel.io_uring_group)";
	case 2:
		return "2 (io_uring disabled)";
	}
	return "unreadable";
}

static const char *seccomp_meaning(int v)
{
	switch (v) {
	case 0:
		return "none";
	case 1:
		return "strict";
	case 2:
		return "filter (some system calls may be refused)";
	}
	return "unknown";
}

static void print_report(const struct hoop_probe *p)
{
	printf("hoop %s, Linux %s\n\n", hoop_version_string(), p->kernel_release);
	printf("%-14s%s\n", "io_uring:", p->usable ? "usable" : p->reason);
	printf("%-14s%s: %s\n", "tier:", hoop_probe_tier_name(p->tier),
	       tier_meaning(p->tier));
	printf("%-14s%s\n", "backend:", p->auto_reason);
	char group[32];
	if (p->io_uring_group >= 0)
		snprintf(group, sizeof(group), "%d", p->io_uring_group);
	else
		snprintf(group, sizeof(group), "unset");
	printf("%-14skernel.io_uring_disabled = %s, io_uring_group %s\n",
	       "sysctl:", disabled_meaning(p->io_uring_disabled), group);
	printf("%-14s%s\n", "seccomp:", seccomp_meaning(p->seccomp_mode));
	printf("%-14s%s\n", "memlock:", p->memlock_note);
	if (p->max_entries)
		printf("%-14s%" PRIu32 " SQ entries at most per ring\n",
		       "ring size:", p->max_entries);
	else
		printf("%-14snone can be set up now\n", "ring size:");
	if (!p->usable)
		return;
	if (p->sqpoll_permitted)
		printf("%-14spermitted (used only when asked for)\n", "SQPOLL"
		                                                      ":");
	else
		printf("%-14snot permitted: %s\n",
		       "SQPOLL:", hoop_strerror(p->sqpoll_err));
	printf("%-14s%s\n", "buffer rings:",
	       p->buf_ring ? "yes (provided-buffer rings register)" : "no");
	print_bits("setup flags:", p->setup_flags, hoop_setup_flag_name);
	print_bits("features:", p->features, hoop_feature_name);
	print_extras(p->ring_extras);

	struct wrap w;
	char head[64];
	wrap_start(&w, "opcodes:");
	snprintf(head, sizeof(head),
	         "%" PRIu32 " of %" PRIu32 " supported:", p->opcode_count,
	         p->kernel_ops);
	wrap_word(&w, head);
	int missing = 0;
	for (unsigned op = 0; op < OPCODE_BITS && op < p->kernel_ops; op++) {
		if (hoop_probe_has_opcode(p, op)) {
			char tmp[16];
			wrap_word(&w, opcode_word(op, tmp, sizeof(tmp)));
		} else {
			missing++;
		}
	}
	printf("\n");
	/* Also the opcodes hoop knows that are newer than this kernel: the
	 * engine hands those to its thread pool (which has most file and
	 * socket calls; the others fail there with EOPNOTSUPP). */
	for (unsigned op = p->kernel_ops; op < HOOP_OP_LAST; op++)
		missing += hoop_opcode_name(op) != NULL;
	if (missing) {
		wrap_start(&w, "unsupported:");
		for (unsigned op = 0; op < OPCODE_BITS; op++) {
			if (hoop_probe_has_opcode(p, op))
				continue;
			if (op < p->kernel_ops)
				wrap_word(&w, hoop_opcode_name(op)
				                      ? hoop_opcode_name(op)
				                      : "?");
			else if (op < HOOP_OP_LAST && hoop_opcode_name(op))
				wrap_word(&w, hoop_opcode_name(op));
		}
		printf("\n");
	}
}

/* ---- JSON ---- */

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_names(uint32_t bits, bit_name_fn name)
{
	int first = 1;
	putchar('[');
	for (unsigned i = 0; i < 32; i++) {
		const char *n = name(UINT32_C(1) << i);
		if (!(bits & (UINT32_C(1) << i)) || !n)
			continue;
		printf("%s", first ? "" : ", ");
		json_string(n);
		first = 0;
	}
	putchar(']');
}

static void print_json(const struct hoop_probe *p)
{
	printf("{\n");
	printf("  \"size\": %" PRIu32 ",\n", p->size);
	printf("  \"usable\": %" PRId32 ",\n", p->usable);
	printf("  \"setup_err\": %" PRId32 ",\n", p->setup_err);
	printf("  \"io_uring_disabled\": %" PRId32 ",\n", p->io_uring_disabled);
	printf("  \"io_uring_group\": %" PRId32 ",\n", p->io_uring_group);
	printf("  \"seccomp_mode\": %" PRId32 ",\n", p->seccomp_mode);
	printf("  \"tier\": %" PRId32 ",\n", p->tier);
	printf("  \"tier_name\": ");
	json_string(hoop_probe_tier_name(p->tier));
	printf(",\n  \"auto_backend\": %" PRId32 ",\n", p->auto_backend);
	printf("  \"auto_backend_name\": \"%s\",\n",
	       p->auto_backend == HOOP_BACKEND_URING     ? "io_uring"
	       : p->auto_backend == HOOP_BACKEND_THREADS ? "threads"
	                                                 : "none");
	printf("  \"kernel_major\": %" PRIu32 ",\n", p->kernel_major);
	printf("  \"kernel_minor\": %" PRIu32 ",\n", p->kernel_minor);
	printf("  \"kernel_patch\": %" PRIu32 ",\n", p->kernel_patch);
	printf("  \"features\": %" PRIu32 ",\n", p->features);
	printf("  \"feature_names\": ");
	json_names(p->features, hoop_feature_name);
	printf(",\n  \"setup_flags\": %" PRIu32 ",\n", p->setup_flags);
	printf("  \"setup_flag_names\": ");
	json_names(p->setup_flags, hoop_setup_flag_name);
	printf(",\n  \"sqpoll_permitted\": %" PRId32 ",\n", p->sqpoll_permitted);
	printf("  \"sqpoll_err\": %" PRId32 ",\n", p->sqpoll_err);
	printf("  \"buf_ring\": %" PRId32 ",\n", p->buf_ring);
	printf("  \"opcode_count\": %" PRIu32 ",\n", p->opcode_count);
	printf("  \"kernel_ops\": %" PRIu32 ",\n", p->kernel_ops);
	printf("  \"resv0\": %" PRIu32 ",\n", p->resv0);
	printf("  \"resv1\": %" PRIu32 ",\n", p->resv1);
	printf("  \"opcodes\": %" PRIu64 ",\n", p->opcodes);
	printf("  \"opcodes_hi\": %" PRIu64 ",\n", p->opcodes_hi);
	printf("  \"opcode_names\": [");
	int first = 1;
	for (unsigned op = 0; op < OPCODE_BITS; op++) {
		if (!hoop_probe_has_opcode(p, op))
			continue;
		char tmp[16];
		printf("%s", first ? "" : ", ");
		json_string(opcode_word(op, tmp, sizeof(tmp)));
		first = 0;
	}
	printf("],\n");
	printf("  \"memlock_limit\": %" PRIu64 ",\n", p->memlock_limit);
	printf("  \"memlock_charged\": %" PRId32 ",\n", p->memlock_charged);
	printf("  \"max_entries\": %" PRIu32 ",\n", p->max_entries);
	printf("  \"kernel_release\": ");
	json_string(p->kernel_release);
	printf(",\n  \"reason\": ");
	json_string(p->reason);
	printf(",\n  \"memlock_note\": ");
	json_string(p->memlock_note);
	printf(",\n  \"auto_reason\": ");
	json_string(p->auto_reason);
	printf(",\n  \"ring_extras\": %" PRIu64 ",\n", p->ring_extras);
	printf("  \"ring_extra_names\": [");
	first = 1;
	for (unsigned i = 0; i < 64; i++) {
		const char *n = extra_name(UINT64_C(1) << i);
		if (!(p->ring_extras & (UINT64_C(1) << i)) || !n)
			continue;
		printf("%s", first ? "" : ", ");
		json_string(n);
		first = 0;
	}
	printf("]\n}\n");
}

static void probe_usage(FILE *f)
{
	fprintf(f,
	        "Usage: hoop probe [--json]\n"
	        "Report what io_uring allows on this kernel and in this "
	        "process:\n"
	        "whether it is usable (and if not, why: ENOSYS, EPERM from "
	        "seccomp,\n"
	        "the kernel.io_uring_disabled sysctl, memlock), the tier, the "
	        "setup\n"
	        "flags accepted, features, supported opcodes, the "
	        "locked-memory\n"
	        "budget and the backend hoop's engine would pick.\n"
	        "\n"
	        "  --json     one JSON object with every field of struct "
	        "hoop_probe\n"
	        "             (include/hoop/probe.h), plus tier_name,\n"
	        "             auto_backend_name, feature_names, "
	        "setup_flag_names,\n"
	        "             opcode_names and ring_extra_names\n"
	        "  -h, --help this text\n"
	        "\n"
	        "Exit status: 0 (also when io_uring is unusable: the report "
	        "says\n"
	        "why), 1 if the probe itself failed or HOOP_BACKEND names no\n"
	        "backend (the report is still printed), 2 for bad usage.\n");
}

int cmd_probe(int argc, char **argv)
{
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (cli_is_help(argv[i])) {
			probe_usage(stdout);
			return CLI_OK;
		} else if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else {
			cli_err("unknown option '%s'", argv[i]);
			probe_usage(stderr);
			return CLI_USAGE;
		}
	}
	struct hoop_probe p = {.size = sizeof(struct hoop_probe)};
	int err = hoop_probe_run(&p);
	if (err < 0) {
		cli_err("%s", hoop_strerror(err));
		return CLI_FAIL;
	}
	if (json)
		print_json(&p);
	else
		print_report(&p);
	if (fflush(stdout) != 0)
		return CLI_FAIL;
	if (p.auto_backend < 0) {
		/* auto_reason names the value and the accepted ones. */
		cli_err("%s", p.auto_reason);
		return CLI_FAIL;
	}
	return CLI_OK;
}
