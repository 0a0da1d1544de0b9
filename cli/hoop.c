/*
 * cli/hoop.c - the `hoop` command: finds the subcommand and runs it, and
 * holds the small helpers the subcommands share (cli.h).
 *
 *   hoop probe | bench | cp | cat | echo-server | http-server
 *   hoop --help, hoop CMD --help, hoop --version
 */
#include "cli.h"

#include <hoop.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* HOOP_CLI_BENCH=0 builds the command without `hoop bench` (and without
 * cJSON): the static CLI that tests/kernels/run.sh boots under QEMU, where
 * no static cJSON library exists and only probe and cp are run. */
#ifndef HOOP_CLI_BENCH
#define HOOP_CLI_BENCH 1
#endif

const char *cli_prog = "hoop";
const char *cli_cmd;

/* "hoop CMD: <message>" (or "hoop: <message>" outside a command), then
 * ": <error>" if err, then a newline. */
static void cli_verr(int err, const char *fmt, va_list ap)
{
	fflush(stdout);
	if (cli_cmd)
		fprintf(stderr, "%s %s: ", cli_prog, cli_cmd);
	else
		fprintf(stderr, "%s: ", cli_prog);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err < 0 ? -err : err));
	fputc('\n', stderr);
}

void cli_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cli_verr(0, fmt, ap);
	va_end(ap);
}

void cli_errno(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cli_verr(err ? err : -EIO, fmt, ap);
	va_end(ap);
}

int cli_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	unsigned shift = 0;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1] != '\0' && strcmp(end + 1, "iB") != 0)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

const char *cli_human_bytes(double bytes, char *buf, size_t len)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;
	while (bytes >= 1024.0 && u < 4) {
		bytes /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f B", bytes);
	else
		snprintf(buf, len, "%.*f %s", bytes < 10.0 ? 1 : 0, bytes,
		         units[u]);
	return buf;
}

void cli_copy(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);
	if (len == 0)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

double cli_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cli_exe_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
        {"probe", cmd_probe,
         "what io_uring allows on this kernel and in this process"},
#if HOOP_CLI_BENCH
        {"bench", cmd_bench,
         "hoop against liburing, system calls and cp, side by side"},
#endif
        {"cp", cmd_cp, "copy a file through the engine's queue"},
        {"cat", cmd_cat, "concatenate files to standard output through the queue"},
        {"echo-server", cmd_echo_server, "a TCP echo server on io_uring"},
        {"http-server", cmd_http_server, "a minimal HTTP/1.1 server on io_uring"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: hoop COMMAND [OPTION]... [ARG]...\n"
	           "       hoop COMMAND --help | hoop --help | hoop --version\n"
	           "\n"
	           "hoop is an io_uring library for C, Go and Python; this "
	           "command shows\n"
	           "what it does on this machine.\n"
	           "\n"
	           "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n"
	           "Start with `hoop probe`, then `hoop bench --quick`.\n"
	           "Exit status: 0 success, 1 failure, 2 bad usage (cp and "
	           "cat: 1, as\n"
	           "in coreutils; killed by a signal: 128 + the signal's "
	           "number).\n"
	           "The manual: man hoop (docs/hoop.1 in the source tree).\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	const char *cmd = argv[1];
	if (cli_is_help(cmd) || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 ||
	    strcmp(cmd, "version") == 0) {
		printf("hoop %s\n", hoop_version_string());
		return CLI_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(cmd, commands[i].name) == 0) {
			cli_cmd = commands[i].name;
			return commands[i].fn(argc - 1, argv + 1);
		}
	cli_err("unknown command '%s'", cmd);
	fprintf(stderr, "Try 'hoop --help' for the list of commands.\n");
	return CLI_USAGE;
}
