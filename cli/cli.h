/*
 * cli/cli.h - what the parts of the `hoop` command share: the subcommand
 * entry points, error reporting in coreutils' style, and small option
 * helpers. Private to cli/.
 */
#ifndef HOOP_CLI_H
#define HOOP_CLI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses, as coreutils use them. */
#define CLI_OK 0
#define CLI_FAIL 1  /* the operation failed */
#define CLI_USAGE 2 /* bad command line (cp and cat use 1, like coreutils) */

/* The program name used in messages: "hoop". */
extern const char *cli_prog;

/* The command running ("bench", "probe", ...), set by main before it
 * runs it; NULL before. Messages name it, as coreutils name themselves. */
extern const char *cli_cmd;

/* "hoop CMD: <message>\n" on stderr ("hoop: <message>\n" before a
 * command runs): one prefix for every message, as "hoop cp: ..." does. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "hoop CMD: <message>: <strerror(-err)>\n" on stderr; err is -errno. */
void cli_errno(int err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* 1 if argv[i] is -h or --help. */
int cli_is_help(const char *arg);

/*
 * Parse a size with an optional K, M or G suffix (powers of 1024) into
 * *out. Returns 0, or -EINVAL for anything else (empty, junk, overflow).
 */
int cli_parse_size(const char *s, uint64_t *out);

/* A size in human units ("1.0 GiB", "512 KiB", "17 B") into buf. */
const char *cli_human_bytes(double bytes, char *buf, size_t len);

/* Copy src into dst of `len` bytes, truncating; always NUL-terminated. */
void cli_copy(char *dst, size_t len, const char *src);

/* Seconds on CLOCK_MONOTONIC. */
double cli_now(void);

/*
 * The directory holding the running executable (from /proc/self/exe), into
 * buf. Returns 0 or -errno.
 */
int cli_exe_dir(char *buf, size_t len);

/* Subcommands: argc/argv start at the subcommand's name. */
int cmd_probe(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_cp(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_echo_server(int argc, char **argv);
int cmd_http_server(int argc, char **argv);

#endif /* HOOP_CLI_H */
