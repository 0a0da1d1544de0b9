/*
 * core/slots.c - the slot table's free list (see slots.h).
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
		t->slots[i].next_free = (i + 1 < n) ? i + 2 : 0;
	t->free_head = 1;
	t->free_count = n;
	t->room_waiters = 0;
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

int hoop__slots_take(struct hoop_slots *t, unsigned n, bool nowait,
                     unsigned *idx)
{
	pthread_mutex_lock(&t->lock);
	while (t->free_count < n) {
		if (nowait || closing(t)) {
			pthread_mutex_unlock(&t->lock);
			return closing(t) ? -ESHUTDOWN : -EBUSY;
		}
		atomic_fetch_add_explicit(t->blocked, 1, memory_order_relaxed);
		t->room_waiters++;
		pthread_mutex_unlock(&t->lock);
		/* Room appears as completions are reaped: let the owner reap
		 * (and flush what batching holds back) before we sleep. */
		t->make_room(t->ctx);
		pthread_mutex_lock(&t->lock);
		if (t->free_count < n && !closing(t)) {
			struct timespec ts;
			hoop__cond_deadline(&ts, 1000000); /* re-check every ms */
			pthread_cond_timedwait(&t->room_cv, &t->lock, &ts);
		}
		t->room_waiters--;
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned k = t->free_head - 1;
		t->free_head = t->slots[k].next_free;
		idx[i] = k;
	}
	t->free_count -= n;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

void hoop__slot_push_free(struct hoop_slots *t, struct hoop_slot *s)
{
	unsigned k = (unsigned)(s - t->slots);
	pthread_mutex_lock(&t->lock);
	s->next_free = t->free_head;
	t->free_head = k + 1;
	t->free_count++;
	if (t->room_waiters)
		pthread_cond_broadcast(&t->room_cv);
	pthread_mutex_unlock(&t->lock);
}

void hoop__slot_free(struct hoop_slots *t, struct hoop_slot *s)
{
	atomic_store_explicit(&s->state, SLOT_FREE, memory_order_relaxed);
	hoop__slot_push_free(t, s);
}

void hoop__slots_untake(struct hoop_slots *t, const unsigned *idx,
                        unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		hoop__slot_free(t, &t->slots[idx[i]]);
}
