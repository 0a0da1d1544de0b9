/*
 * core/slots.c - the slot table's free list (see slots.h): a lock-free
 * stack, with a condition variable for takers that find too few.
 */
#include "slots.h"

#include "clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int hoop__slots_init(struct hoop_slots *t, unsigned n,
                     void (*make_room)(void *ctx), void *ctx,
                     const _Atomic int *closing, _Atomic uint64_t *blocked)
{
	t->slots = aligned_alloc(64, n * sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	memset(t->slots, 0, n * sizeof(*t->slots));
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->room_cv, NULL);
	t->cache = aligned_alloc(64, HOOP_SLOT_CACHES * sizeof(*t->cache));
	if (!t->cache) {
		free(t->slots);
		t->slots = NULL;
		return -ENOMEM;
	}
	memset(t->cache, 0, HOOP_SLOT_CACHES * sizeof(*t->cache));
	t->n = n;
	for (unsigned i = 0; i < n; i++)
		atomic_init(&t->slots[i].next_free, (i + 1 < n) ? i + 2 : 0);
	atomic_init(&t->free_top, 1);
	atomic_init(&t->room_waiters, 0);
	t->make_room = make_room;
	t->ctx = ctx;
	t->closing = closing;
	t->blocked = blocked;
	return 0;
}

void hoop__slots_fini(struct hoop_slots *t)
{
	if (!t->slots)
		return; /* never initialised */
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->room_cv);
	free(t->slots);
	free(t->cache);
	t->slots = NULL;
	t->cache = NULL;
}

void hoop__slots_wake_all(struct hoop_slots *t)
{
	pthread_mutex_lock(&t->lock);
	pthread_cond_broadcast(&t->room_cv);
	pthread_mutex_unlock(&t->lock);
}

static bool closing(const struct hoop_slots *t)
{
	return atomic_load_explicit(t->closing, memory_order_relaxed) != 0;
}

/*
 * Pop n slots into idx[], all or none, with one compare-and-swap: walk n
 * entries down from the top and swing the top past them. Any change to
 * the stack bumps the top's count, so a walk that read a stale `next`
 * fails the swap and starts again.
 */
static bool slots_pop_n(struct hoop_slots *t, unsigned n, unsigned *idx)
{
	if (n == 1) /* the stack only: this can run under the room lock */
		return hoop__slot_pop_stack(t, idx);
	uint64_t top = atomic_load_explicit(&t->free_top, memory_order_acquire);
	for (;;) {
		uint32_t k1 = (uint32_t)top;
		if (hoop__slots_walk(t, &k1, n, idx) < n) {
			/* Too few, unless the walk was stale: look again. */
			uint64_t now = atomic_load_explicit(&t->free_top,
			                                    memory_order_acquire);
			if (now == top)
				return false;
			top = now;
			continue;
		}
		uint64_t nt = ((top >> 32) + 1) << 32 | k1;
		if (atomic_compare_exchange_weak_explicit(&t->free_top, &top, nt,
		                                          memory_order_acquire,
		                                          memory_order_acquire))
			return true;
	}
}

/* hoop__slots_push_chain without the wake-up (for a taker that holds the
 * lock the wake-up takes). */
static void slots_push_chain_raw(struct hoop_slots *t, uint32_t k1)
{
	uint32_t tail = k1, next;
	while ((next = atomic_load_explicit(&t->slots[tail - 1].next_free,
	                                    memory_order_relaxed)))
		tail = next;
	uint64_t top = atomic_load_explicit(&t->free_top, memory_order_relaxed);
	for (;;) {
		atomic_store_explicit(&t->slots[tail - 1].next_free,
		                      (uint32_t)top, memory_order_relaxed);
		uint64_t nt = ((top >> 32) + 1) << 32 | k1;
		if (atomic_compare_exchange_weak_explicit(&t->free_top, &top, nt,
		                                          memory_order_seq_cst,
		                                          memory_order_relaxed))
			break;
	}
}

void hoop__slots_push_chain(struct hoop_slots *t, uint32_t k1)
{
	slots_push_chain_raw(t, k1);
	hoop__slots_wake_waiters(t);
}

void hoop__slots_free_n(struct hoop_slots *t, struct hoop_slot *const *v, unsigned n)
{
	uint32_t k1 = 0; /* the chain built so far: its top's index + 1 */
	for (unsigned i = 0; i < n; i++) {
		struct hoop_slot *s = v[i];
		if (!s)
			continue;
		atomic_store_explicit(&s->state, SLOT_FREE, memory_order_relaxed);
		atomic_store_explicit(&s->next_free, k1, memory_order_relaxed);
		k1 = (uint32_t)(s - t->slots) + 1;
	}
	if (k1)
		hoop__slots_push_chain(t, k1);
}

/* Move every slot kept in a cache back to the free stack: true if any. */
static bool slots_steal_cached(struct hoop_slots *t)
{
	bool any = false;
	for (unsigned i = 0; i < HOOP_SLOT_CACHES; i++) {
		/* seq_cst: see hoop__slot_push_free_h. */
		uint64_t w = atomic_exchange_explicit(&t->cache[i].chain, 0,
		                                      memory_order_seq_cst);
		if (w) {
			/* No wake-up: the only caller is a taker, who looks
			 * next (holding the room lock, or not yet waiting). */
			slots_push_chain_raw(t, (uint32_t)w);
			any = true;
		}
	}
	return any;
}

int hoop__slots_take(struct hoop_slots *t, unsigned n, bool nowait, unsigned *idx)
{
	/* The slots this thread freed last, then the stack. */
	unsigned got = hoop__slots_take_cached(t, hoop__thread_hash(), n, idx);
	if (got == n || slots_pop_n(t, n - got, idx + got))
		return 0;
	for (unsigned i = 0; i < got; i++) /* all or none: give them back */
		hoop__slot_push_raw(t, idx[i]);
	if (got)
		hoop__slots_wake_waiters(t);
	while (!slots_pop_n(t, n, idx)) {
		/* Slots kept in the threads' caches are free too. */
		if (slots_steal_cached(t) && slots_pop_n(t, n, idx))
			return 0;
		if (nowait || closing(t))
			return closing(t) ? -ESHUTDOWN : -EBUSY;
		atomic_fetch_add_explicit(t->blocked, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&t->room_waiters, 1,
		                          memory_order_seq_cst);
		/* Room appears as completions are reaped: let the owner reap
		 * (and flush what batching holds back) before we sleep. */
		t->make_room(t->ctx);
		pthread_mutex_lock(&t->lock);
		slots_steal_cached(t); /* kept before we registered */
		bool got = slots_pop_n(t, n, idx);
		if (!got && !closing(t)) {
			struct timespec ts;
			hoop__cond_deadline(&ts, 1000000); /* every ms */
			pthread_cond_timedwait(&t->room_cv, &t->lock, &ts);
		}
		pthread_mutex_unlock(&t->lock);
		atomic_fetch_sub_explicit(&t->room_waiters, 1,
		                          memory_order_relaxed);
		if (got)
			return 0;
	}
	return 0;
}

void hoop__slots_untake(struct hoop_slots *t, const unsigned *idx, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		hoop__slot_free(t, &t->slots[idx[i]]);
}
