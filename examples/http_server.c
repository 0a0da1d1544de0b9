/*
 * examples/http_server.c - an HTTP/1.1 "hello world" server on hoop_loop.
 *
 *   http_server [--host 127.0.0.1] [--port 0] [--threads 1] [--quiet]
 *
 * Every well-formed request gets the same "200 OK" with a 13-byte body.
 * Connections are kept alive (HTTP/1.1 by default, HTTP/1.0 when asked),
 * and pipelined requests are answered in order: a request may arrive split
 * over several reads, or several in one read; a request ends at the blank
 * line after its headers, plus Content-Length bytes of body, which are
 * skipped. The answers to everything one read completed go out in one send.
 * "Connection: close" is honoured after its answer; a malformed request
 * gets 400, headers over 8 KiB get 431, a Transfer-Encoding gets 501, and
 * each of those closes the connection.
 *
 * Receives are multishot into a group of provided buffers, as in
 * echo_server.c; a buffer goes back to the kernel as soon as it is parsed
 * (the unfinished end of a request is copied aside). The answers are sent
 * from one static block of repeated responses, so nothing is allocated per
 * request. --threads N runs N loops with SO_REUSEPORT listeners.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, SO_REUSEPORT */
#endif
#define HOOP_SERVER_IMPL
#include "server_opts.h"

#define HTTP_BUF_COUNT 256u
#define HTTP_BUF_SIZE 4096u
#define HTTP_MAX_HEADER 8192u /* request line and headers, with the CRLFs */
#define HTTP_BATCH 64u        /* responses per send at most */

#define HTTP_BODY "Hello, World!"
#define HTTP_HEAD(status, conn)                                                \
	"HTTP/1.1 " status "\r\nServer: hoop\r\nContent-Type: text/plain\r\n"  \
	"Connection: " conn "\r\n"
static const char http_ok_keep[] = HTTP_HEAD(
        "200 OK", "keep-alive") "Content-Length: 13\r\n\r\n" HTTP_BODY;
static const char http_ok_close[] =
        HTTP_HEAD("200 OK", "close") "Content-Length: 13\r\n\r\n" HTTP_BODY;
static const char http_400[] = HTTP_HEAD("400 Bad Request",
                                         "close") "Content-Length: 0\r\n\r\n";
static const char http_431[] = HTTP_HEAD("431 Request Header Fields Too Large",
                                         "close") "Content-Length: 0\r\n\r\n";
static const char http_501[] = HTTP_HEAD("501 Not Implemented",
                                         "close") "Content-Length: 0\r\n\r\n";

#define HTTP_OK_LEN (sizeof(http_ok_keep) - 1)
/* HTTP_BATCH copies of http_ok_keep, back to back; filled once. */
static char http_ok_block[HTTP_BATCH * HTTP_OK_LEN];
static pthread_once_t http_once = PTHREAD_ONCE_INIT;

static void http_fill_block(void)
{
	for (unsigned i = 0; i < HTTP_BATCH; i++)
		memcpy(http_ok_block + i * HTTP_OK_LEN, http_ok_keep, HTTP_OK_LEN);
}

struct http_conn {
	struct hs_conn base;
	uint64_t body_left; /* body bytes of the last request still to skip */
	unsigned hlen;      /* bytes of an unfinished request in hbuf */
	char hbuf[HTTP_MAX_HEADER];
};

/* What a complete request asks for. */
enum http_verdict {
	HTTP_KEEP,
	HTTP_CLOSE,
	HTTP_BAD,
	HTTP_TOO_BIG,
	HTTP_NOT_IMPL
};

/* RFC 9110 token characters. */
static int http_tchar(unsigned char ch)
{
	if ((ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z'))
		return 1;
	return ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static int http_ieq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* Does the comma-separated list v[0..n) hold `tok` (any case)? */
static int http_has_token(const char *v, size_t n, const char *tok)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',')
			i++;
		size_t e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s && http_ieq(v + s, e - s, tok))
			return 1;
	}
	return 0;
}

/*
 * Parse one request of `len` bytes that ends with the blank line. Sets
 * *body to its Content-Length. Only what this server needs is checked, but
 * strictly: a request line "METHOD SP TARGET SP HTTP/1.x", header lines
 * "name: value" with a token name and no control characters in the value,
 * one Content-Length (digits), no Transfer-Encoding.
 */
static enum http_verdict http_parse(const char *req, size_t len, uint64_t *body)
{
	const char *p = req, *end = req + len - 2; /* the last CRLF */
	const char *s = p;
	while (p < end && http_tchar((unsigned char)*p))
		p++;
	if (p == s || p >= end || *p++ != ' ')
		return HTTP_BAD;
	s = p;
	while (p < end && (unsigned char)*p > ' ' && *p != 0x7f)
		p++;
	if (p == s || p >= end || *p++ != ' ')
		return HTTP_BAD;
	if (end - p < 10 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' ||
	    p[7] > '9' || p[8] != '\r' || p[9] != '\n')
		return HTTP_BAD;
	int http10 = p[7] == '0';
	p += 10;

	int close = 0, keep = 0, have_len = 0;
	uint64_t clen = 0;
	while (p < end) {
		s = p;
		while (p < end && http_tchar((unsigned char)*p))
			p++;
		if (p == s || p >= end || *p != ':')
			return HTTP_BAD;
		const char *name = s;
		size_t name_len = (size_t)(p - s);
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *v = p;
		while (p < end && *p != '\r') {
			unsigned char ch = (unsigned char)*p;
			if ((ch < ' ' && ch != '\t') || ch == 0x7f)
				return HTTP_BAD;
			p++;
		}
		if (p + 1 >= end + 2 || p[1] != '\n')
			return HTTP_BAD;
		size_t vlen = (size_t)(p - v);
		while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		p += 2;
		if (http_ieq(name, name_len, "content-length")) {
			uint64_t n = 0;
			if (vlen == 0 || vlen > 15)
				return HTTP_BAD;
			for (size_t i = 0; i < vlen; i++) {
				if (v[i] < '0' || v[i] > '9')
					return HTTP_BAD;
				n = n * 10 + (uint64_t)(v[i] - '0');
			}
			if (have_len && n != clen)
				return HTTP_BAD;
			have_len = 1;
			clen = n;
		} else if (http_ieq(name, name_len, "transfer-encoding")) {
			return HTTP_NOT_IMPL;
		} else if (http_ieq(name, name_len, "connection")) {
			close |= http_has_token(v, vlen, "close");
			keep |= http_has_token(v, vlen, "keep-alive");
		}
	}
	*body = clen;
	return close || (http10 && !keep) ? HTTP_CLOSE : HTTP_KEEP;
}

static void http_on_sent(hoop_loop *loop, void *arg, int32_t res, uint32_t flags)
{
	(void)loop, (void)flags;
	struct hs_conn *c = arg;
	if (res < 0 && !c->closing && !c->t->stopping)
		hs_conn_close(c, HOOP_LOOP_ABORT);
}

static int http_send(struct hs_conn *c, const char *p, size_t len)
{
	if (hoop_loop_send(c->t->loop, c->fd, p, len, 0, http_on_sent, c) == 0)
		return 0;
	hs_conn_close(c, HOOP_LOOP_ABORT);
	return -1;
}

/* Answer `ok` kept-alive requests, then the final one (if any) and close. */
static void http_respond(struct hs_conn *c, unsigned ok, enum http_verdict last,
                         int have_last)
{
	while (ok) {
		unsigned k = ok < HTTP_BATCH ? ok : HTTP_BATCH;
		if (http_send(c, http_ok_block, k * HTTP_OK_LEN) < 0)
			return;
		ok -= k;
	}
	if (!have_last)
		return;
	const char *r = last == HTTP_CLOSE      ? http_ok_close
	                : last == HTTP_TOO_BIG  ? http_431
	                : last == HTTP_NOT_IMPL ? http_501
	                                        : http_400;
	if (http_send(c, r, strlen(r)) == 0)
		hs_conn_close(c, 0); /* after the sends, which go first */
}

/* Consume one read's bytes: count finished requests, keep the rest. */
static void http_feed(struct http_conn *h, const char *d, size_t n)
{
	unsigned ok = 0;
	int have_last = 0;
	enum http_verdict last = HTTP_KEEP;
	while (n > 0 && !have_last) {
		if (h->body_left) {
			size_t k = n < h->body_left ? n : (size_t)h->body_left;
			h->body_left -= k;
			d += k;
			n -= k;
			continue;
		}
		const char *req;
		size_t rlen;
		if (h->hlen == 0) {
			/* Empty lines before a request are ignored (RFC 9112). */
			while (n && (*d == '\r' || *d == '\n'))
				d++, n--;
			if (!n)
				break;
			const char *e = memmem(d, n, "\r\n\r\n", 4);
			if (!e) {
				if (n >= HTTP_MAX_HEADER) {
					last = HTTP_TOO_BIG, have_last = 1;
				} else {
					memcpy(h->hbuf, d, n);
					h->hlen = (unsigned)n;
				}
				break;
			}
			req = d;
			rlen = (size_t)(e + 4 - d);
			d += rlen;
			n -= rlen;
		} else {
			/* The end may straddle the reads: look 3 bytes back. */
			size_t old = h->hlen;
			size_t k = n < HTTP_MAX_HEADER - old
			                   ? n
			                   : HTTP_MAX_HEADER - old;
			memcpy(h->hbuf + old, d, k);
			size_t from = old >= 3 ? old - 3 : 0;
			const char *e = memmem(h->hbuf + from, old + k - from,
			                       "\r\n\r\n", 4);
			if (!e) {
				h->hlen = (unsigned)(old + k);
				if (h->hlen >= HTTP_MAX_HEADER)
					last = HTTP_TOO_BIG, have_last = 1;
				break;
			}
			req = h->hbuf;
			rlen = (size_t)(e + 4 - h->hbuf);
			d += rlen - old;
			n -= rlen - old;
			h->hlen = 0;
		}
		uint64_t body = 0;
		enum http_verdict v = rlen > HTTP_MAX_HEADER
		                              ? HTTP_TOO_BIG
		                              : http_parse(req, rlen, &body);
		if (v == HTTP_KEEP) {
			ok++;
			h->body_left = body;
		} else {
			last = v, have_last = 1;
		}
	}
	if (ok || have_last)
		http_respond(&h->base, ok, last, have_last);
}

static void http_on_recv(hoop_loop *loop, void *arg, int32_t res, uint32_t flags)
{
	(void)loop;
	struct http_conn *h = arg;
	struct hs_conn *c = &h->base;
	struct hs_thread *t = c->t;
	if (res > 0) {
		int bid = hoop_bufgroup_cqe_bid(flags);
		if (bid < 0) {
			hs_conn_close(c, HOOP_LOOP_ABORT);
		} else {
			if (!c->closing && !t->stopping)
				http_feed(h, hoop_bufgroup_buf(t->g, (unsigned)bid),
				          (size_t)res);
			hs_return(t, (unsigned)bid);
		}
	}
	hs_recv_end(c, res, flags);
}

static const struct hs_proto http_proto = {
        .name = "http_server",
        .buf_count = HTTP_BUF_COUNT,
        .buf_size = HTTP_BUF_SIZE,
        .conn_size = sizeof(struct http_conn),
        .on_recv = http_on_recv,
};

int http_server_run(const struct hoop_server_opts *o)
{
	pthread_once(&http_once, http_fill_block);
	return hs_run(o, &http_proto);
}

#ifndef HOOP_EXAMPLE_NO_MAIN
int main(int argc, char **argv) { return hs_main(argc, argv, http_server_run); }
#endif
