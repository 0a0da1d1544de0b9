/*
 * core/queue.c - hoop_queue: completions of many operations collected in
 * batches, with an eventfd that is readable while any are waiting.
 */
#include "engine_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct hoop_queue {
	hoop_engine *e;
	unsigned cap;
	int efd;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* Completions waiting to be collected: a ring that grows when
	 * multishot operations post more than one each. */
	struct hoop_completion *buf;
	unsigned buf_cap, head, count;
	unsigned outstanding; /* added, final completion not yet collected */
	unsigned inflight;    /* added, final completion not yet pushed */
	unsigned sleepers;
	bool efd_set;
	/* hoop_queue_fd was called: keep the eventfd readable while
	 * completions wait. Until then nobody can watch it, and the write and
	 * read that keep it so (two system calls per batch) are skipped. */
	bool efd_watched;
};

int hoop_queue_create(hoop_queue **out, hoop_engine *e, unsigned capacity)
{
	int err;
	if (!out || !e || capacity == 0)
		return -EINVAL;
	if ((err = hoop__engine_check(e)) < 0)
		return err;
	if (capacity > hoop_engine_max_inflight(e))
		return -EINVAL;
	hoop_queue *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->buf_cap = capacity;
	q->buf = calloc(q->buf_cap, sizeof(*q->buf));
	q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!q->buf || q->efd < 0) {
		err = q->efd < 0 ? -errno : -ENOMEM;
		if (q->efd >= 0)
			close(q->efd);
		free(q->buf);
		free(q);
		return err;
	}
	q->e = e;
	q->cap = capacity;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	*out = q;
	return 0;
}

unsigned hoop_queue_cap(const hoop_queue *q) { return q->cap; }
static void efd_raise_locked(hoop_queue *q)
{
	if (q->efd_watched && !q->efd_set && q->count) {
		uint64_t one = 1;
		ssize_t w = write(q->efd, &one, sizeof(one));
		(void)w;
		q->efd_set = true;
	}
}

int hoop_queue_fd(const hoop_queue *cq)
{
	/* The queue was allocated non-const by hoop_queue_create. */
	hoop_queue *q = (hoop_queue *)cq;
	pthread_mutex_lock(&q->mu);
	q->efd_watched = true;
	efd_raise_locked(q); /* what is waiting already */
	pthread_mutex_unlock(&q->mu);
	return q->efd;
}

unsigned hoop_queue_ready(hoop_queue *q)
{
	pthread_mutex_lock(&q->mu);
	unsigned n = q->count;
	pthread_mutex_unlock(&q->mu);
	return n;
}

unsigned hoop_queue_outstanding(hoop_queue *q)
{
	pthread_mutex_lock(&q->mu);
	unsigned n = q->outstanding;
	pthread_mutex_unlock(&q->mu);
	return n;
}

static int grow_locked(hoop_queue *q)
{
	unsigned ncap = q->buf_cap * 2;
	struct hoop_completion *nb = malloc(ncap * sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	for (unsigned i = 0; i < q->count; i++)
		nb[i] = q->buf[(q->head + i) % q->buf_cap];
	free(q->buf);
	q->buf = nb;
	q->buf_cap = ncap;
	q->head = 0;
	return 0;
}

/* Add one completion. Caller holds q->mu. */
static void push_locked(hoop_queue *q, const struct hoop_completion *c)
{
	if (q->count == q->buf_cap && grow_locked(q) < 0) {
		/*
		 * Only a multishot operation can outgrow the buffer, and only
		 * when memory has run out: keep the final completion (the owner
		 * must learn the operation ended) by overwriting the newest
		 * intermediate one.
		 */
		if (c->flags & HOOP_CQE_F_MORE)
			return;
		q->count--;
	}
	unsigned at = q->head + q->count; /* both below buf_cap */
	q->buf[at >= q->buf_cap ? at - q->buf_cap : at] = *c;
	q->count++;
	if (!(c->flags & HOOP_CQE_F_MORE))
		q->inflight--;
}

/* A queue's delivery target (struct hoop_target.push_n): hand n
 * completions to the queue under one lock, with drain_lock held, from a
 * pool worker, or from the submitting thread for an op completed inline. */
static void queue_push_n(void *arg, const struct hoop_completion *c, unsigned n)
{
	hoop_queue *q = arg;
	pthread_mutex_lock(&q->mu);
	if (q->count + n <= q->buf_cap) {
		/* Room for all: copied in at most two runs. */
		unsigned at = q->head + q->count, finals = 0;
		if (at >= q->buf_cap)
			at -= q->buf_cap;
		unsigned first = q->buf_cap - at < n ? q->buf_cap - at : n;
		memcpy(&q->buf[at], c, first * sizeof(*c));
		memcpy(q->buf, c + first, (n - first) * sizeof(*c));
		for (unsigned i = 0; i < n; i++)
			finals += !(c[i].flags & HOOP_CQE_F_MORE);
		q->count += n;
		q->inflight -= finals;
	} else {
		for (unsigned i = 0; i < n; i++)
			push_locked(q, &c[i]);
	}
	efd_raise_locked(q);
	if (q->sleepers) {
		pthread_cond_broadcast(&q->cv);
		hoop__engine_count_queue_wakeup(q->e);
	}
	pthread_mutex_unlock(&q->mu);
}

/* The same for one (struct hoop_target.fn). */
static void queue_push(void *arg, const struct hoop_completion *c)
{
	queue_push_n(arg, c, 1);
}

int hoop_queue_add(hoop_queue *q, const struct hoop_op *ops, unsigned n,
                   uint64_t *tokens, unsigned flags)
{
	if (!q || (n && !ops))
		return -EINVAL;
	if (n == 0)
		return 0;
	pthread_mutex_lock(&q->mu);
	if (q->outstanding + n > q->cap) {
		pthread_mutex_unlock(&q->mu);
		return -EAGAIN;
	}
	q->outstanding += n;
	q->inflight += n;
	pthread_mutex_unlock(&q->mu);
	struct hoop_target to = {DELIVER_QUEUE, queue_push, q, queue_push_n};
	int r = hoop__engine_submit_internal(q->e, ops, n, tokens, flags, &to);
	if (r < 0) {
		pthread_mutex_lock(&q->mu);
		q->outstanding -= n;
		q->inflight -= n;
		pthread_mutex_unlock(&q->mu);
	}
	return r;
}

/* Move up to max completions out. Caller holds q->mu. */
static unsigned take_locked(hoop_queue *q, struct hoop_completion *out, unsigned max)
{
	unsigned n = q->count < max ? q->count : max, finals = 0;
	if (n) { /* out may be NULL when max is 0 */
		/* Copied out in at most two runs. */
		unsigned first = q->buf_cap - q->head < n ? q->buf_cap - q->head
		                                          : n;
		memcpy(out, &q->buf[q->head], first * sizeof(*out));
		memcpy(out + first, q->buf, (n - first) * sizeof(*out));
		q->head += n;
		if (q->head >= q->buf_cap)
			q->head -= q->buf_cap;
		for (unsigned i = 0; i < n; i++)
			finals += !(out[i].flags & HOOP_CQE_F_MORE);
	}
	q->outstanding -= finals;
	q->count -= n;
	if (q->count == 0 && q->efd_set) {
		/* Readable exactly while completions wait: clear it. */
		uint64_t v;
		ssize_t rd = read(q->efd, &v, sizeof(v));
		(void)rd;
		q->efd_set = false;
	}
	return n;
}

int hoop_queue_wait(hoop_queue *q, struct hoop_completion *out, unsigned max,
                    unsigned min, int64_t timeout_ns)
{
	if (!q || (max && !out) || min > max || min > q->cap)
		return -EINVAL;
	int err = hoop__engine_check(q->e);
	if (err == -ECHILD)
		return err;
	uint64_t deadline = timeout_ns < 0
	                            ? UINT64_MAX
	                            : hoop__now_ns() + (uint64_t)timeout_ns;
	struct hoop_stripe *caller = hoop__caller_in(q->e);
	int ret;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		if (q->count >= min && (q->count > 0 || min == 0)) {
			ret = (int)take_locked(q, out, max);
			pthread_mutex_unlock(&q->mu);
			break;
		}
		pthread_mutex_unlock(&q->mu);

		/* Not enough yet: push out anything batched, reap ourselves. */
		hoop__engine_flush_pending(q->e);
		hoop__engine_reap_some(q->e);

		pthread_mutex_lock(&q->mu);
		if (q->count >= min) {
			pthread_mutex_unlock(&q->mu);
			continue;
		}
		uint64_t now = hoop__now_ns();
		if (now >= deadline) {
			pthread_mutex_unlock(&q->mu);
			ret = -ETIME;
			break;
		}
		/* The engine is closing and nothing more can arrive: waiting
		 * on would hang destroy, which waits for us. */
		if (hoop__engine_check(q->e) == -ESHUTDOWN && q->inflight == 0) {
			pthread_mutex_unlock(&q->mu);
			ret = -ESHUTDOWN;
			break;
		}
		/*
		 * Sleep until a push. The engine thread is watching the ring
		 * whenever work is in flight; wake at least every few ms anyway
		 * to reap for ourselves.
		 */
		uint64_t until = now + 2000000ull;
		if (until > deadline)
			until = deadline;
		struct timespec ts;
		hoop__cond_deadline(&ts, until - now);
		q->sleepers++;
		pthread_cond_timedwait(&q->cv, &q->mu, &ts);
		q->sleepers--;
		pthread_mutex_unlock(&q->mu);
	}
	hoop__caller_out(caller);
	return ret;
}

void hoop_queue_destroy(hoop_queue *q)
{
	if (!q)
		return;
	hoop_engine *e = q->e;
	bool child = hoop__engine_check(e) == -ECHILD;
	if (!child) {
		/* Cancel what is still in flight and wait for every final
		 * completion, so no buffer is touched after we return. */
		uint64_t next_cancel = 0;
		for (;;) {
			pthread_mutex_lock(&q->mu);
			unsigned left = q->inflight;
			pthread_mutex_unlock(&q->mu);
			if (left == 0)
				break;
			uint64_t now = hoop__now_ns();
			if (now >= next_cancel) {
				hoop__engine_cancel_queue(e, q);
				next_cancel = now + 50000000ull;
			}
			hoop__engine_reap_some(e);
			struct timespec ts = {0, 200000};
			nanosleep(&ts, NULL);
		}
	}
	close(q->efd);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q->buf);
	free(q);
}
