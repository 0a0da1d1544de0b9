/*
 * cli/cmd_serve.c - `hoop echo-server` and `hoop http-server`: the servers
 * of examples/echo_server.c and examples/http_server.c (compiled into the
 * tool with -DHOOP_EXAMPLE_NO_MAIN, see examples/server_opts.h), with the
 * tool's option parsing and a SIGINT/SIGTERM handler that asks them to
 * stop; they then close every connection and return within about a second.
 *
 * Without HOOP_CLI_SERVERS (a tree without the event loop) both commands
 * say they are not available.
 */
#include "cli.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HOOP_CLI_SERVERS
#include "server_opts.h"

static volatile int serve_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	/* The servers look at the flag every 100 ms. */
	__atomic_store_n(&serve_stop, 1, __ATOMIC_RELAXED);
}
#endif

static void serve_usage(FILE *f, const char *cmd)
{
	int http = strcmp(cmd, "http-server") == 0;
	fprintf(f,
	        "Usage: hoop %s [--host ADDR] [--port N] [--threads N] "
	        "[--quiet]\n"
	        "%s\n"
	        "one loop per thread, each with its own SO_REUSEPORT "
	        "listener.\n"
	        "\n"
	        "  --host ADDR     numeric IPv4 or IPv6 address (default "
	        "127.0.0.1)\n"
	        "  --port N        port (default 0: an ephemeral port)\n"
	        "  --threads N     loops, one per thread, 1-64 (default 1)\n"
	        "  --quiet         no messages but \"listening on ADDR:PORT\"\n"
	        "  -h, --help      this text\n"
	        "\n"
	        "Prints \"listening on ADDR:PORT\" once it accepts "
	        "connections.\n"
	        "SIGINT or SIGTERM stops it: it stops accepting, closes every\n"
	        "connection and exits with status 0 within about a second.\n",
	        cmd,
	        http ? "A minimal HTTP/1.1 server answering every request with "
	               "a\n"
	               "short page, keep-alive, on hoop's event loop "
	               "(io_uring:\n"
	               "multishot accept, multishot receive into provided "
	               "buffers),"
	             : "A TCP echo server on hoop's event loop (io_uring: "
	               "multishot\n"
	               "accept, multishot receive into provided buffers, sends "
	               "of\n"
	               "the received buffers without a copy),");
}

/* Parse a decimal option value in [lo, hi]; -1 if it is not one. */
static int int_opt(const char *s, int lo, int hi)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < lo || v > hi)
		return -1;
	return (int)v;
}

static int serve(int argc, char **argv, int http)
{
	const char *cmd = argv[0];
	const char *host = "127.0.0.1";
	int port = 0, threads = 1, quiet = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (cli_is_help(a)) {
			serve_usage(stdout, cmd);
			return CLI_OK;
		}
		if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
			quiet = 1;
			continue;
		}
		int *target = strcmp(a, "--port") == 0      ? &port
		              : strcmp(a, "--threads") == 0 ? &threads
		                                            : NULL;
		if (!target && strcmp(a, "--host") != 0) {
			cli_err("unknown option '%s'", a);
			goto usage;
		}
		if (!v) {
			cli_err("option '%s' requires an argument", a);
			goto usage;
		}
		i++;
		if (!target) {
			host = v;
			continue;
		}
		*target = target == &port ? int_opt(v, 0, 65535)
		                          : int_opt(v, 1, 64);
		if (*target < 0) {
			cli_err("invalid value '%s' for %s", v, a);
			goto usage;
		}
	}
#ifdef HOOP_CLI_SERVERS
	{
		struct hoop_server_opts o = {.host = host,
		                             .port = port,
		                             .threads = threads,
		                             .quiet = quiet,
		                             .stop = &serve_stop};
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_stop_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		return http ? http_server_run(&o) : echo_server_run(&o);
	}
#else
	(void)http, (void)quiet, (void)host;
	cli_err("not built into this hoop (its tree had no event loop)");
	return CLI_FAIL;
#endif
usage:
	fprintf(stderr, "Try 'hoop %s --help' for more information.\n", cmd);
	return CLI_USAGE;
}

int cmd_echo_server(int argc, char **argv) { return serve(argc, argv, 0); }

int cmd_http_server(int argc, char **argv) { return serve(argc, argv, 1); }
