/*
 * examples/server_opts.h - what examples/echo_server.c and
 * examples/http_server.c share, and what the `hoop` command-line tool calls.
 *
 * The tool compiles each example with -DHOOP_EXAMPLE_NO_MAIN and calls its
 * *_run function with options it parsed itself. A run function serves until
 * *stop becomes nonzero (each loop looks at it every 100 ms, so a signal
 * handler only needs to set it), then closes every connection and returns
 * within about a second. It prints "listening on HOST:PORT" (the real port
 * when `port` is 0) to stdout and flushes before serving.
 *
 * Below the declarations, fenced by HOOP_SERVER_IMPL, is the plumbing both
 * examples use: listeners, one loop per thread, connection bookkeeping,
 * re-arming a receive that ran out of buffers, and bounded shutdown.
 */
#ifndef HOOP_EXAMPLES_SERVER_OPTS_H
#define HOOP_EXAMPLES_SERVER_OPTS_H

struct hoop_server_opts {
	const char *host;   /* numeric IPv4 or IPv6 address; NULL = 127.0.0.1 */
	int port;           /* 0 = an ephemeral port */
	int threads;        /* loops, one per thread (SO_REUSEPORT); <= 0 = 1 */
	int quiet;          /* no messages but the "listening on" line */
	volatile int *stop; /* serve until *stop != 0; NULL = until killed */
};

/* Serve echo / HTTP with `o`; returns a process exit code (0 after a stop). */
int echo_server_run(const struct hoop_server_opts *o);
int http_server_run(const struct hoop_server_opts *o);

#endif /* HOOP_EXAMPLES_SERVER_OPTS_H */

#if defined(HOOP_SERVER_IMPL) && !defined(HOOP_EXAMPLES_SERVER_IMPL_DONE)
#define HOOP_EXAMPLES_SERVER_IMPL_DONE

#include <hoop.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HS_MAX_THREADS 64
#define HS_TICK_NS 100000000ull /* how often a loop looks at *stop */

enum {
	HS_PHASE_START,
	HS_PHASE_RUN,
	HS_PHASE_SHUTDOWN,
	HS_PHASE_DESTROY,
	HS_PHASE_DONE
};
static const char *const hs_phase_names[] = {"starting", "serving",
                                             "closing connections",
                                             "destroying its loop", "done"};

struct hs_thread;

/* The head of each example's connection record. */
struct hs_conn {
	struct hs_conn *prev, *next; /* the thread's list of open connections */
	struct hs_thread *t;
	int fd;
	int closing;    /* 1: close started; 2: wanted, the loop was full */
	int recv_armed; /* a multishot receive is in flight */
	int starved;    /* the receive ended with -ENOBUFS, waiting to re-arm */
};

/* What differs between the examples. */
struct hs_proto {
	const char *name;
	unsigned buf_count, buf_size; /* the receive buffer group of a loop */
	size_t conn_size;             /* >= sizeof(struct hs_conn), zeroed */
	hoop_loop_fn on_recv;         /* arg is the connection */
};

/* A buffer id's owner while it is out (for callbacks that need both). */
struct hs_slot {
	struct hs_thread *t;
	struct hs_conn *c;
};

/* One loop, its thread, its listener and its connections. */
struct hs_thread {
	const struct hoop_server_opts *o;
	const struct hs_proto *p;
	pthread_t tid;
	int index;
	int lfd;
	int exit_code;
	hoop_loop *loop;
	hoop_bufgroup *g;
	struct hs_slot *slots; /* buf_count entries, indexed by buffer id */
	uint64_t accept_id, timer_id;
	int stopping;
	int *failed; /* shared: a thread could not start its loop */
	/* For the message of a stop that takes too long (read by the thread
	 * that waits for this one): where it is, and how far its accept and
	 * tick got. */
	int phase; /* HS_PHASE_* */
	unsigned ticks;
	int accept_ended, tick_ended;
	unsigned nstarved;
	struct hs_conn conns; /* list head */
};

static int hs_quiet(const struct hs_thread *t) { return t->o->quiet; }

static int hs_stop_requested(const struct hoop_server_opts *o)
{
	/* Written by a signal handler or another thread: an atomic load. */
	return o->stop && __atomic_load_n(o->stop, __ATOMIC_RELAXED) != 0;
}

/* ---- listeners ---- */

struct hs_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	int family;
};

static int hs_parse_addr(struct hs_addr *a, const char *host, int port)
{
	memset(a, 0, sizeof(*a));
	struct sockaddr_in *in4 = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		a->len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		a->len = sizeof(*in6);
	} else {
		return -EINVAL;
	}
	a->family = a->ss.ss_family;
	return 0;
}

/* A listening socket on `a` with SO_REUSEPORT; returns the fd or -errno. */
static int hs_listen(const struct hs_addr *a)
{
	int fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 ||
	    listen(fd, 4096) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int hs_bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* ---- connections ---- */

static void hs_on_closed(hoop_loop *loop, void *arg, int32_t res, uint32_t flags)
{
	(void)loop, (void)res, (void)flags;
	struct hs_conn *c = arg;
	c->prev->next = c->next;
	c->next->prev = c->prev;
	if (c->starved)
		c->t->nstarved--;
	free(c);
}

/*
 * Close `c` once (graceful, or HOOP_LOOP_ABORT). The record is freed by
 * hs_on_closed, which the loop runs after every other callback for the fd,
 * so callbacks of sends and receives still in flight may use it. If the
 * loop is full, the close is retried on the next tick.
 */
static void hs_conn_close(struct hs_conn *c, unsigned flags)
{
	if (c->closing == 1)
		return;
	if (hoop_loop_close(c->t->loop, c->fd, flags, hs_on_closed, c) == 0)
		c->closing = 1;
	else
		c->closing = 2;
}

static void hs_arm_recv(struct hs_conn *c)
{
	struct hs_thread *t = c->t;
	if (hoop_loop_recv(t->loop, c->fd, t->g, 0, t->p->on_recv, c, NULL) == 0)
		c->recv_armed = 1;
	else
		hs_conn_close(c, HOOP_LOOP_ABORT);
}

/*
 * A receive that ran out of buffers is re-armed once an eighth of the group
 * is free again: re-arming at every single buffer given back would take one
 * buffer per round trip through the kernel (measured: 64 MiB through one
 * flooded connection in 5 s instead of well under one).
 */
static int hs_can_rearm(struct hs_thread *t)
{
	unsigned want = t->p->buf_count / 8;
	return hoop_bufgroup_available(t->g) >= (want ? want : 1);
}

/* Give buffer `bid` back, then re-arm the receives that ran dry. */
static void hs_return(struct hs_thread *t, unsigned bid)
{
	hoop_bufgroup_return(t->g, bid);
	if (!t->nstarved || t->stopping || !hs_can_rearm(t))
		return;
	for (struct hs_conn *c = t->conns.next; c != &t->conns && t->nstarved;
	     c = c->next) {
		if (!c->starved)
			continue;
		c->starved = 0;
		t->nstarved--;
		if (!c->closing)
			hs_arm_recv(c);
	}
}

/*
 * After a receive callback has used its data: if this was the operation's
 * last completion, re-arm it (it ended without an error, or ran out of
 * buffers), or close the connection (end of stream, a socket error).
 */
static void hs_recv_end(struct hs_conn *c, int32_t res, uint32_t flags)
{
	if (flags & HOOP_CQE_F_MORE)
		return;
	struct hs_thread *t = c->t;
	c->recv_armed = 0;
	if (c->closing || t->stopping || res == -ECANCELED)
		return;
	if (res > 0) {
		hs_arm_recv(c);
	} else if (res == -ENOBUFS) {
		if (hs_can_rearm(t)) {
			hs_arm_recv(c);
		} else {
			c->starved = 1;
			t->nstarved++;
		}
	} else {
		hs_conn_close(c, 0);
	}
}

static void hs_on_accept(hoop_loop *loop, void *arg, int32_t res, uint32_t flags)
{
	(void)loop;
	struct hs_thread *t = arg;
	if (!(flags & HOOP_CQE_F_MORE))
		__atomic_store_n(&t->accept_ended, 1, __ATOMIC_RELAXED);
	if (res < 0) {
		/* The loop re-arms it after transient errors; cancel is ours. */
		if (res != -ECANCELED && !hs_quiet(t))
			fprintf(stderr, "%s: accept: %s\n", t->p->name,
			        hoop_strerror(res));
		return;
	}
	if (t->stopping) {
		close(res);
		return;
	}
	int one = 1;
	setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct hs_conn *c = calloc(1, t->p->conn_size);
	if (!c) {
		close(res);
		return;
	}
	c->t = t;
	c->fd = res;
	c->next = &t->conns;
	c->prev = t->conns.prev;
	t->conns.prev->next = c;
	t->conns.prev = c;
	hs_arm_recv(c);
}

/* Every 100 ms: stop when asked to, retry closes the full loop refused. */
static void hs_on_tick(hoop_loop *loop, void *arg, int32_t res, uint32_t flags)
{
	struct hs_thread *t = arg;
	if (!(flags & HOOP_CQE_F_MORE))
		__atomic_store_n(&t->tick_ended, 1, __ATOMIC_RELAXED);
	if (res == -ECANCELED)
		return;
	__atomic_add_fetch(&t->ticks, 1, __ATOMIC_RELAXED);
	if (hs_stop_requested(t->o) || __atomic_load_n(t->failed, __ATOMIC_RELAXED))
		hoop_loop_stop(loop);
	for (struct hs_conn *c = t->conns.next; c != &t->conns; c = c->next)
		if (c->closing == 2)
			hs_conn_close(c, HOOP_LOOP_ABORT);
}

/* What a loop that does not finish its shutdown still waits for. */
static void hs_report_pending(struct hs_thread *t)
{
	unsigned open = 0, closing = 0, recv = 0;
	for (struct hs_conn *c = t->conns.next; c != &t->conns; c = c->next) {
		open++;
		closing += c->closing != 0;
		recv += c->recv_armed != 0;
	}
	fprintf(stderr,
	        "%s: loop %d: %u operations still pending 0.9 s into the "
	        "shutdown (accept %s, tick %s; %u connections open, %u of "
	        "them closing, %u receiving)\n",
	        t->p->name, t->index, hoop_loop_pending(t->loop),
	        t->accept_ended ? "ended" : "not ended",
	        t->tick_ended ? "ended" : "not ended", open, closing, recv);
}

static uint64_t hs_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Bounded shutdown: stop accepting, reset every connection (cancelling
 * what is in flight on it), and run the loop until nothing is pending, so
 * the buffer group can go before the ring.
 */
static void hs_shutdown(struct hs_thread *t)
{
	t->stopping = 1;
	hoop_loop_cancel(t->loop, t->accept_id);
	hoop_loop_cancel(t->loop, t->timer_id);
	for (struct hs_conn *c = t->conns.next; c != &t->conns; c = c->next)
		hs_conn_close(c, HOOP_LOOP_ABORT);
	uint64_t deadline = hs_now_ns() + 900000000ull;
	while (hoop_loop_pending(t->loop) > 0) {
		int ret = hoop_loop_run_once(t->loop, 50000000);
		if (ret < 0 && ret != -EINTR)
			break;
		for (struct hs_conn *c = t->conns.next; c != &t->conns; c = c->next)
			if (c->closing == 2)
				hs_conn_close(c, HOOP_LOOP_ABORT);
		if (hs_now_ns() > deadline) {
			/* Even with --quiet: the stop is late, say why. */
			hs_report_pending(t);
			deadline = UINT64_MAX;
		}
	}
	/* Whatever the loop could not close (it failed) is closed here. */
	while (t->conns.next != &t->conns) {
		struct hs_conn *c = t->conns.next;
		close(c->fd);
		hs_on_closed(t->loop, c, 0, 0);
	}
}

static void *hs_thread_main(void *arg)
{
	struct hs_thread *t = arg;
	const struct hs_proto *p = t->p;
	hoop_loop_params params = {.entries = 512};
	t->exit_code = 1;
	t->conns.next = t->conns.prev = &t->conns;
	int err = hoop_loop_create(&t->loop, &params);
	if (err < 0) {
		fprintf(stderr, "%s: hoop_loop_create: %s\n", p->name,
		        hoop_strerror(err));
		__atomic_store_n(t->failed, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&t->phase, HS_PHASE_DONE, __ATOMIC_RELEASE);
		return NULL;
	}
	err = hoop_bufgroup_create(&t->g, hoop_loop_ring(t->loop), 0,
	                           p->buf_count, p->buf_size, 0);
	t->slots = calloc(p->buf_count, sizeof(*t->slots));
	if (err < 0 || !t->slots) {
		fprintf(stderr, "%s: hoop_bufgroup_create: %s\n", p->name,
		        hoop_strerror(err < 0 ? err : -ENOMEM));
		__atomic_store_n(t->failed, 1, __ATOMIC_RELAXED);
		goto out;
	}
	for (unsigned i = 0; i < p->buf_count; i++)
		t->slots[i].t = t;
	err = hoop_loop_accept(t->loop, t->lfd, 0, hs_on_accept, t, &t->accept_id);
	if (err == 0)
		err = hoop_loop_timer(t->loop, HS_TICK_NS, HOOP_LOOP_TIMER_REPEAT,
		                      hs_on_tick, t, &t->timer_id);
	if (err < 0) {
		fprintf(stderr, "%s: arming the loop: %s\n", p->name,
		        hoop_strerror(err));
		__atomic_store_n(t->failed, 1, __ATOMIC_RELAXED);
		goto out;
	}
	__atomic_store_n(&t->phase, HS_PHASE_RUN, __ATOMIC_RELAXED);
	err = hs_stop_requested(t->o) ? 0 : hoop_loop_run(t->loop);
	if (err < 0 && !hs_quiet(t))
		fprintf(stderr, "%s: hoop_loop_run: %s\n", p->name,
		        hoop_strerror(err));
	t->exit_code = err < 0 ? 1 : 0;
out:
	__atomic_store_n(&t->phase, HS_PHASE_SHUTDOWN, __ATOMIC_RELAXED);
	hs_shutdown(t);
	__atomic_store_n(&t->phase, HS_PHASE_DESTROY, __ATOMIC_RELAXED);
	hoop_bufgroup_destroy(t->g);
	hoop_loop_destroy(t->loop);
	free(t->slots);
	__atomic_store_n(&t->phase, HS_PHASE_DONE, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Join the other loops' threads. One that has not finished 2 s after the
 * first loop did is named, with where it is (even with --quiet: a stop
 * that slow is a fault), before waiting on.
 */
static void hs_join(struct hs_thread *ts, int started)
{
	uint64_t deadline = hs_now_ns() + 2000000000ull;
	for (int i = 1; i < started; i++) {
		while (__atomic_load_n(&ts[i].phase, __ATOMIC_ACQUIRE) !=
		               HS_PHASE_DONE &&
		       hs_now_ns() < deadline) {
			struct timespec ts10 = {0, 10000000};
			nanosleep(&ts10, NULL);
		}
		int ph = __atomic_load_n(&ts[i].phase, __ATOMIC_RELAXED);
		if (ph != HS_PHASE_DONE)
			fprintf(stderr,
			        "%s: loop %d not done 2 s after loop 0: %s, "
			        "%u ticks, accept %s, tick %s\n",
			        ts[i].p->name, i, hs_phase_names[ph],
			        __atomic_load_n(&ts[i].ticks, __ATOMIC_RELAXED),
			        __atomic_load_n(&ts[i].accept_ended, __ATOMIC_RELAXED)
			                ? "ended"
			                : "not ended",
			        __atomic_load_n(&ts[i].tick_ended, __ATOMIC_RELAXED)
			                ? "ended"
			                : "not ended");
		pthread_join(ts[i].tid, NULL);
	}
}

/*
 * Bind one listener per thread on the same address (the first one picks
 * the port when it is 0), print where, and run a loop on each thread; the
 * calling thread runs the first. Returns the process exit code.
 */
static int hs_run(const struct hoop_server_opts *o, const struct hs_proto *p)
{
	const char *host = o->host ? o->host : "127.0.0.1";
	int n = o->threads > 0 ? o->threads : 1;
	if (n > HS_MAX_THREADS || o->port < 0 || o->port > 65535) {
		fprintf(stderr, "%s: threads must be 1..%d, port 0..65535\n",
		        p->name, HS_MAX_THREADS);
		return 2;
	}
	struct hs_addr a;
	if (hs_parse_addr(&a, host, o->port) < 0) {
		fprintf(stderr, "%s: %s is not a numeric IP address\n", p->name,
		        host);
		return 2;
	}
	struct hs_thread *ts = calloc((size_t)n, sizeof(*ts));
	if (!ts)
		return 1;
	int code = 0, made = 0, port = o->port, failed = 0;
	/* A server process must not die of a peer's reset. */
	signal(SIGPIPE, SIG_IGN);
	for (; made < n; made++) {
		int fd = hs_listen(&a);
		if (fd < 0) {
			fprintf(stderr, "%s: listen on %s:%d: %s\n", p->name,
			        host, port, hoop_strerror(fd));
			code = 1;
			break;
		}
		if (made == 0) {
			port = hs_bound_port(fd);
			hs_parse_addr(&a, host, port);
		}
		ts[made] = (struct hs_thread){
		        .o = o, .p = p, .index = made, .lfd = fd, .failed = &failed};
	}
	if (code == 0) {
		printf(a.family == AF_INET6 ? "listening on [%s]:%d\n"
		                            : "listening on %s:%d\n",
		       host, port);
		fflush(stdout);
		int started = 1;
		for (; started < n; started++)
			if (pthread_create(&ts[started].tid, NULL,
			                   hs_thread_main, &ts[started]) != 0)
				break;
		if (started < n) {
			fprintf(stderr, "%s: could not start %d threads\n",
			        p->name, n);
			__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
			code = 1;
		}
		hs_thread_main(&ts[0]);
		hs_join(ts, started);
		for (int i = 0; i < started; i++)
			if (ts[i].exit_code)
				code = ts[i].exit_code;
	}
	for (int i = 0; i < made; i++)
		close(ts[i].lfd);
	free(ts);
	return code;
}

#ifndef HOOP_EXAMPLE_NO_MAIN
static volatile int hs_main_stop;

static void hs_on_signal(int sig)
{
	(void)sig;
	/* Every loop looks at the flag within HS_TICK_NS. */
	__atomic_store_n(&hs_main_stop, 1, __ATOMIC_RELAXED);
}

/* main(): --host H --port N --threads N --quiet; SIGINT/SIGTERM stop. */
static int hs_main(int argc, char **argv,
                   int (*run)(const struct hoop_server_opts *))
{
	struct hoop_server_opts o = {.host = "127.0.0.1",
	                             .port = 0,
	                             .threads = 1,
	                             .stop = &hs_main_stop};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--quiet")) {
			o.quiet = 1;
			continue;
		}
		if (v && !strcmp(a, "--host"))
			o.host = v;
		else if (v && !strcmp(a, "--port"))
			o.port = atoi(v);
		else if (v && !strcmp(a, "--threads"))
			o.threads = atoi(v);
		else {
			fprintf(stderr,
			        "usage: %s [--host ADDR] [--port N] "
			        "[--threads N] [--quiet]\n",
			        argv[0]);
			return 2;
		}
		i++;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hs_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return run(&o);
}
#endif /* HOOP_EXAMPLE_NO_MAIN */

#endif /* HOOP_SERVER_IMPL */
