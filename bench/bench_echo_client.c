/*
 * bench/bench_echo_client.c - load generator for echo servers: N
 * connections, each with one message of S bytes in flight (send it, read
 * all S bytes back, send the next), for D seconds after a warm-up.
 *
 *   bench_echo_client --port P [--host 127.0.0.1] [--conns 64] [--size 64]
 *                     [--seconds 2] [--warmup 0.2] [--drain 10]
 *                     [--threads 1] [--label NAME] [--server-pid PID]
 *
 * Prints one JSON line: {"bench": "echo_client", "label": NAME, "conns":
 * N, "size": S, "seconds": measured, "round_trips": count, "rt_per_s":
 * rate, "bytes_checked": bytes}. Each thread (--threads) drives its share
 * of the connections with one level-triggered epoll set; the next message
 * is sent as soon as the last byte of the previous one is back, in the same
 * wakeup. The echoed bytes are compared with what was sent (the message's
 * first 8 bytes carry a per-round counter, so a stale or reordered echo is
 * caught). At the end no new message is sent, and the one each connection
 * has out must come back within --drain seconds: a server that lost a
 * message fails the run instead of only looking slower. Exit 1 on a
 * connection error, a wrong or extra byte or a lost message, saying on
 * stderr which connection failed, how and where it was in its round.
 *
 * With --server-pid, the line also has "server_cpu_us_per_rt" and
 * "client_cpu_us_per_rt": CPU time the server process and this process
 * spent inside the measured window (the sum of their threads' run time in
 * /proc/PID/task/TID/schedstat), per round trip. On a machine shared with
 * other work, the rate depends on how much of the CPU the two get; the CPU
 * cost of a round trip depends much less on that.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct cconn {
	int fd;
	size_t sent, got;
	uint64_t round;
	int want_out; /* EPOLLOUT registered */
	int idle;     /* after the end: its last echo came back */
};

struct cthread {
	pthread_t tid;
	int nconns;
	struct cconn *c;
	uint64_t trips; /* round trips inside the measured window */
	uint64_t checked;
	double cpu_ns; /* this thread's CPU time inside the window */
	int failed;
	char why[160]; /* what failed, for stderr */
};

static struct sockaddr_in g_addr;
static size_t g_size = 64;
static double g_seconds = 2.0, g_warmup = 0.2, g_drain = 10.0;
static double g_start, g_end; /* the measured window */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Run time of all threads of process `pid`, in ns. */
static double cpu_ns(int pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	double sum = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p2[96];
		snprintf(p2, sizeof(p2), "/proc/%d/task/%.32s/schedstat", pid,
		         e->d_name);
		FILE *f = fopen(p2, "r");
		unsigned long long ns = 0;
		if (f) {
			if (fscanf(f, "%llu", &ns) == 1)
				sum += (double)ns;
			fclose(f);
		}
	}
	closedir(d);
	return sum;
}

static void sleep_until(double t)
{
	struct timespec ts = {.tv_sec = (time_t)t,
	                      .tv_nsec = (long)((t - (double)(time_t)t) * 1e9)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void fill(char *msg, uint64_t round)
{
	memcpy(msg, &round, g_size < 8 ? g_size : 8);
}

static int set_out(int ep, struct cconn *c, int on)
{
	if (c->want_out == on)
		return 0;
	c->want_out = on;
	struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0u),
	                         .data.ptr = c};
	return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Send what is left of this round's message; 0 or -1. */
static int pump_out(int ep, struct cconn *c, char *msg)
{
	while (c->sent < g_size) {
		ssize_t w = send(c->fd, msg + c->sent, g_size - c->sent,
		                 MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return set_out(ep, c, 1);
			return -1;
		}
		c->sent += (size_t)w;
	}
	return set_out(ep, c, 0);
}

static double thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Say why connection c of thread t failed (err: an errno, or 0). */
static void conn_failed(struct cthread *t, const struct cconn *c,
                        const char *what, int err)
{
	snprintf(t->why, sizeof(t->why),
	         "connection %d (round %llu, %zu of %zu bytes sent, %zu back): "
	         "%s%s%s",
	         (int)(c - t->c), (unsigned long long)c->round, c->sent, g_size,
	         c->got, what, err ? ": " : "", err ? strerror(err) : "");
}

static void *run(void *arg)
{
	struct cthread *t = arg;
	double cpu0 = -1; /* thread CPU time at the window's start */
	int cpu_done = 0; /* t->cpu_ns is measured */
	char *msg = malloc(g_size), *in = malloc(g_size);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (!msg || !in || ep < 0) {
		snprintf(t->why, sizeof(t->why), "thread setup: %s",
		         strerror(ep < 0 ? errno : ENOMEM));
		t->failed = 1;
		free(msg);
		free(in);
		if (ep >= 0)
			close(ep);
		return NULL;
	}
	for (size_t i = 0; i < g_size; i++)
		msg[i] = (char)('a' + i % 26);
	for (int i = 0; i < t->nconns; i++) {
		struct cconn *c = &t->c[i];
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		fill(msg, c->round);
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
			conn_failed(t, c, "epoll_ctl", errno);
			goto fail;
		}
		if (pump_out(ep, c, msg) < 0) {
			conn_failed(t, c, "send", errno);
			goto fail;
		}
	}
	struct epoll_event evs[256];
	int busy = t->nconns; /* connections with a message out */
	for (;;) {
		double now = now_s();
		/* What a wait that starts inside the window finds counts
		 * (the window's end is checked before waiting). */
		int ended = now >= g_end;
		if (ended) {
			/* The end: no new rounds, but every message out must
			 * come back, or a server that lost one would only look
			 * slower. */
			if (cpu0 >= 0 && !cpu_done) {
				t->cpu_ns = thread_cpu_ns() - cpu0;
				cpu_done = 1;
			}
			if (busy == 0)
				break;
			if (now >= g_end + g_drain) {
				char what[96];
				snprintf(what, sizeof(what),
				         "its echo did not come "
				         "back within %g s of the end",
				         g_drain);
				for (int i = 0; i < t->nconns; i++)
					if (!t->c[i].idle) {
						conn_failed(t, &t->c[i], what, 0);
						break;
					}
				goto fail;
			}
		}
		int n = epoll_wait(ep, evs, 256, 100);
		if (n < 0 && errno != EINTR) {
			snprintf(t->why, sizeof(t->why), "epoll_wait: %s",
			         strerror(errno));
			goto fail;
		}
		int counting = !ended && now_s() >= g_start;
		if (counting && cpu0 < 0)
			cpu0 = thread_cpu_ns();
		for (int i = 0; i < n; i++) {
			struct cconn *c = evs[i].data.ptr;
			fill(msg, c->round);
			if (!c->idle && (evs[i].events & EPOLLOUT) &&
			    pump_out(ep, c, msg) < 0) {
				conn_failed(t, c, "send", errno);
				goto fail;
			}
			if (!(evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
				continue;
			ssize_t r = recv(c->fd, in, g_size - c->got, 0);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r < 0) {
				conn_failed(t, c, "recv", errno);
				goto fail;
			}
			if (r == 0) {
				conn_failed(t, c,
				            "recv: the server closed the "
				            "connection",
				            0);
				goto fail;
			}
			if (c->got + (size_t)r > c->sent) {
				conn_failed(t, c, "more bytes echoed than sent", 0);
				goto fail;
			}
			if (memcmp(in, msg + c->got, (size_t)r) != 0) {
				conn_failed(t, c, "wrong bytes echoed", 0);
				goto fail;
			}
			c->got += (size_t)r;
			t->checked += (uint64_t)r;
			if (c->got < g_size)
				continue;
			if (counting)
				t->trips++;
			c->round++;
			c->got = c->sent = 0;
			if (ended) {
				c->idle = 1;
				busy--;
				continue;
			}
			fill(msg, c->round);
			if (pump_out(ep, c, msg) < 0) {
				conn_failed(t, c, "send", errno);
				goto fail;
			}
		}
	}
	goto out;
fail:
	t->failed = 1;
out:
	if (cpu0 >= 0 && !cpu_done)
		t->cpu_ns = thread_cpu_ns() - cpu0;
	close(ep);
	free(msg);
	free(in);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *label = "server";
	int port = 0, conns = 64, threads = 1, server_pid = 0;
	static const char usage[] =
	        "usage: %s --port P [--host A] [--conns N] [--size S] "
	        "[--seconds D] [--warmup W] [--drain E] [--threads T] "
	        "[--label L] [--server-pid PID]\n";
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf(usage, argv[0]);
			return 0;
		}
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (!strcmp(k, "--host"))
			host = v;
		else if (!strcmp(k, "--port"))
			port = atoi(v);
		else if (!strcmp(k, "--conns"))
			conns = atoi(v);
		else if (!strcmp(k, "--size"))
			g_size = (size_t)atol(v);
		else if (!strcmp(k, "--seconds"))
			g_seconds = atof(v);
		else if (!strcmp(k, "--warmup"))
			g_warmup = atof(v);
		else if (!strcmp(k, "--drain"))
			g_drain = atof(v);
		else if (!strcmp(k, "--threads"))
			threads = atoi(v);
		else if (!strcmp(k, "--label"))
			label = v;
		else if (!strcmp(k, "--server-pid"))
			server_pid = atoi(v);
		else
			port = -1;
	}
	if (argc % 2 == 0 || port <= 0 || conns < 1 || g_size < 1 ||
	    threads < 1 || threads > conns || g_seconds <= 0 || !(g_drain > 0)) {
		fprintf(stderr, usage, argv[0]);
		return 2;
	}
	g_addr.sin_family = AF_INET;
	g_addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &g_addr.sin_addr) != 1) {
		fprintf(stderr, "bench_echo_client: bad address %s\n", host);
		return 2;
	}

	struct cconn *all = calloc((size_t)conns, sizeof(*all));
	struct cthread *ts = calloc((size_t)threads, sizeof(*ts));
	if (!all || !ts) {
		fprintf(stderr, "bench_echo_client: out of memory\n");
		return 1;
	}
	for (int i = 0; i < conns; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int one = 1;
		if (fd < 0 ||
		    connect(fd, (struct sockaddr *)&g_addr, sizeof(g_addr)) < 0) {
			fprintf(stderr,
			        "bench_echo_client: connection %d to %s:%d: "
			        "%s\n",
			        i, host, port, strerror(errno));
			return 1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
			perror("bench_echo_client: fcntl");
			return 1;
		}
		all[i].fd = fd;
	}
	g_start = now_s() + g_warmup;
	g_end = g_start + g_seconds;
	for (int i = 0, first = 0; i < threads; i++) {
		int n = conns / threads + (i < conns % threads);
		ts[i].c = &all[first];
		ts[i].nconns = n;
		first += n;
		int e = pthread_create(&ts[i].tid, NULL, run, &ts[i]);
		if (e != 0) {
			fprintf(stderr, "bench_echo_client: pthread_create: %s\n",
			        strerror(e));
			return 1;
		}
	}
	double s0 = 0, s1 = 0, ccpu = 0;
	if (server_pid > 0) {
		sleep_until(g_start);
		s0 = cpu_ns(server_pid);
		sleep_until(g_end);
		s1 = cpu_ns(server_pid);
	}
	uint64_t trips = 0, checked = 0;
	int failed = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(ts[i].tid, NULL);
		trips += ts[i].trips;
		checked += ts[i].checked;
		ccpu += ts[i].cpu_ns;
		failed |= ts[i].failed;
		if (ts[i].failed)
			fprintf(stderr,
			        "bench_echo_client: port %d, thread %d: %s\n",
			        port, i, ts[i].why[0] ? ts[i].why : "failed");
	}
	double measured = g_seconds; /* every thread ran until g_end */
	printf("{\"bench\": \"echo_client\", \"label\": \"%s\", \"conns\": %d, "
	       "\"size\": %zu, \"seconds\": %.3f, \"round_trips\": %llu, "
	       "\"rt_per_s\": %.1f, \"bytes_checked\": %llu",
	       label, conns, g_size, measured, (unsigned long long)trips,
	       (double)trips / measured, (unsigned long long)checked);
	if (server_pid > 0 && trips > 0 && s0 >= 0 && s1 >= s0)
		printf(", \"server_cpu_us_per_rt\": %.3f, "
		       "\"client_cpu_us_per_rt\": %.3f",
		       (s1 - s0) / 1e3 / (double)trips,
		       ccpu / 1e3 / (double)trips);
	printf("}\n");
	for (int i = 0; i < conns; i++)
		close(all[i].fd);
	free(all);
	free(ts);
	return failed ? 1 : 0;
}
