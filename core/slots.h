/*
 * core/slots.h - the slot table and tokens: one slot per operation in
 * flight, named to its owner by a token that carries the slot's index and
 * generation (so a stale token is told from the slot's next use). The
 * token encoding is shared with the event loop (loop.c). Never installed.
 */
#ifndef HOOP_CORE_SLOTS_H
#define HOOP_CORE_SLOTS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hoop/engine.h"

/* ---- tokens: generation in the high word, index + 1 in the low word
 * (so 0 is never a token) ---- */

static inline uint64_t hoop__token_make(uint32_t idx, uint32_t gen)
{
	return ((uint64_t)gen << 32) | (uint64_t)(idx + 1);
}

/* The index + 1 a token names (0: none). */
static inline uint32_t hoop__token_index1(uint64_t token)
{
	return (uint32_t)token;
}

static inline uint32_t hoop__token_gen(uint64_t token)
{
	return (uint32_t)(token >> 32);
}

/* ---- slots ---- */

/* Slot states, the low byte of slot.state (also the slot's futex word). */
#define SLOT_FREE 0u
#define SLOT_INFLIGHT 1u
#define SLOT_DONE 2u
#define SLOT_STATE_MASK 0xffu
#define SLOT_WAITER 0x100u   /* a thread sleeps on this word */
#define SLOT_RELEASED 0x200u /* the owner gave up; free on completion */
#define SLOT_POOL 0x400u     /* served by the thread pool, not the ring */
#define SLOT_TIMER                                                             \
	0x800u /* a multishot timeout on the ring: cancel
                                retries while the kernel re-arms it */

enum hoop_delivery {
	DELIVER_WAIT = 0,
	DELIVER_CALLBACK = 1,
	DELIVER_QUEUE = 2,
};

/*
 * Where an operation's result goes, as one value: its owner waits for it
 * (hoop_engine_wait), a callback gets it (fn, arg), or a queue collects it
 * (arg is the hoop_queue, fn its push: the engine never calls queue.c).
 * Callbacks are promised drain_lock; queue pushes are not.
 */
struct hoop_target {
	uint8_t kind; /* enum hoop_delivery */
	hoop_completion_fn fn;
	void *arg;
	/* A queue: its push of n completions at once (a drained batch takes
	 * the queue's lock once); NULL otherwise. */
	void (*push_n)(void *arg, const struct hoop_completion *c, unsigned n);
};

#define HOOP_TARGET_WAIT ((struct hoop_target){DELIVER_WAIT, NULL, NULL, NULL})

struct hoop_slot {
	_Atomic uint32_t state;
	_Atomic uint32_t gen;
	_Atomic uint32_t next_free; /* on the free stack: the next, + 1 */
	uint32_t cflags;
	uint64_t user_data; /* the caller's tag */
	int32_t res;
	struct hoop_target to;
};
/* A cache line each: no false sharing between the owners of neighbouring
 * slots, and an index is a shift away. */
_Static_assert(sizeof(struct hoop_slot) == 64, "a slot is a cache line");
/*
 * The table: the slots and their free list (a lock-free stack). A taker that
 * finds too few free slots calls make_room (which should reap
 * completions) and sleeps on room_cv, unless *closing is set.
 */
/*
 * Free slots kept aside for the threads that hash to this cache (see
 * hoop__thread_hash): a chain of slots linked by next_free, pushed one at a
 * time by the threads that free them (hoop_engine_wait) and taken whole, by
 * one exchange, by the next take (a submit of n ops takes the n slots its
 * thread freed last). Neither the free stack's top nor the slots' lines then
 * move between CPUs, and a slot costs one compare-and-swap on the thread's
 * own line to free and a share of one exchange to take again. Only pushes,
 * take-everything and giving a rest back to an empty cache touch the word,
 * so it has no ABA problem: a pushed slot's next is the whole chain below
 * it, whatever happened between.
 * At most HOOP_SLOT_CACHE_MAX slots each (a batch of 32 comes back whole;
 * more would only keep slots from other threads until they steal them);
 * beyond, frees go to the stack.
 */
#define HOOP_SLOT_CACHES 16u
#define HOOP_SLOT_CACHE_MAX 32u
struct hoop_slot_cache {
	/* High 32 bits: how many slots the chain holds; low 32: its top's
	 * index + 1 (0: empty). */
	_Atomic uint64_t chain;
	char pad[56];
};

struct hoop_slots {
	struct hoop_slot *slots;
	unsigned n;
	struct hoop_slot_cache *cache; /* HOOP_SLOT_CACHES, 64-byte aligned */
	/* The free slots: a lock-free stack. Low 32 bits the top's index + 1
	 * (0: empty), high 32 bits a count of changes (no ABA). */
	_Atomic uint64_t free_top;
	/* Takers out of slots sleep on room_cv under lock. */
	pthread_mutex_t lock;
	pthread_cond_t room_cv;
	_Atomic unsigned room_waiters;
	void (*make_room)(void *ctx);
	void *ctx;
	const _Atomic int *closing;
	_Atomic uint64_t *blocked; /* counts takers that had to wait */
};

/* n slots, all free; 0 or -ENOMEM. hoop__slots_fini is safe on a zeroed
 * table that was never initialised. */
int hoop__slots_init(struct hoop_slots *t, unsigned n,
                     void (*make_room)(void *ctx), void *ctx,
                     const _Atomic int *closing, _Atomic uint64_t *blocked);
void hoop__slots_fini(struct hoop_slots *t);

/* Wake every taker waiting for room (they look at *closing again). */
void hoop__slots_wake_all(struct hoop_slots *t);

/*
 * Take n free slots into idx[]; blocks for room unless nowait. Returns 0 or
 * -EBUSY / -ESHUTDOWN.
 */
int hoop__slots_take(struct hoop_slots *t, unsigned n, bool nowait, unsigned *idx);

/*
 * The calling thread's cache (and counter stripe, engine_internal.h): any
 * is correct, only speed depends on the choice. Threads run on different
 * stacks, so the address of this frame, above its low 64 KiB, names the
 * thread well enough in three instructions (sched_getcpu or a thread-local
 * variable costs more in a shared library, and far more under valgrind,
 * which has no rseq). 0 to 15.
 */
static inline __attribute__((always_inline)) unsigned hoop__thread_hash(void)
{
#if defined(__x86_64__)
	/* The stack pointer itself: __builtin_frame_address makes every
	 * caller set up a frame pointer (three instructions more). */
	uintptr_t sp;
	__asm__("mov %%rsp, %0" : "=r"(sp));
#else
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
#endif
	uint32_t h = (uint32_t)(sp >> 16) * 0x9e3779b1u;
	return h >> 28;
}
_Static_assert(HOOP_SLOT_CACHES == 16, "hoop__thread_hash gives 4 bits");

/* Push slot k on the free stack, waking no one (hoop__slot_push_free
 * does). */
static inline void hoop__slot_push_raw(struct hoop_slots *t, unsigned k)
{
	uint64_t top = atomic_load_explicit(&t->free_top, memory_order_relaxed);
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

/* Give a chain taken out of a cache (top's index + 1, linked by next_free,
 * ending in 0) back to the free stack with one compare-and-swap (slots.c),
 * waking the takers waiting for room. */
void hoop__slots_push_chain(struct hoop_slots *t, uint32_t k1);

/* Wake the takers waiting for room, if any. seq_cst on both sides (here
 * after a push, and in hoop__slots_take after registering): a waiter that
 * registered before the push is seen; one registering after it finds the
 * slot on its own. */
static inline void hoop__slots_wake_waiters(struct hoop_slots *t)
{
	if (atomic_load_explicit(&t->room_waiters, memory_order_seq_cst))
		hoop__slots_wake_all(t);
}

/* Follow a chain of free slots from *k1 (an index + 1) for up to n of
 * them, into idx[]: how many; *k1 becomes the rest's top (0: none). */
static inline unsigned hoop__slots_walk(const struct hoop_slots *t,
                                        uint32_t *k1, unsigned n, unsigned *idx)
{
	uint32_t k = *k1;
	unsigned i = 0;
	for (; i < n && k; i++) {
		idx[i] = k - 1;
		k = atomic_load_explicit(&t->slots[k - 1].next_free,
		                         memory_order_relaxed);
	}
	*k1 = k;
	return i;
}

/*
 * Take up to n slots (into idx[]) from cache h: how many. The whole chain
 * is taken with one exchange; what is left over goes back into the cache
 * if it is still empty, else onto the free stack.
 */
static inline unsigned hoop__slots_take_cached(struct hoop_slots *t, unsigned h,
                                               unsigned n, unsigned *idx)
{
	struct hoop_slot_cache *c = &t->cache[h];
	if (!atomic_load_explicit(&c->chain, memory_order_relaxed))
		return 0;
	/* Acquire: the freeing threads' last writes to the slots happen
	 * before ours. */
	uint64_t w = atomic_exchange_explicit(&c->chain, 0, memory_order_acquire);
	uint32_t k1 = (uint32_t)w;
	unsigned i = hoop__slots_walk(t, &k1, n, idx);
	if (__builtin_expect(k1 != 0, 0)) {
		uint64_t rest = (((w >> 32) - i) << 32) | k1, none = 0;
		/* seq_cst: a taker that registered as waiting before this
		 * store sees the slots when it steals, or we see it below. */
		if (!atomic_compare_exchange_strong_explicit(
		            &c->chain, &none, rest, memory_order_seq_cst,
		            memory_order_relaxed))
			hoop__slots_push_chain(t, k1);
		else if (atomic_load_explicit(&t->room_waiters,
		                              memory_order_seq_cst) &&
		         (rest = atomic_exchange_explicit(&c->chain, 0,
		                                          memory_order_acquire)))
			hoop__slots_push_chain(t, (uint32_t)rest);
	}
	return i;
}

/* Pop one slot off the free stack into *idx; false if it is empty. */
static inline bool hoop__slot_pop_stack(struct hoop_slots *t, unsigned *idx)
{
	uint64_t top = atomic_load_explicit(&t->free_top, memory_order_acquire);
	for (;;) {
		uint32_t k1 = (uint32_t)top;
		if (!k1)
			return false;
		uint32_t next = atomic_load_explicit(&t->slots[k1 - 1].next_free,
		                                     memory_order_relaxed);
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

/* Pop one free slot's index into *idx (the caller's cache first, then
 * the free stack); false if none is free. Not with the room lock held
 * (what the cache holds beyond the one may be given back, with a
 * wake-up). */
static inline bool hoop__slot_pop(struct hoop_slots *t, unsigned *idx)
{
	return hoop__slots_take_cached(t, hoop__thread_hash(), 1, idx) ||
	       hoop__slot_pop_stack(t, idx);
}

/* Put a slot whose state is FREE already (claimed by the caller) in cache
 * h, or on the free stack when that cache is full. */
static inline void hoop__slot_push_free_h(struct hoop_slots *t,
                                          struct hoop_slot *s, unsigned h)
{
	unsigned k = (unsigned)(s - t->slots);
	struct hoop_slot_cache *c = &t->cache[h];
	uint64_t w = atomic_load_explicit(&c->chain, memory_order_relaxed);
	while ((w >> 32) < HOOP_SLOT_CACHE_MAX) {
		atomic_store_explicit(&s->next_free, (uint32_t)w,
		                      memory_order_relaxed);
		/* Release (in seq_cst): our writes to the slot happen before
		 * its next taker's. */
		if (atomic_compare_exchange_weak_explicit(
		            &c->chain, &w, (((w >> 32) + 1) << 32) | (k + 1),
		            memory_order_seq_cst, memory_order_relaxed)) {
			/* A waiter that registered before the slot went in
			 * could have stolen the caches just before, and sleep
			 * a whole timed wait with the slot here. seq_cst both
			 * sides (its registration then steal; our push then
			 * this look): it finds the slot or we see it, and give
			 * back what the cache holds, with a wake-up. */
			if (__builtin_expect(atomic_load_explicit(
			                             &t->room_waiters,
			                             memory_order_seq_cst) != 0,
			                     0) &&
			    (w = atomic_exchange_explicit(&c->chain, 0,
			                                  memory_order_acquire)))
				hoop__slots_push_chain(t, (uint32_t)w);
			return;
		}
	}
	hoop__slot_push_raw(t, k);
	hoop__slots_wake_waiters(t);
}

static inline void hoop__slot_push_free(struct hoop_slots *t, struct hoop_slot *s)
{
	hoop__slot_push_free_h(t, s, hoop__thread_hash());
}

/* Mark a slot FREE and put it on the free list. */
static inline void hoop__slot_free(struct hoop_slots *t, struct hoop_slot *s)
{
	atomic_store_explicit(&s->state, SLOT_FREE, memory_order_relaxed);
	hoop__slot_push_free(t, s);
}

/* Mark the slots of v[] (n, NULL entries skipped) FREE and put them on
 * the free stack with one compare-and-swap. */
void hoop__slots_free_n(struct hoop_slots *t, struct hoop_slot *const *v,
                        unsigned n);

/* Return slots taken by hoop__slots_take that were never used. */
void hoop__slots_untake(struct hoop_slots *t, const unsigned *idx, unsigned n);

/* The slot a token names, or NULL if it names none (gen checked later). */
static inline struct hoop_slot *hoop__slot_of(const struct hoop_slots *t,
                                              uint64_t token, uint32_t *gen)
{
	uint32_t low = hoop__token_index1(token);
	if (low == 0 || low > t->n)
		return NULL;
	*gen = hoop__token_gen(token);
	return &t->slots[low - 1];
}

/* The token of slot s in its current generation. */
static inline uint64_t hoop__slot_token(const struct hoop_slots *t,
                                        struct hoop_slot *s)
{
	return hoop__token_make((uint32_t)(s - t->slots),
	                        atomic_load_explicit(&s->gen, memory_order_relaxed));
}

/*
 * The state of the slot if it still belongs to generation `gen`, else
 * SLOT_FREE. The state is loaded first, with acquire: a reused slot's new
 * generation is stored before its new state is released, so once we see the
 * new state we also see the new generation and reject a stale token.
 */
static inline uint32_t hoop__slot_state_for(struct hoop_slot *s, uint32_t gen)
{
	uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
	if (atomic_load_explicit(&s->gen, memory_order_relaxed) != gen)
		return SLOT_FREE;
	return st;
}

/* The slot's state and generation as one 8-byte word (see
 * hoop__slot_cas_gen). */
static inline uint64_t hoop__slot_word(uint32_t gen, uint32_t st)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (uint64_t)gen << 32 | st;
#else
	return (uint64_t)st << 32 | gen;
#endif
}

/*
 * Swap the state of slot s from `st` to `nst` if it is still in generation
 * `gen`: false if either moved on. A state word alone is not enough for a
 * caller that does not own the slot (a wait racing a release of the same
 * token): between its look and its swap the slot can be freed and its next
 * op (another owner's) reach the same state word; only the generation
 * tells them apart. state and gen are neighbours in one aligned 8-byte
 * word, and an 8-byte compare-and-swap costs what a 4-byte one does.
 */
static inline bool hoop__slot_cas_gen(struct hoop_slot *s, uint32_t gen,
                                      uint32_t st, uint32_t nst, int order)
{
	_Static_assert(offsetof(struct hoop_slot, state) == 0 &&
	                       offsetof(struct hoop_slot, gen) == 4,
	               "state and gen share the slot's first 8 bytes");
	uint64_t want = hoop__slot_word(gen, st);
	return __atomic_compare_exchange_n((uint64_t *)(void *)&s->state, &want,
	                                   hoop__slot_word(gen, nst), false,
	                                   order, __ATOMIC_RELAXED);
}

/*
 * Take a finished (DONE) slot of generation `gen` for freeing: one
 * compare-and-swap from the state `st` it saw to FREE, so that of two
 * callers that both saw it DONE (a collect racing a release of the same
 * token) exactly one gets it, and neither gets the slot's next op. False
 * if the state or the generation moved on.
 */
static inline bool hoop__slot_claim_done(struct hoop_slot *s, uint32_t gen,
                                         uint32_t st)
{
	return hoop__slot_cas_gen(s, gen, st, SLOT_FREE, __ATOMIC_ACQUIRE);
}

/* Start a new generation of slot idx (taken, not yet published): its
 * token. */
static inline uint64_t hoop__slot_next_gen(struct hoop_slots *t, unsigned idx)
{
	struct hoop_slot *s = &t->slots[idx];
	uint32_t gen = atomic_load_explicit(&s->gen, memory_order_relaxed) + 1;
	/* Release, as in hoop__slot_arm (hoop__slot_target_of). */
	atomic_store_explicit(&s->gen, gen, memory_order_release);
	return hoop__token_make(idx, gen);
}

/*
 * Fill taken slot idx for a new operation, in `state` (INFLIGHT and mark
 * bits, or DONE with its result `res`) for target `to`: its token.
 */
static inline uint64_t hoop__slot_arm(struct hoop_slots *t, unsigned idx,
                                      uint64_t tag, const struct hoop_target *to,
                                      uint32_t state, int32_t res)
{
	struct hoop_slot *s = &t->slots[idx];
	uint32_t gen = atomic_load_explicit(&s->gen, memory_order_relaxed) + 1;
	/* For hoop__slot_target_of, which reads the target without owning
	 * the slot: the gen store is a release (whoever sees the new gen sees
	 * the slot's previous op finished), and the fence puts it before the
	 * new target's stores (whoever sees the new target sees the new gen).
	 * kind and arg are what it reads, with atomic loads. On x86 neither
	 * costs an instruction. */
	atomic_store_explicit(&s->gen, gen, memory_order_release);
	atomic_thread_fence(memory_order_release);
	__atomic_store_n(&s->to.kind, to->kind, __ATOMIC_RELAXED);
	__atomic_store_n(&s->to.arg, to->arg, __ATOMIC_RELAXED);
	s->to.fn = to->fn;
	s->to.push_n = to->push_n;
	s->user_data = tag;
	/* res and cflags are read only once DONE: an op in flight gets them
	 * from its delivery. */
	if (state == SLOT_DONE) {
		s->res = res;
		s->cflags = 0;
	}
	/* Release: the fields above are complete before anyone who sees
	 * INFLIGHT (the reaper, after the CQE) or DONE reads them. */
	atomic_store_explicit(&s->state, state, memory_order_release);
	return hoop__token_make(idx, gen);
}

/*
 * For a thread that does not own slot s and may race with its re-arming
 * (queue destroy looking for its ops in flight): the kind and arg of the
 * target of the op in flight in s, with its generation and state. False if
 * s is not in flight, or was completed or re-armed while being read (the
 * target read could then belong to another op than the gen). A seqlock on
 * gen, with the INFLIGHT state (stored after the target) as the end mark.
 */
static inline bool hoop__slot_target_of(struct hoop_slot *s, uint8_t *kind,
                                        void **arg, uint32_t *gen, uint32_t *state)
{
	/* Acquire: a state read next is not older than the arm of g. */
	uint32_t g = atomic_load_explicit(&s->gen, memory_order_acquire);
	uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
	if ((st & SLOT_STATE_MASK) != SLOT_INFLIGHT)
		return false;
	/* INFLIGHT from the arm of g (or a later one, whose gen differs
	 * below): its target is complete. */
	*kind = __atomic_load_n(&s->to.kind, __ATOMIC_RELAXED);
	*arg = __atomic_load_n(&s->to.arg, __ATOMIC_RELAXED);
	/* Pairs with the release fence of hoop__slot_arm: a target stored
	 * by a later arm comes with that arm's gen. */
	atomic_thread_fence(memory_order_acquire);
	uint32_t st2 = atomic_load_explicit(&s->state, memory_order_relaxed);
	if ((st2 & SLOT_STATE_MASK) != SLOT_INFLIGHT ||
	    atomic_load_explicit(&s->gen, memory_order_relaxed) != g)
		return false;
	*gen = g;
	*state = st2;
	return true;
}

#endif
