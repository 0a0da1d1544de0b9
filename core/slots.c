/*
 * core/slots.c - the slot table's free list (see slots.h): a lock-free
 * stack, with a condition variable for takers that find too few.
 */
#include "slots.h"

#include "clock.h"

#include <errno.h>
#include <stdlib.h>

int hoop__slots_init(struct hoop_slots *t, unsigned n,
                     void (*make_room)(void *ctx), void *ctx,
                     const _Atomic int *closing, _Atomic uint64_t *blocked)
{
	t->slots = calloc(n, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->room_cv, NULL);
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
	t->slots = NULL;
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

#define LOAD(p) atomic_load_explicit((p), memory_order_relaxed)

/* Pop one free slot's index into *idx; false if none is free. */
static inline __attribute__((always_inline)) bool slot_pop(struct hoop_slots *t,
                                                           unsigned *idx)
{
	uint64_t top = atomic_load_explicit(&t->free_top, memory_order_acquire);
	for (;;) {
		uint32_t k1 = (uint32_t)top;
		if (!k1)
			return false;
		uint32_t next = LOAD(&t->slots[k1 - 1].next_free);
		uint64_t nt = ((top >> 32) + 1) << 32 | next;
		/* Acquire: the freeing thread's last writes to the slot
		 * happen before ours. A stale `next` fails on the count. */
		if (atomic_compare_exchange_weak_explicit(&t->free_top, &top, nt,
		                                          memory_order_acquire,
		                                          memory_order_acquire)) {
			*idx = k1 - 1;
			return true;
		}
	}
}

/* Push slot k on the free stack (slot_push also wakes room waiters). */
static inline __attribute__((always_inline)) void
slot_push_raw(struct hoop_slots *t, unsigned k)
{
	uint64_t top = LOAD(&t->free_top);
	for (;;) {
		atomic_store_explicit(&t->slots[k].next_free, (uint32_t)top,
		                      memory_order_relaxed);
		uint64_t nt = ((top >> 32) + 1) << 32 | (k + 1);
		if (atomic_compare_exchange_weak_explicit(&t->free_top, &top, nt,
		                                          memory_order_seq_cst,
		                                          memory_order_relaxed))
			break;
	}
}

static void slot_push(struct hoop_slots *t, unsigned k)
{
	slot_push_raw(t, k);
	/* seq_cst on both sides (here and in hoop__slots_take): a waiter
	 * that registered before our push is seen; one registering after it
	 * finds the slot on its own. It re-checks every ms anyway. */
	if (atomic_load_explicit(&t->room_waiters, memory_order_seq_cst))
		hoop__slots_wake_all(t);
}

/* Pop n slots, all or none. *gave_back: some were popped and given back
 * (waiters may have missed them; waking them is the caller's, who may
 * hold the lock). */
static bool slots_pop_n(struct hoop_slots *t, unsigned n, unsigned *idx,
                        bool *gave_back)
{
	for (unsigned i = 0; i < n; i++) {
		if (!slot_pop(t, &idx[i])) {
			*gave_back = i > 0;
			while (i--)
				slot_push_raw(t, idx[i]);
			return false;
		}
	}
	return true;
}

int hoop__slots_take(struct hoop_slots *t, unsigned n, bool nowait, unsigned *idx)
{
	bool gave_back = false;
	while (!slots_pop_n(t, n, idx, &gave_back)) {
		if (gave_back &&
		    atomic_load_explicit(&t->room_waiters, memory_order_seq_cst))
			hoop__slots_wake_all(t);
		if (nowait || closing(t))
			return closing(t) ? -ESHUTDOWN : -EBUSY;
		atomic_fetch_add_explicit(t->blocked, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&t->room_waiters, 1,
		                          memory_order_seq_cst);
		/* Room appears as completions are reaped: let the owner reap
		 * (and flush what batching holds back) before we sleep. */
		t->make_room(t->ctx);
		pthread_mutex_lock(&t->lock);
		gave_back = false;
		bool got = slots_pop_n(t, n, idx, &gave_back);
		if (!got) {
			if (gave_back &&
			    atomic_load_explicit(&t->room_waiters,
			                         memory_order_seq_cst) > 1)
				pthread_cond_broadcast(&t->room_cv);
			if (!closing(t)) {
				struct timespec ts;
				hoop__cond_deadline(&ts, 1000000); /* every ms */
				pthread_cond_timedwait(&t->room_cv, &t->lock, &ts);
			}
		}
		pthread_mutex_unlock(&t->lock);
		atomic_fetch_sub_explicit(&t->room_waiters, 1,
		                          memory_order_relaxed);
		if (got)
			return 0;
		gave_back = false;
	}
	return 0;
}

void hoop__slot_push_free(struct hoop_slots *t, struct hoop_slot *s)
{
	slot_push(t, (unsigned)(s - t->slots));
}

void hoop__slot_free(struct hoop_slots *t, struct hoop_slot *s)
{
	atomic_store_explicit(&s->state, SLOT_FREE, memory_order_relaxed);
	hoop__slot_push_free(t, s);
}

void hoop__slots_untake(struct hoop_slots *t, const unsigned *idx, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		hoop__slot_free(t, &t->slots[idx[i]]);
}
