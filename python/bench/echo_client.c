/*
 * echo_client - the load for bench_echo.py: `conns` connections to
 * 127.0.0.1:port, each sending a `size`-byte message and waiting for it to
 * come back before sending the next (one message in flight per
 * connection). Runs `warmup` seconds, then counts round trips for
 * `seconds` and prints the rate as one number. One thread, epoll. With a
 * PID, also prints the CPU time (user + system, all threads) that process
 * used during the counted seconds, in microseconds per round trip.
 *
 *     echo_client PORT CONNS SIZE SECONDS WARMUP [PID]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(clockid_t c)
{
	struct timespec ts;
	if (clock_gettime(c, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: echo_client PORT CONNS SIZE SECONDS WARMUP [PID]\n");
		return 2;
	}
	int port = atoi(argv[1]), conns = atoi(argv[2]), size = atoi(argv[3]);
	double seconds = atof(argv[4]), warmup = atof(argv[5]);
	clockid_t cpu_clock = 0;
	int with_cpu = argc == 7 && clock_getcpuclockid((pid_t)atoi(argv[6]), &cpu_clock) == 0;
	double cpu0 = 0;
	int ep = epoll_create1(0);
	int *got = calloc((size_t)conns, sizeof(int));
	char *msg = malloc((size_t)size), *buf = malloc(65536);
	if (ep < 0 || !got || !msg || !buf)
		return 1;
	memset(msg, 'x', (size_t)size);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int *fds = calloc((size_t)conns, sizeof(int));
	for (int i = 0; i < conns; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
			perror("connect");
			return 1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		fds[i] = fd;
		if (send(fd, msg, (size_t)size, 0) != size) {
			perror("send");
			return 1;
		}
	}
	double start = now(), t0 = start + warmup, end = t0 + seconds;
	long count = 0;
	struct epoll_event evs[256];
	for (;;) {
		int n = epoll_wait(ep, evs, 256, 1000);
		if (n < 0 && errno != EINTR) {
			perror("epoll_wait");
			return 1;
		}
		double t = now();
		if (t >= end)
			break;
		if (with_cpu && t >= t0 && cpu0 == 0)
			cpu0 = cpu_seconds(cpu_clock);
		for (int k = 0; k < n; k++) {
			int i = (int)evs[k].data.u32;
			ssize_t r = recv(fds[i], buf, 65536, 0);
			if (r <= 0) {
				fprintf(stderr, "connection %d: %s\n", i, r == 0 ? "closed" : strerror(errno));
				return 1;
			}
			got[i] += (int)r;
			while (got[i] >= size) {
				got[i] -= size;
				if (t >= t0)
					count++;
				if (send(fds[i], msg, (size_t)size, 0) != size) {
					perror("send");
					return 1;
				}
			}
		}
	}
	double cpu1 = with_cpu ? cpu_seconds(cpu_clock) : 0;
	if (with_cpu && count > 0)
		printf("%.0f %.2f\n", (double)count / seconds, (cpu1 - cpu0) * 1e6 / (double)count);
	else
		printf("%.0f\n", (double)count / seconds);
	for (int i = 0; i < conns; i++)
		close(fds[i]);
	return 0;
}
