/*
 * cli/bench_net.c - the `net` suite of `hoop bench`: loopback echo round
 * trips per second, hoop's echo server against the epoll server of
 * bench/bench_echo_epoll.c, driven by bench/bench_echo_client.c; and,
 * without --quick and when wrk and nginx are installed, HTTP requests per
 * second with wrk against `hoop http-server` and nginx (one worker). It
 * runs the programs already built in this tree and installs nothing; the
 * method is bench/run_net.sh's (which also builds its own tree).
 *
 * Both servers run side by side for the whole suite on CPU 0, the client
 * on CPU 0 too (echo; "same" in run_net.sh) or wrk on CPU 1 (HTTP). Each
 * repeat runs the client against both, alternating which goes first; a
 * case reports the medians over repeats, their ratio (hoop / baseline for
 * rates, baseline / hoop for the server's CPU time per round trip) and the
 * min-max of the per-repeat ratios.
 */
#include "cli.h"
#include "bench.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define NET_MAX_REPEAT 9

struct server {
	pid_t pid; /* leads its own process group; 0: not running */
	int out;   /* its stdout, kept open so it never gets SIGPIPE */
	int port;
	char name[64]; /* for messages: "hoop echo-server", "bench_echo_epoll" */
};

/* Port of a free loopback TCP port (bound, read, closed), or -errno. */
static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int r = bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	                        getsockname(fd, (struct sockaddr *)&a, &len) < 0
	                ? -errno
	                : ntohs(a.sin_port);
	close(fd);
	return r;
}

/* 1 once something accepts on 127.0.0.1:port. */
static int port_open(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* What a wait status says, in words, into buf. */
static const char *status_words(int status, char *buf, size_t len)
{
	if (status == -1)
		snprintf(buf, len, "could not be reaped");
	else if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)",
		         WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended with wait status 0x%x", (unsigned)status);
	return buf;
}

/*
 * Stop the server: SIGTERM to its group, SIGKILL if it has not exited
 * within 10 s (each server here stops within about a second; sanitizers
 * check for leaks at exit, slowly on a loaded machine). Returns 0 if it
 * exited with status 0, else -EIO and the log says how it ended: a server
 * that crashed, or whose sanitizer found an error, failed the suite.
 */
static int stop_server(struct bench *b, struct server *s)
{
	int r = 0;
	if (s->pid > 0) {
		int status = bench_kill_group(s->pid, 10);
		if (status != 0) {
			char how[96];
			bench_log(b, "net", "%s %s when it was stopped", s->name,
			          status_words(status, how, sizeof(how)));
			r = -EIO;
		}
	}
	if (s->out >= 0)
		close(s->out);
	s->pid = 0;
	s->out = -1;
	return r;
}

/* 0 if the server is still running, else -EIO and the log says how it
 * ended. */
static int server_alive(struct bench *b, struct server *s)
{
	int status;
	char how[96];
	if (s->pid <= 0 || waitpid(s->pid, &status, WNOHANG) != s->pid)
		return 0;
	s->pid = 0;
	bench_log(b, "net", "%s %s while the suite ran", s->name,
	          status_words(status, how, sizeof(how)));
	return -EIO;
}

/*
 * Start argv on CPU `cpu` in its own process group. With port 0, wait for
 * its "listening on ADDR:PORT" line; else for `port` to accept. It has
 * until `end` (the suite's deadline): a sanitized server on a loaded
 * machine, pinned to one CPU, can take seconds. Returns 0; -ETIME if it
 * was not listening by then; -EIO if it exited first, -EPROTO if it said
 * something else; -EINTR on Ctrl-C. On failure the server is stopped and
 * the log says why.
 */
static int start_server(struct bench *b, char *const argv[], int cpu, int port,
                        double end, struct server *s)
{
	int pfd[2];
	s->pid = 0;
	s->out = -1;
	s->port = port;
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	if (argv[1] && argv[1][0] != '-')
		snprintf(s->name, sizeof(s->name), "%s %s", base, argv[1]);
	else
		snprintf(s->name, sizeof(s->name), "%s", base);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return e;
	}
	if (pid == 0)
		bench_exec(b, argv, pfd[1], NULL, cpu);
	setpgid(pid, pid);
	close(pfd[1]);
	s->pid = pid;
	s->out = pfd[0];
	double t0 = cli_now();
	char buf[512], how[96];
	size_t have = 0;
	int status, eof = 0, r = -ETIME;
	while (!bench_stop && cli_now() < end) {
		if (eof || port > 0) {
			/* A port to try, or output over: wait for the exit. */
			if (!eof && port_open(port))
				return 0;
			usleep(20000);
		} else {
			struct pollfd p = {s->out, POLLIN, 0};
			int pr = poll(&p, 1, 50);
			if (pr < 0 && errno != EINTR) {
				r = -errno;
				bench_log(b, "net", "%s: poll: %s", s->name,
				          strerror(errno));
				break;
			}
			ssize_t n = pr > 0 ? read(s->out, buf + have,
			                          sizeof(buf) - 1 - have)
			                   : -1;
			if (n == 0)
				eof = 1; /* it closed its stdout: exiting */
			if (n > 0) {
				have += (size_t)n;
				buf[have] = '\0';
				const char *l = strstr(buf, "listening on ");
				const char *nl = l ? strchr(l, '\n') : NULL;
				const char *colon = nl ? memrchr(l, ':',
				                                 (size_t)(nl - l))
				                       : NULL;
				if (colon && (s->port = atoi(colon + 1)) > 0)
					return 0;
				if (colon || have == sizeof(buf) - 1) {
					bench_log(b, "net",
					          "%s printed no 'listening on "
					          "ADDR:PORT' line, but: "
					          "%.200s",
					          s->name, buf);
					r = -EPROTO;
					break;
				}
			}
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			s->pid = 0;
			bench_log(b, "net", "%s %s before it listened", s->name,
			          status_words(status, how, sizeof(how)));
			r = -EIO;
			break;
		}
	}
	if (bench_stop)
		r = -EINTR;
	else if (r == -ETIME)
		bench_log(b, "net",
		          "%s: not listening after %.1f s (the suite's "
		          "time ran out)",
		          s->name, cli_now() - t0);
	stop_server(b, s);
	return r;
}

/* Run time of all threads of process `pid` so far, in ns (schedstat). */
static double cpu_ns(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	double sum = 0;
	if (!d)
		return NAN;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char p[128];
		unsigned long long ns;
		snprintf(p, sizeof(p), "/proc/%d/task/%.20s/schedstat",
		         (int)pid, e->d_name);
		FILE *f = fopen(p, "re");
		if (f && fscanf(f, "%llu", &ns) == 1)
			sum += (double)ns;
		if (f)
			fclose(f);
	}
	closedir(d);
	return sum;
}

/* ---- one client run: its output, captured ---- */

static struct capture {
	char echo[512]; /* bench_echo_client's JSON line */
	double rps, requests;
	int errors; /* wrk saw non-2xx answers or socket errors */
} cap;

static void capture_line(struct bench *b, const char *suite, const char *line)
{
	(void)b;
	(void)suite;
	double v;
	if (strstr(line, "\"echo_client\""))
		cli_copy(cap.echo, sizeof(cap.echo), line);
	else if (sscanf(line, " Requests/sec: %lf", &v) == 1)
		cap.rps = v;
	else if (sscanf(line, " %lf requests in", &v) == 1)
		cap.requests = v;
	else if (strstr(line, "Non-2xx") || strstr(line, "Socket errors"))
		cap.errors = 1;
}

/* Run a client on `cpu` (hoop bench pins itself around the fork). */
static int run_client(struct bench *b, char *const argv[], int cpu, double limit)
{
	cpu_set_t old;
	int pinned = sched_getaffinity(0, sizeof(old), &old) == 0;
	memset(&cap, 0, sizeof(cap));
	if (pinned)
		bench_pin_cpu(cpu);
	int st = bench_run_child(b, argv, NULL, limit, capture_line, "net");
	if (pinned)
		(void)sched_setaffinity(0, sizeof(old), &old);
	return st;
}

/* ---- results: medians over the repeats of one case ---- */

struct samples {
	int n;
	double h[NET_MAX_REPEAT], base[NET_MAX_REPEAT];   /* rates */
	double hc[NET_MAX_REPEAT], basec[NET_MAX_REPEAT]; /* CPU per trip */
};

static void emit_case(struct bench *b, const char *name, const char *unit,
                      const char *cpu_unit, const char *baseline,
                      struct samples *s)
{
	int nc = 0;
	char cname[80];
	if (s->n == 0)
		return;
	bench_emit_repeats(b, "net", name, unit, s->h, baseline, s->base, s->n);
	for (int i = 0; i < s->n; i++) {
		if (s->hc[i] > 0 && s->basec[i] > 0) {
			s->hc[nc] = s->hc[i];
			s->basec[nc] = s->basec[i];
			nc++;
		}
	}
	if (nc == 0)
		return;
	snprintf(cname, sizeof(cname), "%s_server_cpu", name);
	bench_emit_repeats(b, "net", cname, cpu_unit, s->hc, baseline, s->basec,
	                   nc);
}

/* ---- echo ---- */

static int echo_once(struct bench *b, struct server *srv, int conns, int size,
                     double secs, double end, double *rate, double *cpu)
{
	char client[1200], port[16], nconns[16], nsize[16], dur[16], pid[16];
	const char *warm = b->quick ? "0.1" : "0.2";
	snprintf(client, sizeof(client), "%s/bench_echo_client", b->bench_dir);
	snprintf(port, sizeof(port), "%d", srv->port);
	snprintf(nconns, sizeof(nconns), "%d", conns);
	snprintf(nsize, sizeof(nsize), "%d", size);
	snprintf(dur, sizeof(dur), "%.2f", secs);
	snprintf(pid, sizeof(pid), "%d", (int)srv->pid);
	char *argv[] = {client, "--port",   port,         "--conns",
	                nconns, "--size",   nsize,        "--seconds",
	                dur,    "--warmup", (char *)warm, "--server-pid",
	                pid,    NULL};
	/* A client that got no CPU during its window (on a loaded machine:
	 * everything here shares CPU 0) counts no round trip although the
	 * server answered: that is no measurement, so try again, twice. */
	for (int attempt = 0;; attempt++) {
		double left = end - cli_now();
		if (left < secs + 1)
			return -ETIME;
		int r = server_alive(b, srv);
		if (r < 0)
			return r;
		int st = run_client(b, argv, 0,
		                    left < secs + 20 ? left : secs + 20);
		if (st != 0) {
			char how[96];
			if (st > 128)
				snprintf(how, sizeof(how),
				         "status %d (signal %d: %s)", st,
				         st - 128, strsignal(st - 128));
			else if (st > 0)
				snprintf(how, sizeof(how), "status %d", st);
			else
				snprintf(how, sizeof(how), "%s", strerror(-st));
			bench_log(b, "net",
			          "bench_echo_client against %s (port %d): %s",
			          srv->name, srv->port, how);
			(void)server_alive(b, srv); /* did the server die? say so */
			return st > 0 ? -EIO : st;
		}
		*rate = bench_json_num(cap.echo, "rt_per_s");
		*cpu = bench_json_num(cap.echo, "server_cpu_us_per_rt");
		if (*rate > 0)
			return 0;
		double echoed = bench_json_num(cap.echo, "bytes_checked");
		int again = attempt < 2 && echoed > 0;
		bench_log(b, "net",
		          "bench_echo_client against %s (port %d): no "
		          "round trips in its window in its line '%s'%s",
		          srv->name, srv->port, cap.echo,
		          again ? "; bytes came back, so it had no CPU then: "
		                  "again"
		                : "");
		if (!again)
			return -EPROTO;
	}
}

/* Start hoop's echo or HTTP server: this hoop's own command where it has
 * one, else the example program next to it. */
static int start_hoop_server(struct bench *b, const char *cmd,
                             const char *example, double end, struct server *s)
{
#ifdef HOOP_CLI_SERVERS
	(void)example;
	char *argv[] = {b->exe, (char *)cmd, NULL};
#else
	(void)cmd;
	char path[1200];
	snprintf(path, sizeof(path), "%s/../examples/%s", b->exe_dir, example);
	if (!bench_is_exec(path))
		return -ENOENT;
	char *argv[] = {path, NULL};
#endif
	return start_server(b, argv, 0, 0, end, s);
}

static int suite_echo(struct bench *b, double end, char *note, size_t len)
{
	static const int quick_conns[] = {64}, full_conns[] = {1, 16, 64};
	static const int quick_sizes[] = {64}, full_sizes[] = {64, 4096};
	const int *conns = b->quick ? quick_conns : full_conns;
	const int *sizes = b->quick ? quick_sizes : full_sizes;
	int nconns = b->quick ? 1 : 3, nsizes = b->quick ? 1 : 2;
	int repeats = b->quick ? 3 : 5;
	double secs = b->quick ? 0.3 : 0.5;
	char epoll[1200];
	struct server hoop_srv, epoll_srv;
	int r;

	snprintf(epoll, sizeof(epoll), "%s/bench_echo_epoll", b->bench_dir);
	char client[1200];
	snprintf(client, sizeof(client), "%s/bench_echo_client", b->bench_dir);
	if (!bench_is_exec(epoll) || !bench_is_exec(client)) {
		bench_missing_note(b,
		                   bench_is_exec(epoll) ? "bench_echo_client"
		                                        : "bench_echo_epoll",
		                   0, note, len);
		return 0;
	}
	r = start_hoop_server(b, "echo-server", "echo_server", end, &hoop_srv);
	if (r == -ENOENT) {
		snprintf(note, len, "skipped: no echo server in this build");
		return 0;
	}
	if (r < 0)
		return r;
	char *eargv[] = {epoll, NULL};
	r = start_server(b, eargv, 0, 0, end, &epoll_srv);
	if (r < 0) {
		stop_server(b, &hoop_srv);
		return r;
	}
	for (int ci = 0; ci < nconns && r == 0; ci++) {
		for (int si = 0; si < nsizes && r == 0; si++) {
			struct samples s = {0};
			for (int k = 0; k < repeats && r == 0; k++) {
				double rate[2], cpu[2];
				/* Alternate which server goes first. */
				for (int j = 0; j < 2 && r == 0; j++) {
					int which = (j + k) % 2; /* 0: hoop */
					r = echo_once(b, which ? &epoll_srv : &hoop_srv,
					              conns[ci], sizes[si],
					              secs, end, &rate[which],
					              &cpu[which]);
				}
				if (r == 0) {
					s.h[s.n] = rate[0];
					s.base[s.n] = rate[1];
					s.hc[s.n] = isnan(cpu[0]) ? 0 : cpu[0];
					s.basec[s.n] = isnan(cpu[1]) ? 0 : cpu[1];
					s.n++;
				}
			}
			char name[64];
			snprintf(name, sizeof(name), "echo_c%d_%dB_same",
			         conns[ci], sizes[si]);
			emit_case(b, name, "rt/s", "us/rt", "epoll", &s);
		}
	}
	/* Both must stop cleanly: a server's own failure (a crash, a
	 * sanitizer's report at exit) fails the suite. */
	int r1 = stop_server(b, &hoop_srv);
	int r2 = stop_server(b, &epoll_srv);
	if (r == 0)
		r = r1 < 0 ? r1 : r2;
	return r;
}

/* ---- HTTP: wrk against hoop http-server and nginx ---- */

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Write nginx.conf for one worker answering "Hello, World!" on `port`. */
static int write_nginx_conf(const char *dir, int port)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/nginx.conf", dir);
	FILE *f = fopen(path, "we");
	if (!f)
		return -errno;
	fprintf(f,
	        "worker_processes 1;\n"
	        "daemon off;\n"
	        "pid %s/nginx.pid;\n"
	        "error_log %s/error.log warn;\n"
	        "events { worker_connections 1024; }\n"
	        "http {\n"
	        "\taccess_log off;\n"
	        "\tclient_body_temp_path %s/body;\n"
	        "\tkeepalive_requests 100000000;\n"
	        "\tkeepalive_timeout 65;\n"
	        "\tdefault_type text/plain;\n"
	        "\tserver {\n"
	        "\t\tlisten 127.0.0.1:%d;\n"
	        "\t\tlocation / { return 200 \"Hello, World!\"; }\n"
	        "\t}\n"
	        "}\n",
	        dir, dir, dir, port);
	return fclose(f) == 0 ? 0 : -EIO;
}

/* nginx's worker: the master's only child (0 if not found in 2 s). */
static pid_t nginx_worker(pid_t master)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)master,
	         (int)master);
	for (int i = 0; i < 100; i++) {
		FILE *f = fopen(path, "re");
		int pid = 0;
		if (f) {
			if (fscanf(f, "%d", &pid) != 1)
				pid = 0;
			fclose(f);
		}
		if (pid > 0)
			return pid;
		usleep(20000);
	}
	return 0;
}

static int wrk_once(struct bench *b, const char *wrk, int port, pid_t spid,
                    double secs, double end, double *rate, double *cpu)
{
	char url[64], dur[16];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	snprintf(dur, sizeof(dur), "%.0fs", secs);
	char *argv[] = {(char *)wrk, "-t1", "-c64", "-d", dur, url, NULL};
	double left = end - cli_now();
	if (left < secs + 1)
		return -ETIME;
	double c0 = cpu_ns(spid);
	int st = run_client(b, argv, 1, left < secs + 20 ? left : secs + 20);
	double c1 = cpu_ns(spid);
	if (st != 0) {
		if (st > 0)
			bench_log(b, "net", "wrk on port %d: exit status %d",
			          port, st);
		else
			bench_log(b, "net", "wrk on port %d: %s", port,
			          strerror(-st));
		return st > 0 ? -EIO : st;
	}
	if (cap.errors || cap.rps <= 0 || cap.requests <= 0) {
		fprintf(stderr,
		        "               wrk saw errors or no requests on "
		        "port %d\n",
		        port);
		return -EPROTO;
	}
	*rate = cap.rps;
	*cpu = (c1 - c0) / 1e3 / cap.requests;
	return 0;
}

static int suite_http(struct bench *b, double end, char *note, size_t len)
{
	char wrk[1100], nginx[1100], dir[600];
	struct server hoop_srv, nginx_srv;
	int r, r1;
	if (!bench_find_program("wrk", NULL, wrk, sizeof(wrk))) {
		snprintf(note, len, "HTTP skipped: wrk not installed");
		return 0;
	}
	if (!bench_find_program("nginx", "/usr/sbin:/sbin", nginx, sizeof(nginx))) {
		snprintf(note, len, "HTTP skipped: nginx not installed");
		return 0;
	}
	r = start_hoop_server(b, "http-server", "http_server", end, &hoop_srv);
	if (r == -ENOENT) {
		snprintf(note, len, "HTTP skipped: no HTTP server in this build");
		return 0;
	}
	if (r < 0)
		return r;
	int port = free_port();
	snprintf(dir, sizeof(dir), "%s/hoop-bench-nginx.XXXXXX", b->tmp_dir);
	if (!mkdtemp(dir)) {
		r = -errno;
		stop_server(b, &hoop_srv);
		return r;
	}
	if (port < 0 || (r = write_nginx_conf(dir, port)) < 0) {
		r = port < 0 ? port : r;
		goto out_dir;
	}
	char conf[700], prefix[700], log[700];
	snprintf(conf, sizeof(conf), "%s/nginx.conf", dir);
	snprintf(prefix, sizeof(prefix), "%s/", dir);
	snprintf(log, sizeof(log), "%s/error.log", dir);
	char *nargv[] = {nginx, "-p", prefix, "-c", conf, "-e", log, NULL};
	r = start_server(b, nargv, 0, port, end, &nginx_srv);
	if (r < 0)
		goto out_dir;
	pid_t worker = nginx_worker(nginx_srv.pid);
	int repeats = 5;
	double secs = 3;
	struct samples s = {0};
	for (int k = 0; k < repeats && r == 0; k++) {
		double rate[2], cpu[2];
		for (int j = 0; j < 2 && r == 0; j++) {
			int which = (j + k) % 2; /* 0: hoop */
			r = which ? wrk_once(b, wrk, port, worker, secs, end,
			                     &rate[1], &cpu[1])
			          : wrk_once(b, wrk, hoop_srv.port, hoop_srv.pid,
			                     secs, end, &rate[0], &cpu[0]);
		}
		if (r == 0) {
			s.h[s.n] = rate[0];
			s.base[s.n] = rate[1];
			s.hc[s.n] = worker ? cpu[0] : 0;
			s.basec[s.n] = worker ? cpu[1] : 0;
			s.n++;
		}
	}
	emit_case(b, "http_c64_wrk", "req/s", "us/req", "nginx", &s);
	r1 = stop_server(b, &nginx_srv);
	if (r == 0)
		r = r1;
out_dir:
	r1 = stop_server(b, &hoop_srv);
	if (r == 0)
		r = r1;
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return r;
}

int bench_suite_net(struct bench *b, double limit, char *note, size_t len)
{
	double end = cli_now() + limit;
	char http_note[128] = "";
	note[0] = '\0';
	int r = suite_echo(b, end, note, len);
	if (r < 0 || note[0] || b->quick)
		return r;
	r = suite_http(b, end, http_note, sizeof(http_note));
	if (http_note[0]) {
		/* The echo part ran: say so next to the HTTP note. */
		fprintf(stderr, "               %s\n", http_note);
	}
	return r;
}
