/*
 * examples/http_server.c on one loop: keep-alive, a 3-request pipelined
 * burst (GET, POST with a body, GET) split at every byte boundary and sent
 * one byte at a time, "Connection: close" (alone and in the middle of a
 * burst), HTTP/1.0, a bad request line, a bad header, headers over the
 * limit, Transfer-Encoding, then a stop with a keep-alive connection open,
 * within the bound, with no fd left open.
 */
#define HOOP_EXAMPLE_NO_MAIN
#include "../examples/http_server.c"

#include "test_example_util.h"

#define HDR(status, conn)                                                      \
	"HTTP/1.1 " status "\r\nServer: hoop\r\nContent-Type: text/plain\r\n"  \
	"Connection: " conn "\r\n"
static const char ok_keep[] =
        HDR("200 OK", "keep-alive") "Content-Length: 13\r\n\r\nHello, World!";
static const char ok_close[] = HDR("200 OK", "close") "Content-Length: "
                                                      "13\r\n\r\nHello, World!";
static const char bad[] = HDR("400 Bad Request", "close") "Content-Length: "
                                                          "0\r\n\r\n";
static const char too_big[] = HDR("431 Request Header Fields Too Large",
                                  "close") "Content-Length: 0\r\n\r\n";
static const char not_impl[] = HDR("501 Not Implemented",
                                   "close") "Content-Length: 0\r\n\r\n";

static const char burst[] =
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        "POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 18\r\n\r\n"
        "GET / HTTP/1.1\r\n\r\n" /* a body that looks like a request */
        "GET /last?q=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: t\r\n\r\n";

/* Expect exactly `n` copies of `resp` and nothing more yet. */
static void expect(int fd, const char *resp, int n)
{
	size_t len = strlen(resp);
	char *buf = malloc(len * (size_t)n + 1);
	CHECK(buf);
	CHECK_EQ(ex_recv_n(fd, buf, len * (size_t)n), len * (size_t)n);
	for (int i = 0; i < n; i++)
		if (memcmp(buf + len * (size_t)i, resp, len) != 0) {
			fprintf(stderr, "response %d: %.*s\nexpected: %s\n", i,
			        (int)len, buf + len * (size_t)i, resp);
			exit(T_FAIL);
		}
	free(buf);
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	CHECK_EQ(poll(&pfd, 1, 0), 0);
}

/* Send `req`, get `resp`, then the end of the stream; closes fd. */
static void expect_final(const struct ex_server *s, const char *req, size_t len,
                         const char *resp)
{
	int fd = ex_connect(s);
	ex_send_all(fd, req, len);
	size_t rlen = strlen(resp);
	char buf[512];
	CHECK(rlen <= sizeof(buf));
	CHECK_EQ(ex_recv_n(fd, buf, rlen), rlen);
	CHECK(memcmp(buf, resp, rlen) == 0);
	CHECK_EQ(ex_recv_eof(fd), 0);
	close(fd);
}

int main(void)
{
	ex_need_loop();
	int fds0 = t_fd_count();
	struct ex_server s;
	ex_server_start(&s, http_server_run, 1);
	const size_t blen = sizeof(burst) - 1;

	/* Keep-alive: three requests one after another on one connection. */
	int ka = ex_connect(&s);
	for (int i = 0; i < 3; i++) {
		ex_send_all(ka, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
		expect(ka, ok_keep, 1);
	}

	/* The burst in one send, then split at every byte boundary. */
	for (size_t cut = 0; cut < blen; cut++) {
		int fd = ex_connect(&s);
		ex_send_all(fd, burst, cut ? cut : blen);
		if (cut) {
			usleep(200); /* likely, not necessarily, two reads */
			ex_send_all(fd, burst + cut, blen - cut);
		}
		expect(fd, ok_keep, 3);
		close(fd);
	}
	/* One byte per send: every boundary on one connection. */
	int slow = ex_connect(&s);
	for (size_t i = 0; i < blen; i++)
		ex_send_all(slow, burst + i, 1);
	expect(slow, ok_keep, 3);
	/* ... and the connection is still usable. */
	ex_send_all(slow, burst, blen);
	expect(slow, ok_keep, 3);
	close(slow);

	/* Connection: close, alone and in the middle of a burst. */
	static const char cl[] = "GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
	expect_final(&s, cl, sizeof(cl) - 1, ok_close);
	static const char mid[] = "GET / HTTP/1.1\r\n\r\n"
	                          "GET / HTTP/1.1\r\nConnection: Keep-Alive, "
	                          "Close\r\n\r\n"
	                          "GET /never HTTP/1.1\r\n\r\n";
	int fd = ex_connect(&s);
	ex_send_all(fd, mid, sizeof(mid) - 1);
	char two[2 * sizeof(ok_keep)];
	size_t want = strlen(ok_keep) + strlen(ok_close);
	CHECK_EQ(ex_recv_n(fd, two, want), want);
	CHECK(memcmp(two, ok_keep, strlen(ok_keep)) == 0);
	CHECK(memcmp(two + strlen(ok_keep), ok_close, strlen(ok_close)) == 0);
	CHECK_EQ(ex_recv_eof(fd), 0);
	close(fd);

	/* HTTP/1.0 closes unless asked to keep alive. */
	static const char h10[] = "GET / HTTP/1.0\r\n\r\n";
	expect_final(&s, h10, sizeof(h10) - 1, ok_close);
	static const char h10ka[] = "GET / HTTP/1.0\r\nConnection: "
	                            "keep-alive\r\n\r\n";
	fd = ex_connect(&s);
	ex_send_all(fd, h10ka, sizeof(h10ka) - 1);
	expect(fd, ok_keep, 1);
	close(fd);

	/* Garbage and what this server refuses. */
	static const char g1[] = "GARBAGE\r\n\r\n";
	expect_final(&s, g1, sizeof(g1) - 1, bad);
	static const char g2[] = "GET / HTTP/1.1\r\nNo colon here\r\n\r\n";
	expect_final(&s, g2, sizeof(g2) - 1, bad);
	static const char g3[] = "GET / HTTP/1.1\r\nContent-Length: "
	                         "12x\r\n\r\n";
	expect_final(&s, g3, sizeof(g3) - 1, bad);
	static const char g4[] = "GET / HTTP/2.0\r\n\r\n";
	expect_final(&s, g4, sizeof(g4) - 1, bad);
	/* A good request, then garbage: the first is still answered. */
	static const char g5[] = "GET / HTTP/1.1\r\n\r\nBAD REQUEST\r\n\r\n";
	fd = ex_connect(&s);
	ex_send_all(fd, g5, sizeof(g5) - 1);
	size_t w5 = strlen(ok_keep) + strlen(bad);
	char r5[2 * sizeof(ok_keep)];
	CHECK_EQ(ex_recv_n(fd, r5, w5), w5);
	CHECK(memcmp(r5, ok_keep, strlen(ok_keep)) == 0);
	CHECK(memcmp(r5 + strlen(ok_keep), bad, strlen(bad)) == 0);
	CHECK_EQ(ex_recv_eof(fd), 0);
	close(fd);

	static const char te[] = "POST / HTTP/1.1\r\nTransfer-Encoding: "
	                         "chunked\r\n\r\n";
	expect_final(&s, te, sizeof(te) - 1, not_impl);
	/*
	 * 8 KiB of headers without an end: exactly the limit, so that the
	 * server has read everything when it closes (unread data would turn
	 * its FIN into a reset).
	 */
	static char big[8192];
	memcpy(big, "GET / HTTP/1.1\r\nX-Long: ", 24);
	memset(big + 24, 'a', sizeof(big) - 24);
	expect_final(&s, big, sizeof(big), too_big);

	/* The keep-alive connection is still served, then the server stops. */
	ex_send_all(ka, "GET / HTTP/1.1\r\n\r\n", 18);
	expect(ka, ok_keep, 1);
	ex_server_stop(&s);
	int r = ex_recv_eof(ka);
	CHECK(r == 0 || r == -ECONNRESET);
	close(ka);
	CHECK_EQ(t_fd_count(), fds0);
	return T_PASS;
}
