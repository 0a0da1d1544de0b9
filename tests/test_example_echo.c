/*
 * examples/echo_server.c, run on two loops (two threads, SO_REUSEPORT):
 * 64 concurrent clients each send messages of 1 byte to 64 KiB+1 (and every
 * eighth one also 1 MiB), one at a time, and check every byte that comes
 * back. Then one client floods 32 MiB without reading until the server
 * stops taking bytes (its 2 MiB of receive buffers are all held by sends
 * the client does not read, so its receive runs dry) and then reads it all
 * back (the receive is re-armed as buffers return). Then: a client that closes
 * mid-message, idle connections open at stop (they see the stream end),
 * the stop within the bound, and no fd left open.
 */
#define HOOP_EXAMPLE_NO_MAIN
#include "../examples/echo_server.c"

#include "test_example_util.h"

#define NCONN 64
#define MIB (1024 * 1024)

static const size_t sizes[] = {1, 2, 63, 64, 65, 1000, 4095, 4096, 4097, 65537};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

struct client {
	int fd;
	unsigned msg; /* index into its schedule */
	size_t sent, got;
	int done;
};

/* Message `m` of connection `i`: its size and byte k. */
static size_t msg_size(int i, unsigned m)
{
	if (m < NSIZES)
		return sizes[(m + (unsigned)i) % NSIZES];
	return MIB; /* only for i % 8 == 0 */
}

static unsigned msg_count(int i) { return NSIZES + (i % 8 == 0); }

static unsigned char msg_byte(int i, unsigned m, size_t k)
{
	return (unsigned char)((size_t)i * 131u + m * 17u + k * 7u + (k >> 8));
}

/*
 * One connection writes without reading until the server stops taking
 * bytes (its buffers are all held by sends the client does not read, so
 * its receive ran dry), then reads everything back while writing the rest.
 */
static void flood(const struct ex_server *s)
{
	const size_t total = 32u * MIB;
	static unsigned char chunk[64 * 1024], in[64 * 1024];
	int fd = ex_connect(s);
	CHECK_EQ(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	size_t sent = 0, got = 0;
	int reading = 0;
	uint64_t deadline = t_now_ns() + 60000000000ull;
	while (got < total) {
		CHECK(t_now_ns() < deadline);
		struct pollfd pfd = {.fd = fd, .events = reading ? POLLIN : 0};
		if (sent < total)
			pfd.events |= POLLOUT;
		int n = poll(&pfd, 1, 200);
		CHECK(n >= 0);
		if (n == 0 && !reading) {
			reading = 1; /* stalled: the server holds all it can */
			continue;
		}
		if (pfd.revents & POLLOUT) {
			size_t k = total - sent < sizeof(chunk) ? total - sent
			                                        : sizeof(chunk);
			for (size_t i = 0; i < k; i++)
				chunk[i] = msg_byte(99, 0, sent + i);
			ssize_t w = send(fd, chunk, k, MSG_NOSIGNAL);
			CHECK(w > 0 || (w < 0 && errno == EAGAIN));
			if (w > 0)
				sent += (size_t)w;
			if (sent == total)
				reading = 1;
		}
		if (reading && (pfd.revents & (POLLIN | POLLERR | POLLHUP))) {
			ssize_t r = recv(fd, in, sizeof(in), 0);
			CHECK(r > 0 || (r < 0 && errno == EAGAIN));
			for (ssize_t i = 0; i < r; i++)
				CHECK_EQ(in[i], msg_byte(99, 0, got + (size_t)i));
			if (r > 0)
				got += (size_t)r;
		}
	}
	CHECK_EQ(got, total);
	close(fd);
}

int main(void)
{
	ex_need_loop();
	int fds0 = t_fd_count();
	struct ex_server s;
	ex_server_start(&s, echo_server_run, 2);

	static struct client cl[NCONN];
	for (int i = 0; i < NCONN; i++) {
		cl[i].fd = ex_connect(&s);
		CHECK_EQ(fcntl(cl[i].fd, F_SETFL, O_NONBLOCK), 0);
	}
	static unsigned char out[MIB], in[64 * 1024];
	uint64_t deadline = t_now_ns() + 60000000000ull;
	uint64_t checked = 0, expected = 0;
	for (int i = 0; i < NCONN; i++)
		for (unsigned m = 0; m < msg_count(i); m++)
			expected += msg_size(i, m);
	int left = NCONN;
	while (left > 0) {
		CHECK(t_now_ns() < deadline);
		struct pollfd pfd[NCONN];
		for (int i = 0; i < NCONN; i++) {
			struct client *c = &cl[i];
			pfd[i].fd = c->done ? -1 : c->fd;
			pfd[i].events = POLLIN;
			if (!c->done && c->sent < msg_size(i, c->msg))
				pfd[i].events |= POLLOUT;
		}
		CHECK(poll(pfd, NCONN, 1000) >= 0);
		for (int i = 0; i < NCONN; i++) {
			struct client *c = &cl[i];
			if (c->done || !pfd[i].revents)
				continue;
			size_t size = msg_size(i, c->msg);
			if (c->sent < size && (pfd[i].revents & POLLOUT)) {
				size_t n = size - c->sent;
				if (n > sizeof(out))
					n = sizeof(out);
				for (size_t k = 0; k < n; k++)
					out[k] = msg_byte(i, c->msg, c->sent + k);
				ssize_t w = send(c->fd, out, n, MSG_NOSIGNAL);
				CHECK(w > 0 || (w < 0 && errno == EAGAIN));
				if (w > 0)
					c->sent += (size_t)w;
			}
			if (!(pfd[i].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			ssize_t r = recv(c->fd, in, sizeof(in), 0);
			if (r < 0 && errno == EAGAIN)
				continue;
			CHECK(r > 0); /* no end of stream, no error */
			CHECK(c->got + (size_t)r <= c->sent);
			for (ssize_t k = 0; k < r; k++)
				if (in[k] !=
				    msg_byte(i, c->msg, c->got + (size_t)k)) {
					fprintf(stderr,
					        "conn %d msg %u byte %zu: %u, "
					        "expected %u\n",
					        i, c->msg, c->got + (size_t)k,
					        in[k],
					        msg_byte(i, c->msg,
					                 c->got + (size_t)k));
					return T_FAIL;
				}
			c->got += (size_t)r;
			checked += (uint64_t)r;
			if (c->got == size) {
				c->got = c->sent = 0;
				if (++c->msg == msg_count(i)) {
					c->done = 1;
					left--;
				}
			}
		}
	}
	CHECK_EQ(checked, expected);

	/* Every connection is still open and still echoes after all that. */
	for (int i = 0; i < NCONN; i++) {
		CHECK_EQ(fcntl(cl[i].fd, F_SETFL, 0), 0);
		ex_send_all(cl[i].fd, "ping", 4);
		char b[4];
		CHECK_EQ(ex_recv_n(cl[i].fd, b, 4), 4);
		CHECK(memcmp(b, "ping", 4) == 0);
	}

	flood(&s);

	/* A client that vanishes mid-message: the others are unaffected. */
	int gone = ex_connect(&s);
	ex_send_all(gone, out, 200000);
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	CHECK_EQ(setsockopt(gone, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(gone);
	ex_send_all(cl[0].fd, "x", 1);
	char x;
	CHECK_EQ(ex_recv_n(cl[0].fd, &x, 1), 1);
	CHECK_EQ(x, 'x');

	/* Half-close: what was sent before the FIN still comes back, then EOF. */
	ex_send_all(cl[1].fd, "half", 4);
	CHECK_EQ(shutdown(cl[1].fd, SHUT_WR), 0);
	char h[4];
	CHECK_EQ(ex_recv_n(cl[1].fd, h, 4), 4);
	CHECK(memcmp(h, "half", 4) == 0);
	CHECK_EQ(ex_recv_eof(cl[1].fd), 0);

	/* Stop with the other 63 connections idle and open. */
	ex_server_stop(&s);
	for (int i = 2; i < NCONN; i++) {
		int r = ex_recv_eof(cl[i].fd);
		CHECK(r == 0 || r == -ECONNRESET);
	}
	for (int i = 0; i < NCONN; i++)
		close(cl[i].fd);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
