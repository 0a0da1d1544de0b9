/*
 * tests/test_example_util.h - running an example server (examples/<name>.c,
 * compiled into the test with HOOP_EXAMPLE_NO_MAIN) on a thread of the
 * test, and talking to it over blocking sockets with deadlines.
 *
 * The server is started as the hoop tool would start it: a run function,
 * options with port 0, and a stop flag. Its "listening on HOST:PORT" line
 * is read from stdout, which is a pipe while the server starts.
 */
#ifndef HOOP_TEST_EXAMPLE_UTIL_H
#define HOOP_TEST_EXAMPLE_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "../examples/server_opts.h"

struct ex_server {
	int (*run)(const struct hoop_server_opts *);
	struct hoop_server_opts o;
	volatile int stop;
	int exit_code;
	int done; /* atomic: run returned */
	pthread_t tid;
	int port;
};

static void *ex_server_main(void *arg)
{
	struct ex_server *s = arg;
	s->exit_code = s->run(&s->o);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Skip the test if this process cannot have a loop (no io_uring here). */
static inline void ex_need_loop(void)
{
	hoop_loop *loop;
	int err = hoop_loop_create(&loop, NULL);
	if (err == -ENOSYS || err == -EPERM)
		SKIP("io_uring unavailable: %s", hoop_strerror(err));
	CHECK_EQ(err, 0);
	hoop_bufgroup *g;
	err = hoop_bufgroup_create(&g, hoop_loop_ring(loop), 0, 1, 64, 0);
	if (err == -EINVAL || err == -EOPNOTSUPP)
		SKIP("no buffer groups here: %s", hoop_strerror(err));
	CHECK_EQ(err, 0);
	hoop_bufgroup_destroy(g);
	hoop_loop_destroy(loop);
}

/* Start `run` on its own thread with `threads` loops; fills s->port. */
static inline void ex_server_start(struct ex_server *s,
                                   int (*run)(const struct hoop_server_opts *),
                                   int threads)
{
	memset(s, 0, sizeof(*s));
	s->run = run;
	s->o = (struct hoop_server_opts){.host = "127.0.0.1",
	                                 .port = 0,
	                                 .threads = threads,
	                                 .quiet = 1,
	                                 .stop = &s->stop};
	int p[2];
	CHECK_EQ(pipe(p), 0);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	CHECK(saved >= 0);
	CHECK_EQ(dup2(p[1], STDOUT_FILENO), STDOUT_FILENO);
	close(p[1]);
	CHECK_EQ(pthread_create(&s->tid, NULL, ex_server_main, s), 0);

	char line[128];
	size_t n = 0;
	uint64_t deadline = t_now_ns() + 20000000000ull;
	while (n < sizeof(line) - 1 && (n == 0 || line[n - 1] != '\n')) {
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		if (poll(&pfd, 1, 100) == 1) {
			ssize_t r = read(p[0], line + n, 1);
			CHECK(r == 1);
			n++;
		}
		CHECK(!__atomic_load_n(&s->done, __ATOMIC_ACQUIRE));
		CHECK(t_now_ns() < deadline);
	}
	line[n] = '\0';
	fflush(stdout);
	CHECK_EQ(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	close(p[0]);
	CHECK_EQ(sscanf(line, "listening on 127.0.0.1:%d", &s->port), 1);
	CHECK(s->port > 0 && s->port < 65536);
}

/*
 * Set the stop flag as a signal handler would and wait for the run
 * function; it must return 0 within 3 s (the contract says about one; the
 * slack is for a loaded machine and sanitizers).
 */
static inline void ex_server_stop(struct ex_server *s)
{
	uint64_t t0 = t_now_ns();
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	while (!__atomic_load_n(&s->done, __ATOMIC_ACQUIRE)) {
		CHECK(t_now_ns() - t0 < 3000000000ull);
		usleep(5000);
	}
	CHECK_EQ(pthread_join(s->tid, NULL), 0);
	CHECK_EQ(s->exit_code, 0);
}

/* A blocking connection to the server, with TCP_NODELAY. */
static inline int ex_connect(const struct ex_server *s)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)s->port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	CHECK_EQ(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	int one = 1;
	CHECK_EQ(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	return fd;
}

static inline void ex_send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		CHECK(w > 0);
		p += w;
		len -= (size_t)w;
	}
}

/*
 * Read exactly `len` bytes within 10 s; returns how many arrived before
 * end of stream (== len unless the peer closed).
 */
static inline size_t ex_recv_n(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;
	uint64_t deadline = t_now_ns() + 10000000000ull;
	while (got < len) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		CHECK(t_now_ns() < deadline);
		if (poll(&pfd, 1, 100) != 1)
			continue;
		ssize_t r = recv(fd, p + got, len - got, 0);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			break;
		CHECK(r > 0);
		got += (size_t)r;
	}
	return got;
}

/*
 * Wait up to 10 s for the peer to end the stream: returns 0 for a FIN,
 * -ECONNRESET for a reset. Any data first is a failure.
 */
static inline int ex_recv_eof(int fd)
{
	uint64_t deadline = t_now_ns() + 10000000000ull;
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		CHECK(t_now_ns() < deadline);
		if (poll(&pfd, 1, 100) != 1)
			continue;
		char c;
		ssize_t r = recv(fd, &c, 1, 0);
		if (r < 0 && errno == ECONNRESET)
			return -ECONNRESET;
		CHECK_EQ(r, 0);
		return 0;
	}
}

#endif
