/*
 * tests/test_net_util.h - pieces shared by the bufgroup and loop tests.
 */
#ifndef HOOP_TEST_NET_UTIL_H
#define HOOP_TEST_NET_UTIL_H

#include "helpers.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* An engine on `backend` (forced), or skip when io_uring is unavailable. */
static inline hoop_engine *tn_engine(int backend)
{
	hoop_engine_params p;
	memset(&p, 0, sizeof(p));
	p.backend = (uint32_t)backend;
	hoop_engine *e = NULL;
	int r = hoop_engine_create(&e, &p);
	if (r == -EPERM || r == -ENOSYS)
		SKIP("io_uring unavailable: %s", hoop_strerror(r));
	CHECK_EQ(r, 0);
	return e;
}

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

/* A loop with default parameters, or skip when io_uring is unavailable. */
static inline hoop_loop *tn_loop(void)
{
	hoop_loop *l = NULL;
	int r = hoop_loop_create(&l, NULL);
	if (r == -EPERM || r == -ENOSYS)
		SKIP("io_uring unavailable: %s", hoop_strerror(r));
	CHECK_EQ(r, 0);
	return l;
}

/* A blocking TCP client connected to 127.0.0.1:port. */
static inline int tn_connect(uint16_t port)
{
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(c >= 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_EQ(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	return c;
}

/* write(2) all of it; returns 0 or -errno. */
static inline int tn_send_all(int fd, const void *p, size_t n)
{
	const char *b = p;
	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EPIPE;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read exactly n bytes; returns n, fewer at end of stream, or -errno. */
static inline ssize_t tn_recv_all(int fd, void *p, size_t n)
{
	char *b = p;
	size_t got = 0;
	while (got < n) {
		ssize_t r = recv(fd, b + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* A 30 s send and receive timeout (generous: sanitizer builds on a loaded
 * machine), so a broken server fails the test instead of hanging it. */
static inline void tn_timeout(int fd)
{
	struct timeval tv = {30, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* A thread body: after `delay_us`, read `total` bytes from fd and set ok
 * if they equal expect[]. */
struct tn_reader {
	int fd;
	const unsigned char *expect;
	size_t total;
	unsigned delay_us;
	int ok;
};

static inline void *tn_reader_main(void *arg)
{
	struct tn_reader *r = arg;
	if (r->delay_us)
		usleep(r->delay_us);
	unsigned char *in = malloc(r->total + 1);
	if (in && tn_recv_all(r->fd, in, r->total) == (ssize_t)r->total &&
	    memcmp(in, r->expect, r->total) == 0)
		r->ok = 1;
	free(in);
	return NULL;
}

/* Run the loop until `cond` holds, for at most 10 s. */
#define TN_RUN_UNTIL(loop, cond)                                               \
	do {                                                                   \
		uint64_t _until = t_now_ns() + 10000000000ull;                 \
		while (!(cond)) {                                              \
			CHECK(t_now_ns() < _until);                            \
			int _r = hoop_loop_run_once((loop), 100000000ll);      \
			CHECK(_r >= 0);                                        \
		}                                                              \
	} while (0)
#endif
