/*
 * An engine group's buffers given back from several threads at once: one
 * thread reaps a multishot receive's completions from a queue and hands
 * each buffer to one of 4 worker threads, which check the bytes and give it
 * back. 4 MiB pass through 16 buffers of 4 KiB; the receive is re-armed
 * whenever the group runs dry. Clean under ThreadSanitizer. (No double
 * give-back here: with a receive running, the kernel may take the buffer
 * again at once, and a second give-back is then the first one of its new
 * completion.)
 *
 * The kernel orders a give-back before the completion that hands the
 * buffer out again; ThreadSanitizer cannot see that, so the per-buffer
 * bookkeeping is kept in relaxed atomics.
 */
#include "test_net_util.h"

#include <pthread.h>
#include <stdatomic.h>

#define WORKERS 4
#define TOTAL (4u << 20)

static hoop_bufgroup *G;
static _Atomic int slots[WORKERS][64]; /* bid + 1, or 0 */
static atomic_uint handed[WORKERS];
static atomic_int stop, bad;
static unsigned char *sent; /* the stream */
static _Atomic size_t offs[16], lens_[16];

static void *worker(void *arg)
{
	int w = (int)(intptr_t)arg;
	unsigned done = 0;
	for (;;) {
		if (done == atomic_load(&handed[w])) {
			if (atomic_load(&stop))
				break;
			usleep(50);
			continue;
		}
		int v;
		while ((v = atomic_exchange(&slots[w][done % 64], 0)) == 0)
			usleep(10);
		unsigned bid = (unsigned)v - 1;
		const unsigned char *p = hoop_bufgroup_buf(G, bid);
		size_t off = atomic_load_explicit(&offs[bid], memory_order_relaxed);
		size_t len = atomic_load_explicit(&lens_[bid],
		                                  memory_order_relaxed);
		if (memcmp(p, sent + off, len) != 0)
			atomic_fetch_add(&bad, 1);
		if (hoop_bufgroup_return(G, bid) != 0)
			atomic_fetch_add(&bad, 1);
		done++;
	}
	return NULL;
}

static void arm(hoop_queue *q, int fd)
{
	struct hoop_sqe sqe;
	hoop_prep_recv_multishot(&sqe, fd, NULL, 0, 0);
	hoop_sqe_set_buf_group(&sqe, 4);
	struct hoop_op op;
	hoop_op_from_sqe(&op, &sqe);
	CHECK_EQ(hoop_queue_add(q, &op, 1, NULL, 0), 1);
}

static int cfd;
static void *sender(void *arg)
{
	(void)arg;
	CHECK_EQ(tn_send_all(cfd, sent, TOTAL), 0);
	shutdown(cfd, SHUT_WR);
	return NULL;
}

int main(void)
{
	int fds = t_fd_count();
	hoop_engine *e = tn_engine(HOOP_BACKEND_URING);
	int s;
	CHECK_EQ(t_tcp_pair(&cfd, &s), 0);
	CHECK_EQ(hoop_bufgroup_create_engine(&G, e, 4, 16, 4096, 0), 0);
	hoop_queue *q;
	CHECK_EQ(hoop_queue_create(&q, e, 4), 0);
	sent = malloc(TOTAL);
	for (size_t i = 0; i < TOTAL; i++)
		sent[i] = (unsigned char)(i * 11 + (i >> 10));
	pthread_t wt[WORKERS], st;
	for (int w = 0; w < WORKERS; w++)
		CHECK_EQ(pthread_create(&wt[w], NULL, worker, (void *)(intptr_t)w),
		         0);
	arm(q, s);
	CHECK_EQ(pthread_create(&st, NULL, sender, NULL), 0);
	size_t got = 0;
	unsigned next = 0, rearms = 0;
	uint64_t until = t_now_ns() + 60000000000ull;
	for (;;) {
		CHECK(t_now_ns() < until);
		struct hoop_completion c;
		int n = hoop_queue_wait(q, &c, 1, 1, 1000000000ll);
		if (n == -ETIME)
			continue;
		CHECK_EQ(n, 1);
		if (c.res > 0) {
			int bid = hoop_bufgroup_cqe_bid(c.flags);
			CHECK(bid >= 0 && bid < 16);
			atomic_store_explicit(&offs[bid], got,
			                      memory_order_relaxed);
			atomic_store_explicit(&lens_[bid], (size_t)c.res,
			                      memory_order_relaxed);
			got += (size_t)c.res;
			/* The buffer's bookkeeping is written before the
			 * hand-over (the atomic store publishes it). */
			int w = (int)(next % WORKERS);
			unsigned k = atomic_load(&handed[w]);
			while (atomic_load(&slots[w][k % 64]) != 0)
				usleep(10);
			atomic_store(&slots[w][k % 64], bid + 1);
			atomic_store(&handed[w], k + 1);
			next++;
		}
		if (c.flags & HOOP_CQE_F_MORE)
			continue;
		if (c.res == -ENOBUFS) {
			rearms++;
			arm(q, s);
			continue;
		}
		CHECK_EQ(c.res, 0);
		break;
	}
	atomic_store(&stop, 1);
	for (int w = 0; w < WORKERS; w++)
		pthread_join(wt[w], NULL);
	pthread_join(st, NULL);
	CHECK_EQ(got, TOTAL);
	CHECK_EQ(atomic_load(&bad), 0);
	CHECK_EQ(hoop_bufgroup_available(G), 16);
	hoop_queue_destroy(q);
	hoop_bufgroup_destroy(G);
	hoop_engine_destroy(e);
	close(cfd);
	close(s);
	free(sent);
	CHECK_EQ(t_fd_count(), fds);
	printf("ok: %u buffers, %u re-arms\n", next, rearms);
	return T_PASS;
}
