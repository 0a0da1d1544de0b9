/*
 * bench/bench_echo_epoll.c - the baseline for examples/echo_server.c: a
 * single-threaded, level-triggered epoll echo server, written the way one
 * would write it without io_uring.
 *
 *   bench_echo_epoll [--host 127.0.0.1] [--port 0] [--quiet]
 *
 * Non-blocking sockets with TCP_NODELAY (as the hoop server sets), one
 * read of up to 64 KiB per readiness event into one shared buffer, written
 * back at once; only what the socket does not take is copied into the
 * connection's own backlog, and then the connection waits for EPOLLOUT
 * instead of EPOLLIN until it has drained (so a client that does not read
 * cannot make the server buffer without bound). Level-triggered means one
 * read per event: for request/response traffic a second read would only
 * return EAGAIN. Prints "listening on HOST:PORT"; SIGINT/SIGTERM stop it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_SIZE (64 * 1024)
#define MAX_EVENTS 256

struct conn {
	int fd;
	size_t off, len, cap; /* unsent backlog: pend[off..len) */
	char *pend;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void conn_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->pend);
	free(c);
}

static int set_events(int ep, struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};
	return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write p[0..n); keep what the socket refused. 0, or -1 to close. */
static int conn_write(int ep, struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -1;
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	if (n == 0)
		return 0;
	if (c->cap < n) {
		char *q = realloc(c->pend, n);
		if (!q)
			return -1;
		c->pend = q;
		c->cap = n;
	}
	memmove(c->pend, p, n);
	c->off = 0;
	c->len = n;
	return set_events(ep, c, EPOLLOUT);
}

static int conn_flush(int ep, struct conn *c)
{
	while (c->off < c->len) {
		ssize_t w = send(c->fd, c->pend + c->off, c->len - c->off,
		                 MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		c->off += (size_t)w;
	}
	c->off = c->len = 0;
	return set_events(ep, c, EPOLLIN);
}

static void accept_all(int ep, int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or EMFILE and friends: retry next time */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct conn *c = calloc(1, sizeof(*c));
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (!c || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
	}
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1";
	int port = 0, quiet = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: %s [--host IPv4] [--port N] [--quiet]\n",
			       argv[0]);
			return 0;
		} else if (!strcmp(argv[i], "--quiet"))
			quiet = 1;
		else if (i + 1 < argc && !strcmp(argv[i], "--host"))
			host = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--port"))
			port = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: %s [--host IPv4] [--port N] [--quiet]\n",
			        argv[0]);
			return 2;
		}
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: epoll_wait returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "bench_echo_epoll: bad address %s\n", host);
		return 2;
	}
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	socklen_t alen = sizeof(a);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(lfd, 4096) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) < 0) {
		perror("bench_echo_epoll: listen");
		return 1;
	}
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) < 0) {
		perror("bench_echo_epoll: epoll");
		return 1;
	}
	printf("listening on %s:%d\n", host, ntohs(a.sin_port));
	fflush(stdout);

	static char buf[READ_SIZE];
	struct epoll_event evs[MAX_EVENTS];
	while (!stop_flag) {
		int n = epoll_wait(ep, evs, MAX_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("bench_echo_epoll: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (!c) {
				accept_all(ep, lfd);
				continue;
			}
			if (c->len) { /* waiting for EPOLLOUT */
				if (conn_flush(ep, c) < 0)
					conn_close(ep, c);
				continue;
			}
			ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0 || conn_write(ep, c, buf, (size_t)r) < 0)
				conn_close(ep, c);
		}
	}
	if (!quiet)
		fprintf(stderr, "bench_echo_epoll: stopped\n");
	/* The process exits: the kernel closes the connections. */
	close(ep);
	close(lfd);
	return 0;
}
