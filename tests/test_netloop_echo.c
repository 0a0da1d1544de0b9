/*
 * An echo server on one hoop_loop (multishot accept, multishot receive into
 * a buffer group, bundles on half the connections, send-all, graceful
 * close) against 64 concurrent client threads on 127.0.0.1, each sending
 * messages of 1, 100, 4096, 65536 and 1 MiB bytes and checking every byte
 * that comes back. Then: every connection closed by the server after the
 * client's end of stream, the loop destroyed with the accept still armed,
 * no fd left open.
 */
#include "test_net_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define CLIENTS 64

static const size_t sizes[] = {1, 100, 4096, 65536, 1 << 20};
static hoop_bufgroup *G;
static uint16_t port;
static atomic_int clients_done, client_fail;
static int accepted, closed, conns_live, recv_rearms, accept_final;

/* One send in flight per connection; what arrives meanwhile is kept and
 * goes in the next send (so the loop's slots stay bounded). */
struct conn {
	int fd;
	unsigned flags;
	bool sending, eof;
	unsigned char *pend;
	size_t plen, pcap;
};

struct out {
	struct conn *conn;
	size_t len;
	unsigned char data[];
};

static void on_recv(hoop_loop *l, void *arg, int32_t res, uint32_t flags);

static void on_closed(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)l;
	(void)flags;
	CHECK_EQ(res, 0);
	struct conn *c = arg;
	free(c->pend);
	free(c);
	closed++;
	conns_live--;
}

static void on_sent(hoop_loop *l, void *arg, int32_t res, uint32_t flags);

static void flush(hoop_loop *l, struct conn *c)
{
	if (c->sending)
		return;
	if (c->plen == 0) {
		if (c->eof)
			CHECK_EQ(hoop_loop_close(l, c->fd, 0, on_closed, c), 0);
		return;
	}
	struct out *o = malloc(sizeof(*o) + c->plen);
	CHECK(o != NULL);
	o->conn = c;
	o->len = c->plen;
	memcpy(o->data, c->pend, c->plen);
	c->plen = 0;
	c->sending = true;
	CHECK_EQ(hoop_loop_send(l, c->fd, o->data, o->len, 0, on_sent, o), 0);
}

static void on_sent(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	struct out *o = arg;
	CHECK_EQ(flags & HOOP_CQE_F_MORE, 0);
	CHECK_EQ(res, (int32_t)o->len);
	struct conn *c = o->conn;
	free(o);
	c->sending = false;
	flush(l, c);
}

static void on_recv(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	struct conn *c = arg;
	if (res > 0) {
		int bid = hoop_bufgroup_cqe_bid(flags);
		CHECK(bid >= 0);
		struct iovec iov[64];
		uint16_t bids[64];
		int n = hoop_bufgroup_bundle(G, (unsigned)bid, res, iov, bids, 64);
		CHECK(n >= 1);
		if (!(c->flags & HOOP_LOOP_BUNDLE))
			CHECK_EQ(n, 1);
		if (c->plen + (size_t)res > c->pcap) {
			c->pcap = (c->plen + (size_t)res) * 2;
			c->pend = realloc(c->pend, c->pcap);
			CHECK(c->pend != NULL);
		}
		size_t before = c->plen;
		for (int i = 0; i < n; i++) {
			memcpy(c->pend + c->plen, iov[i].iov_base, iov[i].iov_len);
			c->plen += iov[i].iov_len;
			CHECK_EQ(hoop_bufgroup_return(G, bids[i]), 0);
		}
		CHECK_EQ(c->plen - before, (size_t)res);
		flush(l, c);
	}
	if (flags & HOOP_CQE_F_MORE)
		return;
	if (res == -ENOBUFS) {
		/* Every buffer was out at once: receive again. */
		recv_rearms++;
		CHECK_EQ(hoop_loop_recv(l, c->fd, G, c->flags, on_recv, c, NULL),
		         0);
		return;
	}
	CHECK_EQ(res, 0); /* the client's end of stream */
	c->eof = true;
	flush(l, c);
}

static void on_accept(hoop_loop *l, void *arg, int32_t res, uint32_t flags)
{
	(void)arg;
	if (!(flags & HOOP_CQE_F_MORE)) {
		CHECK_EQ(res, -ECANCELED); /* only the destroy ends it */
		accept_final++;
		return;
	}
	CHECK(res >= 0);
	struct conn *c = calloc(1, sizeof(*c));
	CHECK(c != NULL);
	c->fd = res;
	c->flags = (accepted & 1) ? HOOP_LOOP_BUNDLE : 0;
	accepted++;
	conns_live++;
	CHECK_EQ(hoop_loop_recv(l, c->fd, G, c->flags, on_recv, c, NULL), 0);
}

static unsigned char pat(unsigned id, size_t sz, size_t i)
{
	return (unsigned char)(id * 7 + sz * 3 + i * 13 + (i >> 8));
}

static void *client(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	int fd = tn_connect(port);
	tn_timeout(fd);
	unsigned char *out = malloc(1 << 20), *in = malloc(1 << 20);
	CHECK(out && in);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];
		for (size_t i = 0; i < n; i++)
			out[i] = pat(id, n, i);
		int sr = tn_send_all(fd, out, n);
		ssize_t rr = sr ? 0 : tn_recv_all(fd, in, n);
		if (sr != 0 || rr != (ssize_t)n || memcmp(in, out, n) != 0) {
			size_t bad = 0;
			while (rr > 0 && bad < (size_t)rr && in[bad] == out[bad])
				bad++;
			fprintf(stderr,
			        "client %u: size %zu failed: send %d, recv "
			        "%zd, "
			        "first difference at %zu\n",
			        id, n, sr, rr, bad);
			atomic_fetch_add(&client_fail, 1);
			break;
		}
	}
	/* End of stream; the server then closes: we see 0. */
	shutdown(fd, SHUT_WR);
	if (tn_recv_all(fd, in, 1) != 0)
		atomic_fetch_add(&client_fail, 1);
	close(fd);
	free(out);
	free(in);
	atomic_fetch_add(&clients_done, 1);
	return NULL;
}

int main(void)
{
	int fds = t_fd_count();
	hoop_loop *l = tn_loop();
	int lfd = t_tcp_listener(&port);
	CHECK(lfd >= 0);
	CHECK_EQ(hoop_bufgroup_create(&G, hoop_loop_ring(l), 1, 512, 16384, 0), 0);
	uint64_t aid;
	CHECK_EQ(hoop_loop_accept(l, lfd, 0, on_accept, NULL, &aid), 0);

	pthread_t th[CLIENTS];
	for (unsigned i = 0; i < CLIENTS; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, client, (void *)(uintptr_t)i),
		         0);
	uint64_t until = t_now_ns() + 100000000000ull;
	while (atomic_load(&clients_done) < CLIENTS || conns_live > 0) {
		CHECK(t_now_ns() < until);
		CHECK(hoop_loop_run_once(l, 100000000ll) >= 0);
	}
	for (unsigned i = 0; i < CLIENTS; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(atomic_load(&client_fail), 0);
	CHECK_EQ(accepted, CLIENTS);
	CHECK_EQ(closed, CLIENTS);
	CHECK_EQ(hoop_bufgroup_available(G), 512);
	CHECK_EQ(hoop_loop_pending(l), 1); /* the accept */
	hoop_loop_destroy(l);
	CHECK_EQ(accept_final, 1);
	hoop_bufgroup_destroy(G);
	close(lfd);
	CHECK_EQ(t_fd_count(), fds);
	printf("ok: %d connections, %d receives re-armed after -ENOBUFS\n",
	       accepted, recv_rearms);
	return T_PASS;
}
