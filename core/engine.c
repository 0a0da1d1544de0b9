/*
 * core/engine.c - hoop_engine: one io_uring shared by many threads.
 *
 * Locks, never nested except as noted:
 *   submit_lock  the SQ side of the ring (get SQE, publish, enter to submit)
 *   drain_lock   the CQ side (copy CQEs out, advance the head, dispatch);
 *                callbacks and queue pushes run under it
 *   slot_lock    the room condition (the free slots are a lock-free stack)
 * A thread holding drain_lock may take slot_lock (to free a slot) or a
 * queue's lock; a thread holding submit_lock may take slot_lock only when
 * nothing else (it never does today). Nothing waits on drain_lock while
 * holding submit_lock, except hoop_engine_destroy's final drain.
 */
#include "asan_check.h"
#include "engine_internal.h"
#include "ring_internal.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "hoop/prep.h"
#include "hoop/register.h"

#define DEFAULT_SQ 256u
#define DEFAULT_SPIN_US 20u

_Static_assert(sizeof(struct hoop_op) == 64, "hoop_op is 64 bytes");
_Static_assert(sizeof(struct hoop_completion) == 24, "completion is 24 bytes");
_Static_assert(sizeof(struct hoop_engine_metrics) == 15 * 8, "metrics");
_Static_assert(sizeof(hoop_engine_params) == 16 * 4, "engine params");

/* ---- small helpers ---- */

static _Atomic unsigned fork_generation;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void)
{
	atomic_fetch_add_explicit(&fork_generation, 1, memory_order_relaxed);
}

static void install_fork_handler(void)
{
	pthread_atfork(NULL, NULL, on_fork_child);
}

uint64_t hoop__now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int hoop__futex_wait(_Atomic uint32_t *addr, uint32_t val, int64_t timeout_ns)
{
	struct timespec ts, *tsp = NULL;
	if (timeout_ns >= 0) {
		ts.tv_sec = timeout_ns / 1000000000;
		ts.tv_nsec = timeout_ns % 1000000000;
		tsp = &ts;
	}
	long r = syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAIT_PRIVATE, val,
	                 tsp, NULL, 0);
	return r < 0 ? -errno : 0;
}

void hoop__futex_wake(_Atomic uint32_t *addr, int n)
{
	syscall(SYS_futex, (uint32_t *)addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL,
	        0);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

#define LOAD(p) atomic_load_explicit((p), memory_order_relaxed)
#define ADD(p, v) atomic_fetch_add_explicit((p), (v), memory_order_relaxed)

static inline uint64_t make_token(unsigned idx, uint32_t gen)
{
	return ((uint64_t)gen << 32) | (uint64_t)(idx + 1);
}

/* The slot a token names, or NULL if it names none (gen checked later). */
static struct hoop_slot *token_slot(hoop_engine *e, uint64_t token,
                                    uint32_t *gen)
{
	uint32_t low = (uint32_t)token;
	if (low == 0 || low > e->nslots)
		return NULL;
	*gen = (uint32_t)(token >> 32);
	return &e->slots[low - 1];
}

/*
 * The state of the slot if it still belongs to generation `gen`, else
 * SLOT_FREE. The state is loaded first, with acquire: a reused slot's new
 * generation is stored before its new state is released, so once we see the
 * new state we also see the new generation and reject a stale token.
 */
static uint32_t slot_state_for(struct hoop_slot *s, uint32_t gen)
{
	uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
	if (LOAD(&s->gen) != gen)
		return SLOT_FREE;
	return st;
}

_Static_assert(sizeof(struct hoop_stripe) == 64, "a stripe is a cache line");

/*
 * The calling thread's counters: any stripe is correct, only speed depends
 * on the choice. Threads run on different stacks, so the address of this
 * frame, above its low 64 KiB, names the thread well enough, in three
 * instructions (sched_getcpu or a thread-local variable costs more in a
 * shared library, and far more under valgrind, which has no rseq).
 */
static inline struct hoop_stripe *stripe_of(hoop_engine *e)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	uint32_t h = (uint32_t)(sp >> 16) * 0x9e3779b1u;
	return &e->stripes[h >> 28];
}
_Static_assert(HOOP_STRIPES == 16, "stripe_of takes the top 4 bits");

void hoop__caller_enter(hoop_engine *e)
{
	atomic_fetch_add_explicit(&stripe_of(e)->callers, 1,
	                          memory_order_acq_rel);
}

void hoop__caller_leave(hoop_engine *e)
{
	/* Release: everything this caller did to the engine happens before
	 * destroy (which loads the count with acquire) frees it. */
	atomic_fetch_sub_explicit(&stripe_of(e)->callers, 1,
	                          memory_order_release);
}

/* Threads inside an engine call, summed over the stripes. */
static int callers_active(hoop_engine *e)
{
	uint32_t n = 0;
	for (unsigned i = 0; i < HOOP_STRIPES; i++)
		n += atomic_load_explicit(&e->stripes[i].callers,
		                          memory_order_acquire);
	return (int32_t)n;
}

/* The sum of one stripe counter (at offset off) over the stripes. */
static uint64_t stripe_sum(hoop_engine *e, size_t off)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < HOOP_STRIPES; i++)
		sum += LOAD((_Atomic uint64_t *)((char *)&e->stripes[i] + off));
	return sum;
}
#define STRIPE_SUM(e, field) stripe_sum(e, offsetof(struct hoop_stripe, field))

int hoop__engine_check(hoop_engine *e)
{
	if (LOAD(&fork_generation) != e->fork_gen)
		return -ECHILD;
	if (LOAD(&e->closing))
		return -ESHUTDOWN;
	int d = LOAD(&e->dead);
	return d ? d : 0;
}

/* ---- slots ---- */

/* Pop one free slot's index into *idx; false if none is free. */
static bool slot_pop(hoop_engine *e, unsigned *idx)
{
	uint64_t top = atomic_load_explicit(&e->free_top, memory_order_acquire);
	for (;;) {
		uint32_t k1 = (uint32_t)top;
		if (!k1)
			return false;
		uint32_t next = LOAD(&e->slots[k1 - 1].next_free);
		uint64_t nt = ((top >> 32) + 1) << 32 | next;
		/* Acquire: the freeing thread's last writes to the slot
		 * happen before ours. A stale `next` fails on the count. */
		if (atomic_compare_exchange_weak_explicit(
		        &e->free_top, &top, nt, memory_order_acquire,
		        memory_order_acquire)) {
			*idx = k1 - 1;
			return true;
		}
	}
}

/* Push slot k on the free stack (slot_push also wakes room waiters). */
static void slot_push_raw(hoop_engine *e, unsigned k)
{
	uint64_t top = LOAD(&e->free_top);
	for (;;) {
		atomic_store_explicit(&e->slots[k].next_free, (uint32_t)top,
		                      memory_order_relaxed);
		uint64_t nt = ((top >> 32) + 1) << 32 | (k + 1);
		if (atomic_compare_exchange_weak_explicit(
		        &e->free_top, &top, nt, memory_order_seq_cst,
		        memory_order_relaxed))
			break;
	}
}

static void slot_push(hoop_engine *e, unsigned k)
{
	slot_push_raw(e, k);
	/* seq_cst on both sides (here and in slots_take): a waiter that
	 * registered before our push is seen; one registering after it
	 * finds the slot on its own. It re-checks every ms anyway. */
	if (atomic_load_explicit(&e->room_waiters, memory_order_seq_cst)) {
		pthread_mutex_lock(&e->slot_lock);
		pthread_cond_broadcast(&e->room_cv);
		pthread_mutex_unlock(&e->slot_lock);
	}
}

/* Pop n slots, all or none (the room waiters' wake-up is the caller's
 * when some were popped and given back: it may hold slot_lock). */
static bool slots_pop_n(hoop_engine *e, unsigned n, unsigned *idx,
                        bool *gave_back)
{
	for (unsigned i = 0; i < n; i++) {
		if (!slot_pop(e, &idx[i])) {
			*gave_back = i > 0;
			while (i--)
				slot_push_raw(e, idx[i]);
			return false;
		}
	}
	return true;
}

/*
 * Take n free slots into idx[]; blocks for room unless nowait. Returns 0 or
 * -EBUSY / -ESHUTDOWN.
 */
static int slots_take(hoop_engine *e, unsigned n, bool nowait, unsigned *idx)
{
	bool gave_back = false;
	while (!slots_pop_n(e, n, idx, &gave_back)) {
		if (gave_back &&
		    atomic_load_explicit(&e->room_waiters, memory_order_seq_cst)) {
			pthread_mutex_lock(&e->slot_lock);
			pthread_cond_broadcast(&e->room_cv);
			pthread_mutex_unlock(&e->slot_lock);
		}
		if (nowait || LOAD(&e->closing))
			return LOAD(&e->closing) ? -ESHUTDOWN : -EBUSY;
		ADD(&e->m_blocked, 1);
		atomic_fetch_add_explicit(&e->room_waiters, 1,
		                          memory_order_seq_cst);
		/* Room appears as completions are reaped: reap ourselves,
		 * flush what batching holds back, and make sure the engine
		 * thread is watching the ring before we sleep. */
		hoop__engine_flush_pending(e);
		hoop__engine_reap_some(e);
		pthread_mutex_lock(&e->slot_lock);
		gave_back = false;
		if (!slots_pop_n(e, n, idx, &gave_back)) {
			/* Another waiter may have missed slots we held for
			 * a moment. */
			if (gave_back && atomic_load_explicit(
			                     &e->room_waiters,
			                     memory_order_seq_cst) > 1)
				pthread_cond_broadcast(&e->room_cv);
			if (!LOAD(&e->closing)) {
				struct timespec ts;
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_nsec += 1000000; /* re-check every ms */
				if (ts.tv_nsec >= 1000000000) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000;
				}
				pthread_cond_timedwait(&e->room_cv, &e->slot_lock,
				                       &ts);
			}
		} else {
			pthread_mutex_unlock(&e->slot_lock);
			atomic_fetch_sub_explicit(&e->room_waiters, 1,
			                          memory_order_relaxed);
			return 0;
		}
		pthread_mutex_unlock(&e->slot_lock);
		atomic_fetch_sub_explicit(&e->room_waiters, 1,
		                          memory_order_relaxed);
	}
	return 0;
}

/* Put a slot whose state is FREE already (claimed by the caller) on the
 * free list. */
static void slot_push_free(hoop_engine *e, struct hoop_slot *s)
{
	slot_push(e, (unsigned)(s - e->slots));
}

static void slot_free(hoop_engine *e, struct hoop_slot *s)
{
	atomic_store_explicit(&s->state, SLOT_FREE, memory_order_relaxed);
	slot_push_free(e, s);
}

/*
 * Take a finished (DONE) slot of the caller's generation for freeing: one
 * compare-and-swap from the state `st` it saw to FREE, so that of two
 * callers that both saw it DONE (a collect racing a release of the same
 * token) exactly one gets it. False if the state moved on.
 */
static bool slot_claim_done(struct hoop_slot *s, uint32_t st)
{
	return atomic_compare_exchange_strong_explicit(
	    &s->state, &st, SLOT_FREE, memory_order_acquire,
	    memory_order_relaxed);
}

/* Return slots taken by slots_take that were never used. */
static void slots_untake(hoop_engine *e, const unsigned *idx, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		slot_free(e, &e->slots[idx[i]]);
}

/* ---- the engine thread's wake-up ---- */

/*
 * Make sure the engine thread notices new state (work in flight, a batch
 * deadline, closing). It sleeps either on bg_seq (idle) or in the kernel
 * (watching the CQ); for the second case a write to the kick eventfd posts a
 * completion for it.
 */
static void bg_notify(hoop_engine *e, bool need_kernel_kick)
{
	if (!e->ring)
		return; /* the thread pool has no engine thread */
	atomic_fetch_add_explicit(&e->bg_seq, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&e->bg_idle, memory_order_seq_cst)) {
		hoop__futex_wake(&e->bg_seq, 1);
		ADD(&e->m_wakeups, 1);
	} else if (need_kernel_kick &&
	           atomic_load_explicit(&e->bg_in_kernel, memory_order_seq_cst)) {
		uint64_t one = 1;
		ssize_t w = write(e->kick_fd, &one, sizeof(one));
		(void)w;
	}
}

/* ---- completion side ---- */

/*
 * The kernel reported a lost completion (-EBADR, despite NODROP): the ring
 * can no longer promise every owner a result. Refuse new work and let the
 * engine thread fail everything in flight with the error, so nobody waits
 * forever.
 */
static void engine_mark_dead(hoop_engine *e, int err)
{
	int expected = 0;
	if (atomic_compare_exchange_strong(&e->dead, &expected, err))
		bg_notify(e, true);
}

static void deliver(hoop_engine *e, struct hoop_slot *s, uint64_t token,
                    int32_t res, uint32_t cflags)
{
	bool more = (cflags & HOOP_CQE_F_MORE) != 0;
	switch (s->delivery) {
	case DELIVER_WAIT: {
		if (more)
			return; /* only the final result is delivered by waiting */
		s->res = res;
		s->cflags = cflags;
		atomic_fetch_sub_explicit(&e->inflight, 1, memory_order_relaxed);
		/* Counted before the result is visible to its owner (the
		 * state change below releases it): an owner that has its
		 * result also finds it counted (engine_wait_timeout_threads
		 * read completed one short in a CI run the other way round). */
		ADD(&stripe_of(e)->completed, 1);
		/*
		 * INFLIGHT becomes DONE in the low byte and the mark bits stay:
		 * a released slot reads DONE|RELEASED until it is free, so a
		 * stale release or wait of its token never takes it for an
		 * uncollected result (it would be freed twice).
		 */
		uint32_t old = atomic_fetch_xor_explicit(
		    &s->state, SLOT_INFLIGHT ^ SLOT_DONE, memory_order_acq_rel);
		if (old & SLOT_RELEASED) {
			slot_free(e, s);
		} else if (old & SLOT_WAITER) {
			hoop__futex_wake(&s->state, 1);
			ADD(&e->m_wakeups, 1);
		}
		return;
	}
	case DELIVER_CALLBACK:
	case DELIVER_QUEUE: {
		struct hoop_completion c = {s->user_data, token, res, cflags};
		if (!more) {
			/* Ended: from now on its token is stale (wait, release
			 * and cancel answer -ENOENT), also while the owner
			 * already holds the result and the slot is not yet
			 * free. */
			atomic_store_explicit(&s->state, SLOT_DONE | SLOT_RELEASED,
			                      memory_order_relaxed);
			ADD(&stripe_of(e)->completed, 1);
			atomic_fetch_sub_explicit(&e->inflight, 1,
			                          memory_order_relaxed);
		}
		if (s->delivery == DELIVER_CALLBACK)
			s->fn(s->arg, &c);
		else
			hoop__queue_push(s->queue, &c);
		if (!more)
			slot_free(e, s);
		return;
	}
	}
}

static void dispatch(hoop_engine *e, uint64_t ud, int32_t res, uint32_t cflags)
{
	if (ud == HOOP_UD_KICK) {
		if (!(cflags & HOOP_CQE_F_MORE))
			atomic_store(&e->kick_armed, 0); /* the thread re-arms */
		e->kicked = true;
		return;
	}
	uint32_t gen;
	struct hoop_slot *s = token_slot(e, ud, &gen);
	if (!s) {
		ADD(&e->m_unknown, 1);
		return;
	}
	/* Acquire pairs with the submitter's release of INFLIGHT: the slot's
	 * fields written before the SQE was published are visible. */
	uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
	if ((st & SLOT_STATE_MASK) != SLOT_INFLIGHT ||
	    LOAD(&s->gen) != gen) {
		ADD(&e->m_unknown, 1);
		return;
	}
	/* After a lost completion every ring op ends with the ring's error
	 * (dead_quiesce), delivered as its CQE shows the kernel is done. */
	int dead = LOAD(&e->dead);
	if (dead && !(cflags & HOOP_CQE_F_MORE))
		res = dead;
	deliver(e, s, ud, res, cflags);
}

void hoop__engine_deliver(hoop_engine *e, uint64_t token, int32_t res,
                          uint32_t flags)
{
	/*
	 * A pool worker delivers each of its tokens exactly once, and a wait
	 * or queue delivery touches only the slot (atomically) and the queue
	 * (under its own lock): no need to queue up behind the reapers on
	 * drain_lock. Callbacks are promised drain_lock, so they take it.
	 */
	uint32_t gen;
	struct hoop_slot *s = token_slot(e, token, &gen);
	if (s) {
		uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
		if ((st & SLOT_STATE_MASK) == SLOT_INFLIGHT &&
		    LOAD(&s->gen) == gen && s->delivery != DELIVER_CALLBACK) {
			deliver(e, s, token, res, flags);
			ADD(&stripe_of(e)->cqes, 1);
			return;
		}
	}
	pthread_mutex_lock(&e->drain_lock);
	dispatch(e, token, res, flags);
	pthread_mutex_unlock(&e->drain_lock);
	ADD(&stripe_of(e)->cqes, 1);
}

/* Copy out and dispatch every ready CQE. Caller holds drain_lock. */
static unsigned drain_locked(hoop_engine *e)
{
	hoop_ring *r = e->ring;
	unsigned n = 0;
	bool flushed = false;
	for (;;) {
		unsigned head = hoop_load_relaxed(r->cq_khead);
		unsigned tail = hoop_load_acquire(r->cq_ktail);
		if (head == tail) {
			/* The kernel keeps what did not fit in the CQ (NODROP);
			 * an enter with GETEVENTS moves it in. */
			if (flushed || !hoop_ring_cq_has_overflow(r))
				break;
			if (hoop_ring_get_events(r) == -EBADR)
				engine_mark_dead(e, -EBADR);
			ADD(&e->m_overflow, 1);
			flushed = true;
			continue;
		}
		while (head != tail) {
			struct hoop_cqe *c =
			    &r->cqes[(head & r->cq_mask) << r->cqe_shift];
			uint64_t ud = c->user_data;
			int32_t res = c->res;
			uint32_t fl = c->flags;
			head++;
			/* Give the slot back to the kernel before running any
			 * delivery, so a slow callback never stalls the CQ. */
			hoop_store_release(r->cq_khead, head);
			dispatch(e, ud, res, fl);
			n++;
		}
	}
	if (n)
		ADD(&stripe_of(e)->cqes, n);
	return n;
}

void hoop__engine_reap_some(hoop_engine *e)
{
	if (!e->ring)
		return;
	if (pthread_mutex_trylock(&e->drain_lock) != 0)
		return; /* someone is reaping already */
	unsigned n = drain_locked(e);
	pthread_mutex_unlock(&e->drain_lock);
	if (n)
		ADD(&e->m_reaps_waiters, n);
}

/* ---- submission side ---- */

/* Enter the kernel for everything published. Caller holds submit_lock. */
static int enter_locked(hoop_engine *e)
{
	hoop_ring *r = e->ring;
	unsigned pending = hoop__ring_flush_sq(r);
	/* A ring that lost a completion is entered no more: what it has not
	 * consumed is failed by dead_quiesce, which relies on this. */
	int dead = LOAD(&e->dead);
	if (dead && !(r->setup_flags & HOOP_SETUP_SQPOLL))
		return dead;
	if (!pending && !(r->setup_flags & HOOP_SETUP_SQPOLL)) {
		e->pending = 0;
		atomic_store_explicit(&e->has_pending, 0, memory_order_relaxed);
		return 0;
	}
	for (;;) {
		int ret = hoop_ring_submit(r);
		if (ret >= 0) {
			ADD(&e->m_enters, 1);
			ADD(&e->m_sqes_entered, (uint64_t)ret);
			e->pending = 0;
			atomic_store_explicit(&e->has_pending, 0,
			                      memory_order_relaxed);
			atomic_store_explicit(&e->batch_deadline, 0,
			                      memory_order_relaxed);
			return ret;
		}
		if (ret == -EBADR) {
			engine_mark_dead(e, ret);
			return ret;
		}
		if (ret == -EBUSY || ret == -EAGAIN || ret == -EINTR) {
			/* The kernel wants completions reaped first. */
			hoop__engine_reap_some(e);
			sched_yield();
			continue;
		}
		return ret;
	}
}

void hoop__engine_flush_pending(hoop_engine *e)
{
	if (!e->ring)
		return;
	if (!atomic_load_explicit(&e->has_pending, memory_order_relaxed))
		return;
	pthread_mutex_lock(&e->submit_lock);
	if (e->pending)
		enter_locked(e);
	pthread_mutex_unlock(&e->submit_lock);
}

int hoop_engine_flush(hoop_engine *e)
{
	if (!e)
		return -EINVAL;
	if (LOAD(&fork_generation) != e->fork_gen)
		return -ECHILD;
	if (!e->ring)
		return 0;
	pthread_mutex_lock(&e->submit_lock);
	int r = e->pending ? enter_locked(e) : 0;
	pthread_mutex_unlock(&e->submit_lock);
	if (r > 0)
		hoop__engine_reap_some(e);
	return r;
}

/* Make room for n SQEs in the SQ. Caller holds submit_lock. */
static int sq_room_locked(hoop_engine *e, unsigned n)
{
	hoop_ring *r = e->ring;
	while (hoop_ring_sq_space_left(r) < n) {
		int ret = enter_locked(e);
		if (ret < 0)
			return ret;
		if (r->setup_flags & HOOP_SETUP_SQPOLL) {
			ret = hoop_ring_sqring_wait(r);
			if (ret < 0 && ret != -EINTR)
				return ret;
		}
	}
	return 0;
}

struct submit_src {
	const struct hoop_op *ops;
	hoop_sqe_fill_fn fill;
	void *fill_arg;
};

/* Fill slot idx for a new operation, in `state` (INFLIGHT and flags, or
 * DONE with its result `res`); returns its token. */
static uint64_t slot_arm_state(hoop_engine *e, unsigned idx, uint64_t tag,
                               int delivery, hoop_completion_fn fn, void *arg,
                               hoop_queue *q, uint32_t state, int32_t res)
{
	struct hoop_slot *s = &e->slots[idx];
	uint32_t gen = LOAD(&s->gen) + 1;
	atomic_store_explicit(&s->gen, gen, memory_order_relaxed);
	s->delivery = (uint8_t)delivery;
	s->user_data = tag;
	s->fn = fn;
	s->arg = arg;
	s->queue = q;
	s->res = res;
	s->cflags = 0;
	/* Release: the fields above are complete before anyone who sees
	 * INFLIGHT (the reaper, after the CQE) or DONE reads them. */
	atomic_store_explicit(&s->state, state, memory_order_release);
	return make_token(idx, gen);
}

static uint64_t slot_arm(hoop_engine *e, unsigned idx, uint64_t tag,
                         int delivery, hoop_completion_fn fn, void *arg,
                         hoop_queue *q, uint32_t bits)
{
	return slot_arm_state(e, idx, tag, delivery, fn, arg, q,
	                      SLOT_INFLIGHT | bits, 0);
}

/* ---- the inline fast path ---- */

/*
 * A read or write that the page cache can serve at once completes in the
 * submitting thread: preadv2/pwritev2 with RWF_NOWAIT either moves every
 * byte without blocking or fails (EAGAIN: it would have to wait for the
 * disk, a lock or writeback). Only then is the op's result its byte count,
 * the same number the ring would report. Anything else (EAGAIN, an error,
 * a short count at EOF, ESPIPE from a pipe or socket, whose offset io_uring
 * ignores) leaves the op to the ring or the pool as if never tried; a
 * partial transfer is harmless to redo, since the offset is explicit and
 * O_APPEND files are excluded.
 *
 * Candidates: READ, WRITE, READV, WRITEV alone (not in a link chain), with
 * no SQE flags (no registered file, no buffer select, no drain), no
 * personality or ioprio, and an explicit offset (-1, the file position, is
 * left to the ring). F_GETFL excludes O_DIRECT (the call would wait for the
 * device in this thread) and O_APPEND.
 *
 * F_GETFL is a system call of its own, a third of a cached 4 KiB pread's
 * cost. For READ and READV, each thread remembers the flags of the last
 * few descriptors it read and asks again every FL_CACHE_READS reads of
 * one (fl_for_read). The verdict can go stale only through the
 * application: a descriptor switched to O_DIRECT with F_SETFL, or closed
 * and its number reused for an O_DIRECT file, may still be read inline a
 * few times (up to FL_CACHE_READS, per thread): the same result, but the
 * submitting thread waits for the device. Writes ask every time: a stale
 * O_APPEND would make a retried short write append twice.
 */
static bool inline_candidate(const struct hoop_op *op)
{
	if (op->sqe_flags || op->personality || op->ioprio ||
	    op->off == UINT64_MAX)
		return false;
	return op->opcode == HOOP_OP_READ || op->opcode == HOOP_OP_WRITE ||
	       op->opcode == HOOP_OP_READV || op->opcode == HOOP_OP_WRITEV;
}

#ifdef HOOP_ASAN_CHECK
/*
 * Sanitizer builds: the same buffer check hoop__ring_flush_sq runs on every
 * SQE it publishes, for an op done inline (which never becomes an SQE):
 * the op, laid out like an SQE, seen through a one-entry ring view.
 */
static void asan_check_op(const struct hoop_op *op)
{
	struct hoop_sqe sqe;
	struct hoop_ring view;
	memcpy(&sqe, op, sizeof(sqe));
	memset(&view, 0, sizeof(view));
	view.sqes = &sqe;
	HOOP_ASAN_CHECK_SQES(&view, 0, 1);
}
#else
#define asan_check_op(op) ((void)0)
#endif

/* The op's result if it completed inline, else -1 (nothing happened that
 * the ring's attempt would not repeat identically). */
static int32_t try_inline(const struct hoop_op *op, int fl)
{
	if (fl < 0 || (fl & (O_DIRECT | O_APPEND)))
		return -1;
	asan_check_op(op);
	struct iovec one;
	const struct iovec *iov = &one;
	int nr = 1;
	size_t want = op->len;
	if (op->opcode == HOOP_OP_READ || op->opcode == HOOP_OP_WRITE) {
		one.iov_base = (void *)(uintptr_t)op->addr;
		one.iov_len = op->len;
		if (want > INT32_MAX)
			return -1;
	} else {
		/* The caller's iovec array: not read here before the kernel
		 * has read it (an unmapped one must give -EFAULT, from the
		 * ring, not SIGSEGV). */
		iov = (const struct iovec *)(uintptr_t)op->addr;
		nr = (int)op->len;
		if (!iov || nr < 1 || nr > 1024)
			return -1;
	}
	int rwf = (int)op->op_flags | RWF_NOWAIT;
	ssize_t r = (op->opcode == HOOP_OP_READ || op->opcode == HOOP_OP_READV)
	                ? preadv2(op->fd, iov, nr, (off_t)op->off, rwf)
	                : pwritev2(op->fd, iov, nr, (off_t)op->off, rwf);
	if (r < 0)
		return -1; /* EFAULT included: the ring reports it */
	if (iov != &one) {
		/* The kernel has just copied the whole array: it is mapped
		 * (only the caller could unmap it, during its own submit). */
		want = 0;
		for (int i = 0; i < nr; i++)
			want += iov[i].iov_len;
	}
	return ((size_t)r == want && want <= INT32_MAX) ? (int32_t)r : -1;
}

#define FL_CACHE_SIZE 8u   /* descriptors remembered per thread */
#define FL_CACHE_READS 32u /* reads between two F_GETFL of one */

struct fl_entry {
	int fd;        /* the descriptor (valid while left > 0) */
	int fl;        /* its F_GETFL */
	unsigned left; /* reads that may still use fl; 0: empty */
};

static _Thread_local struct fl_entry fl_cache[FL_CACHE_SIZE];

/* F_GETFL of fd for a read, from this thread's cache when fresh. */
static int fl_for_read(int fd)
{
	struct fl_entry *c = &fl_cache[(unsigned)fd % FL_CACHE_SIZE];
	if (c->left && c->fd == fd) {
		c->left--;
		return c->fl;
	}
	int fl = fcntl(fd, F_GETFL);
	c->fd = fd;
	c->fl = fl;
	c->left = fl < 0 ? 0 : FL_CACHE_READS - 1;
	return fl;
}

static bool op_is_read(const struct hoop_op *op)
{
	return op->opcode == HOOP_OP_READ || op->opcode == HOOP_OP_READV;
}

/*
 * Try the inline path on each candidate of a call: res[i] gets the result
 * of op i if it completed, else -1. Writes only in a call of one op: in a
 * longer call, the rest could still fail as a whole (the call then reports
 * an error and must have had no effect; a read done for nothing is
 * harmless, a write is not). Returns how many completed.
 */
static unsigned inline_try(const struct hoop_op *ops, unsigned n,
                           int32_t *res)
{
	unsigned k = 0;
	bool prev_linked = false;
	int fd = -1, fl = -1; /* F_GETFL once per run of ops on one fd */
	for (unsigned i = 0; i < n; i++) {
		const struct hoop_op *op = &ops[i];
		bool cand = !prev_linked && inline_candidate(op) &&
		            (n == 1 || op_is_read(op));
		prev_linked = (op->sqe_flags &
		               (HOOP_SQE_IO_LINK | HOOP_SQE_IO_HARDLINK)) != 0;
		if (cand && (fd != op->fd || fl < 0)) {
			fd = op->fd;
			/* A write is a candidate only alone in its call: it
			 * always gets a fresh F_GETFL. */
			fl = op_is_read(op) ? fl_for_read(fd) : fcntl(fd, F_GETFL);
		}
		res[i] = cand ? try_inline(op, fl) : -1;
		k += res[i] >= 0;
	}
	return k;
}

/*
 * Whether a call of n ops tries the inline path. On io_uring, a batch is
 * cheaper through the ring (one enter does every cached read in the kernel,
 * one system call for all of them; measured: 0.85 us per 4 KiB read in a
 * batch of 256 against 2.1 us inline), so only small calls go inline. On
 * the thread pool every op saved is two thread hand-offs saved.
 */
#define HOOP_INLINE_MAX_URING 2u
static bool inline_wanted(const hoop_engine *e, unsigned n)
{
	return e->inline_rw &&
	       (e->backend != HOOP_BACKEND_URING || n <= HOOP_INLINE_MAX_URING);
}

/*
 * Deliver op i's inline result: in its slot idx[i] for a waiter, or pushed
 * to the queue (the slot only lends its index and a fresh generation to
 * the token). Sets tokens[i] (if tokens is not NULL).
 */
static void inline_commit(hoop_engine *e, const struct hoop_op *op,
                          int32_t res, unsigned idx, uint64_t *token,
                          int delivery, hoop_queue *q)
{
	ADD(&stripe_of(e)->submitted, 1);
	ADD(&stripe_of(e)->inline_ops, 1);
	if (delivery == DELIVER_WAIT) {
		/* The owner has no token yet, so nobody waits on the slot. */
		*token = slot_arm_state(e, idx, op->user_data, delivery, NULL,
		                        NULL, NULL, SLOT_DONE, res);
		ADD(&stripe_of(e)->completed, 1);
		return;
	}
	struct hoop_slot *s = &e->slots[idx];
	uint32_t gen = LOAD(&s->gen) + 1;
	atomic_store_explicit(&s->gen, gen, memory_order_relaxed);
	uint64_t t = make_token(idx, gen);
	if (token)
		*token = t;
	struct hoop_completion c = {op->user_data, t, res, 0};
	ADD(&stripe_of(e)->completed, 1);
	hoop__queue_push(q, &c);
	slot_free(e, s);
}

/*
 * The ops of a submit call as hoop_op records: src->ops itself, or what the
 * fill callback writes, copied into buf (n records).
 */
static const struct hoop_op *src_ops(const struct submit_src *src, unsigned n,
                                     struct hoop_op *buf)
{
	if (src->ops)
		return src->ops;
	for (unsigned i = 0; i < n; i++) {
		struct hoop_sqe sqe;
		hoop_prep_nop(&sqe);
		src->fill(src->fill_arg, &sqe, i);
		memcpy(&buf[i], &sqe, sizeof(sqe));
	}
	return buf;
}

/*
 * Hand n ops to the thread pool; their slots idx[] are taken, tok[] (n
 * entries) receives the tokens. If the pool refuses them (out of memory):
 * with `accepted` (the rest of the call is in the ring already) each op
 * gets the error as its result; otherwise everything is undone and the
 * error returned. Returns n or -errno.
 */
static int submit_to_pool(hoop_engine *e, const struct hoop_op *ops,
                          unsigned n, uint64_t *tok, int delivery,
                          hoop_completion_fn fn, void *arg, hoop_queue *q,
                          const unsigned *idx, bool accepted)
{
	for (unsigned i = 0; i < n; i++)
		tok[i] = slot_arm(e, idx[i], ops[i].user_data, delivery, fn, arg,
		                  q, SLOT_POOL);
	ADD(&e->inflight, n);
	ADD(&stripe_of(e)->submitted, n);
	ADD(&e->m_pool_ops, n);
	int err = hoop__pool_submit(e->pool, ops, tok, n);
	if (err == 0)
		return (int)n;
	if (accepted) {
		for (unsigned i = 0; i < n; i++)
			hoop__engine_deliver(e, tok[i], err, 0);
		return (int)n;
	}
	/* Nothing was queued: undo, as if never submitted. */
	for (unsigned i = 0; i < n; i++)
		atomic_store_explicit(&e->slots[idx[i]].state, SLOT_FREE,
		                      memory_order_relaxed);
	atomic_fetch_sub(&e->inflight, n);
	atomic_fetch_sub(&stripe_of(e)->submitted, n);
	atomic_fetch_sub(&e->m_pool_ops, n);
	slots_untake(e, idx, n);
	return err;
}

static bool op_for_pool(const hoop_engine *e, const struct hoop_op *op)
{
	return op->opcode < 64 && ((e->pool_opmask >> op->opcode) & 1);
}

static bool op_linked(const struct hoop_op *op)
{
	return (op->sqe_flags & (HOOP_SQE_IO_LINK | HOOP_SQE_IO_HARDLINK)) != 0;
}

static int submit_ring(hoop_engine *e, const struct submit_src *src,
                       unsigned n, uint64_t *tokens, unsigned flags,
                       int delivery, hoop_completion_fn fn, void *arg,
                       hoop_queue *q, const unsigned *idx);
static int submit_routed(hoop_engine *e, const struct submit_src *src,
                         unsigned n, uint64_t *tokens, unsigned flags,
                         int delivery, hoop_completion_fn fn, void *arg,
                         hoop_queue *q, const unsigned *idx);
static int submit_inline(hoop_engine *e, const struct hoop_op *ops,
                         unsigned n, uint64_t *tokens, unsigned flags,
                         int delivery, hoop_queue *q, const unsigned *idx);

/*
 * An io_uring engine whose kernel lacks some opcodes: chains (ops joined by
 * IO_LINK/IO_HARDLINK) holding such an op go whole to the pool, the rest to
 * the ring. The ring part goes first: it is the part that can fail as a
 * whole (nothing submitted); after it, the pool's part is accepted whatever
 * happens. Slots idx[] are taken; tok[] receives all n tokens.
 */
static int submit_split(hoop_engine *e, const struct hoop_op *ops, unsigned n,
                        uint64_t *tok, unsigned flags, int delivery,
                        hoop_completion_fn fn, void *arg, hoop_queue *q,
                        const unsigned *idx)
{
	uint8_t stack_route[64], *route = stack_route;
	if (n > 64 && !(route = malloc(n)))
		goto nomem;
	unsigned np = 0;
	for (unsigned i = 0; i < n;) {
		unsigned k = i;
		bool pool = op_for_pool(e, &ops[i]);
		while (k + 1 < n && op_linked(&ops[k]))
			pool |= op_for_pool(e, &ops[++k]);
		memset(route + i, pool, k + 1 - i);
		if (pool)
			np += k + 1 - i;
		i = k + 1;
	}
	int r;
	struct submit_src src = {ops, NULL, NULL};
	if (np == 0) {
		r = submit_ring(e, &src, n, tok, flags, delivery, fn, arg, q, idx);
	} else if (np == n) {
		r = submit_to_pool(e, ops, n, tok, delivery, fn, arg, q, idx,
		                   false);
	} else {
		/* Both: compact each side's ops, slots and tokens, then
		 * scatter the tokens back into call order. */
		struct hoop_op *sops = calloc(n, sizeof(*sops));
		unsigned *sidx = calloc(n, sizeof(*sidx));
		uint64_t *stok = calloc(n, sizeof(*stok));
		if (!sops || !sidx || !stok) {
			free(sops);
			free(sidx);
			free(stok);
			if (route != stack_route)
				free(route);
			goto nomem;
		}
		unsigned nr = n - np, a = 0, b = nr;
		for (unsigned i = 0; i < n; i++) {
			unsigned at = route[i] ? b++ : a++;
			sops[at] = ops[i];
			sidx[at] = idx[i];
		}
		src.ops = sops;
		r = submit_ring(e, &src, nr, stok, flags, delivery, fn, arg, q,
		                sidx);
		if (r < 0) {
			slots_untake(e, sidx + nr, np);
		} else {
			submit_to_pool(e, sops + nr, np, stok + nr, delivery, fn,
			               arg, q, sidx + nr, true);
			a = 0;
			b = nr;
			for (unsigned i = 0; i < n; i++)
				tok[i] = stok[route[i] ? b++ : a++];
			r = (int)n;
		}
		free(sops);
		free(sidx);
		free(stok);
	}
	if (route != stack_route)
		free(route);
	return r;
nomem:
	slots_untake(e, idx, n);
	return -ENOMEM;
}

static int submit_counted(hoop_engine *e, const struct submit_src *src,
                             unsigned n, uint64_t *tokens, unsigned flags,
                             int delivery, hoop_completion_fn fn, void *arg,
                             hoop_queue *q);

/*
 * SQE flags the engine refuses (-EINVAL, nothing submitted): IO_DRAIN
 * would wait behind the engine's own multishot poll on its kick eventfd,
 * which never ends, so the op would never complete and cancel could not
 * reach it; CQE_SKIP_SUCCESS posts no completion on success, so the owner
 * would never get its result.
 */
#define ENGINE_BAD_SQE_FLAGS (HOOP_SQE_IO_DRAIN | HOOP_SQE_CQE_SKIP_SUCCESS)
#define LINK_FLAGS (HOOP_SQE_IO_LINK | HOOP_SQE_IO_HARDLINK)

static bool flags_refused(unsigned sqe_flags)
{
	return (sqe_flags & ENGINE_BAD_SQE_FLAGS) != 0;
}

/*
 * A multishot timeout with a period under HOOP_ENGINE_MIN_MULTISHOT_NS, or an
 * update that would give one of ours such a period (engine.h says why).
 * The timespec is the caller's memory, which the kernel validates: it is
 * copied with process_vm_readv (only for these two rare cases), and one
 * that cannot be read or is invalid is left to the kernel's -EFAULT or
 * -EINVAL.
 */
static bool timer_refused(hoop_engine *e, const struct hoop_sqe *sqe)
{
	uint64_t at;
	if (sqe->opcode == HOOP_OP_TIMEOUT &&
	    (sqe->op_flags & HOOP_TIMEOUT_MULTISHOT)) {
		at = sqe->addr;
	} else if (sqe->opcode == HOOP_OP_TIMEOUT_REMOVE &&
	           (sqe->op_flags & HOOP_TIMEOUT_UPDATE)) {
		uint32_t gen;
		struct hoop_slot *s = token_slot(e, sqe->addr, &gen);
		if (!s || !(slot_state_for(s, gen) & SLOT_TIMER))
			return false;
		at = sqe->off; /* addr2: the new period */
	} else {
		return false;
	}
	if (sqe->op_flags & HOOP_TIMEOUT_ABS)
		return false; /* the kernel refuses multishot ABS itself */
	struct hoop_timespec ts;
	struct iovec l = {&ts, sizeof(ts)}, r = {(void *)(uintptr_t)at, sizeof(ts)};
	if (!at || process_vm_readv(getpid(), &l, 1, &r, 1, 0) != (ssize_t)sizeof(ts))
		return false;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return false;
	return ts.tv_sec == 0 && ts.tv_nsec < HOOP_ENGINE_MIN_MULTISHOT_NS;
}

static bool ops_refused(const struct hoop_op *ops, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (flags_refused(ops[i].sqe_flags))
			return true;
	return false;
}

static int submit_common(hoop_engine *e, const struct submit_src *src,
                         unsigned n, uint64_t *tokens, unsigned flags,
                         int delivery, hoop_completion_fn fn, void *arg,
                         hoop_queue *q)
{
	if (!e)
		return -EINVAL;
	/*
	 * Count ourselves among the engine's callers before looking at it:
	 * destroy waits until no caller is left before freeing anything, so
	 * a submitter asleep waiting for room cannot wake up in freed memory.
	 */
	hoop__caller_enter(e);
	int r = submit_counted(e, src, n, tokens, flags, delivery, fn, arg, q);
	hoop__caller_leave(e);
	return r;
}

static int submit_counted(hoop_engine *e, const struct submit_src *src,
                             unsigned n, uint64_t *tokens, unsigned flags,
                             int delivery, hoop_completion_fn fn, void *arg,
                             hoop_queue *q)
{
	unsigned stack_idx[64], *idx = stack_idx;
	int err;

	if ((err = hoop__engine_check(e)) < 0)
		return err;
	if (n == 0)
		return 0;
	if (!tokens && delivery == DELIVER_WAIT)
		return -EINVAL;
	if (n > e->nslots || n > e->sq_limit)
		return -EINVAL;
	if (src->ops && ops_refused(src->ops, n))
		return -EINVAL;
	if (n > 64) {
		idx = malloc(n * sizeof(*idx));
		if (!idx)
			return -ENOMEM;
	}
	err = slots_take(e, n, flags & HOOP_SUBMIT_NOWAIT, idx);
	if (err < 0)
		goto out;
	if (inline_wanted(e, n) && delivery != DELIVER_CALLBACK && src->ops)
		err = submit_inline(e, src->ops, n, tokens, flags, delivery, q,
		                    idx);
	else
		err = submit_routed(e, src, n, tokens, flags, delivery, fn, arg,
		                    q, idx);
out:
	if (idx != stack_idx)
		free(idx);
	return err;
}

/* Submit to the ring, the pool, or both (per opcode); slots are taken. */
static int submit_routed(hoop_engine *e, const struct submit_src *src,
                         unsigned n, uint64_t *tokens, unsigned flags,
                         int delivery, hoop_completion_fn fn, void *arg,
                         hoop_queue *q, const unsigned *idx)
{
	if (e->ring && !e->pool_opmask)
		return submit_ring(e, src, n, tokens, flags, delivery, fn, arg, q,
		                   idx);
	/* The pool takes hoop_op records and needs every token. */
	uint64_t stack_tok[64], *tok = tokens ? tokens : stack_tok;
	struct hoop_op *buf = NULL;
	int err;
	if ((!tokens && n > 64 && !(tok = malloc(n * sizeof(*tok)))) ||
	    (!src->ops && !(buf = malloc(n * sizeof(*buf))))) {
		slots_untake(e, idx, n);
		err = -ENOMEM;
	} else {
		const struct hoop_op *ops = src_ops(src, n, buf);
		if (!src->ops && ops_refused(ops, n)) {
			slots_untake(e, idx, n);
			err = -EINVAL;
		} else
		err = e->ring ? submit_split(e, ops, n, tok, flags, delivery, fn,
		                             arg, q, idx)
		              : submit_to_pool(e, ops, n, tok, delivery, fn, arg,
		                               q, idx, false);
	}
	free(buf);
	if (tok != tokens && tok != stack_tok)
		free(tok);
	return err;
}

/*
 * Wait or queue delivery: complete inline what can be (inline_try), submit
 * the rest as usual. The inline results are delivered only once the rest
 * is accepted, so a call that fails has delivered nothing. Slots are taken.
 */
static int submit_inline(hoop_engine *e, const struct hoop_op *ops,
                         unsigned n, uint64_t *tokens, unsigned flags,
                         int delivery, hoop_queue *q, const unsigned *idx)
{
	int32_t stack_res[64], *res = stack_res;
	struct submit_src src = {ops, NULL, NULL};
	if (n > 64 && !(res = malloc(n * sizeof(*res))))
		return submit_routed(e, &src, n, tokens, flags, delivery, NULL,
		                     NULL, q, idx);
	unsigned k = inline_try(ops, n, res);
	int err = (int)n;
	if (k == 0) {
		err = submit_routed(e, &src, n, tokens, flags, delivery, NULL,
		                    NULL, q, idx);
	} else if (k == n) {
		for (unsigned i = 0; i < n; i++)
			inline_commit(e, &ops[i], res[i], idx[i],
			              tokens ? &tokens[i] : NULL, delivery, q);
	} else {
		/* Some of each: the rest, compacted, goes first. */
		unsigned nr = n - k, j = 0;
		struct hoop_op *rops = malloc(nr * sizeof(*rops));
		unsigned *ridx = calloc(n, sizeof(*ridx)); /* zeroed: quiets gcc */
		uint64_t *rtok = malloc(nr * sizeof(*rtok));
		if (!rops || !ridx || !rtok) {
			slots_untake(e, idx, n);
			err = -ENOMEM;
		} else {
			for (unsigned i = 0, d = nr; i < n; i++) {
				if (res[i] >= 0) {
					ridx[d++] = idx[i]; /* the inline ones' */
					continue;
				}
				rops[j] = ops[i];
				ridx[j++] = idx[i];
			}
			src.ops = rops;
			err = submit_routed(e, &src, nr, rtok, flags, delivery,
			                    NULL, NULL, q, ridx);
			if (err < 0) {
				slots_untake(e, ridx + nr, k);
			} else {
				j = 0;
				for (unsigned i = 0; i < n; i++) {
					uint64_t t = 0;
					if (res[i] >= 0)
						inline_commit(e, &ops[i], res[i],
						              idx[i], &t, delivery,
						              q);
					else
						t = rtok[j++];
					if (tokens)
						tokens[i] = t;
				}
				err = (int)n;
			}
		}
		free(rops);
		free(ridx);
		free(rtok);
	}
	if (res != stack_res)
		free(res);
	return err;
}

/*
 * The io_uring path: publish n SQEs for slots idx[] with one tail store and
 * enter unless batching holds them back. Returns n, or -errno with nothing
 * submitted (the slots are given back).
 */
static int submit_ring(hoop_engine *e, const struct submit_src *src,
                       unsigned n, uint64_t *tokens, unsigned flags,
                       int delivery, hoop_completion_fn fn, void *arg,
                       hoop_queue *q, const unsigned *idx)
{
	pthread_mutex_lock(&e->submit_lock);
	int err = sq_room_locked(e, n);
	if (err < 0) {
		pthread_mutex_unlock(&e->submit_lock);
		slots_untake(e, idx, n);
		return err;
	}
	hoop_ring *r = e->ring;
	unsigned first = r->sqe_tail;
	bool refused = false;
	for (unsigned i = 0; i < n; i++) {
		struct hoop_sqe *sqe = hoop_ring_get_sqe(r);
		if (src->ops) {
			memcpy(sqe, &src->ops[i], sizeof(*sqe));
		} else {
			hoop_prep_nop(sqe);
			src->fill(src->fill_arg, sqe, i);
			refused |= flags_refused(sqe->flags);
		}
		if (sqe->opcode == HOOP_OP_TIMEOUT ||
		    sqe->opcode == HOOP_OP_TIMEOUT_REMOVE)
			refused |= timer_refused(e, sqe);
	}
	if (refused) {
		/* A filler asked for a flag the engine refuses, or a timer
		 * too fast: nothing was published (we hold submit_lock), so
		 * hand the SQEs back. */
		r->sqe_tail = first;
		pthread_mutex_unlock(&e->submit_lock);
		slots_untake(e, idx, n);
		return -EINVAL;
	}
	bool linked = false;
	for (unsigned i = 0; i < n; i++) {
		struct hoop_sqe *sqe = &r->sqes[((first + i) & r->sq_mask)
		                                << r->sqe_shift];
		/*
		 * A chain ends with its call: with batching (or SQPOLL) the
		 * next SQE in the ring may be another caller's, so a link flag
		 * on the call's last op would tie the two together.
		 */
		if (i == n - 1)
			sqe->flags &= (uint8_t)~LINK_FLAGS;
		/* A multishot timeout that starts at once (not behind a link):
		 * hoop_engine_cancel retries on it (cancel_ring_token). */
		uint32_t bits = (!linked && sqe->opcode == HOOP_OP_TIMEOUT &&
		                 (sqe->op_flags & HOOP_TIMEOUT_MULTISHOT))
		                    ? SLOT_TIMER
		                    : 0;
		linked = (sqe->flags & LINK_FLAGS) != 0;
		uint64_t token = slot_arm(e, idx[i], sqe->user_data, delivery,
		                          fn, arg, q, bits);
		sqe->user_data = token;
		if (tokens)
			tokens[i] = token;
	}
	ADD(&e->inflight, n);
	ADD(&stripe_of(e)->submitted, n);
	/* Publish the whole group with one tail store. */
	hoop__ring_flush_sq(e->ring);
	e->pending += n;
	atomic_store_explicit(&e->has_pending, 1, memory_order_relaxed);
	bool first_of_batch = false;
	bool enter_now = !(flags & HOOP_SUBMIT_NOFLUSH) &&
	                 (e->batch_count <= 1 || e->pending >= e->batch_count);
	if (enter_now) {
		/*
		 * An error here leaves the SQEs published; the kernel sees them
		 * at the next enter, so their owners still get results: the
		 * operations were accepted.
		 */
		enter_locked(e);
	} else if (e->batch_ns &&
	           !atomic_load_explicit(&e->batch_deadline, memory_order_relaxed)) {
		atomic_store_explicit(&e->batch_deadline, hoop__now_ns() + e->batch_ns,
		                      memory_order_relaxed);
		first_of_batch = true;
	}
	pthread_mutex_unlock(&e->submit_lock);
	if (enter_now)
		hoop__engine_reap_some(e); /* inline completions, for everyone */
	/*
	 * An idle engine thread must start watching the ring while our ops
	 * are in flight. Not for wait-delivered ops that are already done:
	 * most reads complete inside the enter and were reaped just above,
	 * and waking the thread for them is a futex call and a context switch
	 * for nothing (their slots stay ours until the owner waits).
	 */
	if (first_of_batch) {
		bg_notify(e, true); /* the thread must honour the deadline */
	} else if (LOAD(&e->inflight) &&
	           atomic_load_explicit(&e->bg_idle, memory_order_seq_cst)) {
		bool need = delivery != DELIVER_WAIT || !enter_now;
		for (unsigned i = 0; i < n && !need; i++)
			need = (atomic_load_explicit(&e->slots[idx[i]].state,
			                             memory_order_relaxed) &
			        SLOT_STATE_MASK) == SLOT_INFLIGHT;
		if (need)
			bg_notify(e, false);
	}
	return (int)n;
}

int hoop__engine_submit_internal(hoop_engine *e, const struct hoop_op *ops,
                                 unsigned n, uint64_t *tokens, unsigned flags,
                                 int delivery, hoop_completion_fn fn, void *arg,
                                 hoop_queue *q)
{
	struct submit_src src = {ops, NULL, NULL};
	if (n && !ops)
		return -EINVAL;
	return submit_common(e, &src, n, tokens, flags, delivery, fn, arg, q);
}

int hoop_engine_submit(hoop_engine *e, const struct hoop_op *ops, unsigned n,
                       uint64_t *tokens, unsigned flags)
{
	return hoop__engine_submit_internal(e, ops, n, tokens, flags,
	                                    DELIVER_WAIT, NULL, NULL, NULL);
}

int hoop_engine_submit_cb(hoop_engine *e, const struct hoop_op *ops,
                          unsigned n, uint64_t *tokens, unsigned flags,
                          hoop_completion_fn fn, void *arg)
{
	if (!fn)
		return -EINVAL;
	return hoop__engine_submit_internal(e, ops, n, tokens, flags,
	                                    DELIVER_CALLBACK, fn, arg, NULL);
}

int hoop_engine_submit_sqes(hoop_engine *e, unsigned n, hoop_sqe_fill_fn fill,
                            void *fill_arg, uint64_t *tokens, unsigned flags,
                            hoop_completion_fn fn, void *arg)
{
	struct submit_src src = {NULL, fill, fill_arg};
	if (n && !fill)
		return -EINVAL;
	return submit_common(e, &src, n, tokens, flags,
	                     fn ? DELIVER_CALLBACK : DELIVER_WAIT, fn, arg, NULL);
}

/* ---- waiting ---- */

static bool try_become_spinner(hoop_engine *e)
{
	if (atomic_fetch_add(&e->spinners, 1) == 0)
		return true;
	atomic_fetch_sub(&e->spinners, 1);
	return false;
}

/* Collect the result of DONE slot s (state st seen): 0, or -ENOENT if
 * another caller (a release of the same token) took it first. */
static int wait_take(hoop_engine *e, struct hoop_slot *s, uint32_t st,
                     uint64_t token, struct hoop_completion *out)
{
	/* The result is ours only if we take the slot from DONE. */
	if (!slot_claim_done(s, st))
		return -ENOENT;
	out->user_data = s->user_data;
	out->token = token;
	out->res = s->res;
	out->flags = s->cflags;
	slot_push_free(e, s);
	return 0;
}

int hoop_engine_wait(hoop_engine *e, uint64_t token,
                     struct hoop_completion *out, int64_t timeout_ns)
{
	uint32_t gen;
	struct hoop_slot *s;
	if (!e || !out)
		return -EINVAL;
	if (LOAD(&fork_generation) != e->fork_gen)
		return -ECHILD;
	s = token_slot(e, token, &gen);
	if (!s)
		return -ENOENT;
	uint32_t st = slot_state_for(s, gen);
	if ((st & SLOT_STATE_MASK) == SLOT_FREE || (st & SLOT_RELEASED))
		return -ENOENT;
	if (s->delivery != DELIVER_WAIT)
		return -EINVAL;
	/* Often the result is already there (inline completions reaped by the
	 * submit call): take it at once. Nothing here can sleep, so the call
	 * need not count itself among the callers destroy waits for. */
	if ((st & SLOT_STATE_MASK) == SLOT_DONE)
		return wait_take(e, s, st, token, out);

	hoop__caller_enter(e);
	int ret = 0;
	bool spun = false;
	uint64_t deadline = UINT64_MAX;
	if (timeout_ns >= 0)
		deadline = hoop__now_ns() + (uint64_t)timeout_ns;
	for (;;) {
		st = atomic_load_explicit(&s->state, memory_order_acquire);
		if ((st & SLOT_STATE_MASK) == SLOT_DONE)
			break;
		hoop__engine_flush_pending(e);
		hoop__engine_reap_some(e);
		st = atomic_load_explicit(&s->state, memory_order_acquire);
		if ((st & SLOT_STATE_MASK) == SLOT_DONE)
			break;
		uint64_t now = hoop__now_ns();
		if (now >= deadline) {
			ret = -ETIME;
			break;
		}
		/* Spin briefly (one spinner at a time: on 2 CPUs more only
		 * steal time from the threads doing the work). */
		if (!spun && e->spin_ns && try_become_spinner(e)) {
			uint64_t until = now + e->spin_ns;
			if (until > deadline)
				until = deadline;
			while (hoop__now_ns() < until) {
				for (int k = 0; k < 64; k++)
					cpu_relax();
				hoop__engine_reap_some(e);
				st = atomic_load_explicit(&s->state,
				                          memory_order_acquire);
				if ((st & SLOT_STATE_MASK) == SLOT_DONE)
					break;
			}
			atomic_fetch_sub(&e->spinners, 1);
			spun = true;
			continue;
		}
		spun = true;
		/* Sleep. The engine thread must be watching the ring. */
		if (atomic_load_explicit(&e->bg_idle, memory_order_seq_cst))
			bg_notify(e, false);
		uint32_t want = st | SLOT_WAITER; /* keeps SLOT_POOL */
		if (!(st & SLOT_WAITER)) {
			uint32_t exp = st;
			if (!atomic_compare_exchange_strong(&s->state, &exp, want))
				continue; /* it changed: look again */
		}
		now = hoop__now_ns();
		if (now >= deadline)
			continue; /* report -ETIME after one more look */
		int64_t left = deadline == UINT64_MAX ? -1 : (int64_t)(deadline - now);
		hoop__futex_wait(&s->state, want, left);
	}
	if (ret == 0) {
		ret = wait_take(e, s, st, token, out);
	} else {
		/* Leave the slot reserved; drop our waiter mark if still set. */
		uint32_t exp = atomic_load(&s->state);
		while ((exp & SLOT_STATE_MASK) == SLOT_INFLIGHT &&
		       (exp & SLOT_WAITER) &&
		       !atomic_compare_exchange_weak(&s->state, &exp,
		                                     exp & ~SLOT_WAITER))
			;
	}
	hoop__caller_leave(e);
	return ret;
}

int hoop_engine_release(hoop_engine *e, uint64_t token)
{
	uint32_t gen;
	struct hoop_slot *s;
	if (!e)
		return -EINVAL;
	s = token_slot(e, token, &gen);
	if (!s)
		return -ENOENT;
	uint32_t st = slot_state_for(s, gen);
	for (;;) {
		if ((st & SLOT_STATE_MASK) == SLOT_FREE || (st & SLOT_RELEASED))
			return -ENOENT;
		if (s->delivery != DELIVER_WAIT)
			return -EINVAL;
		if ((st & SLOT_STATE_MASK) == SLOT_DONE) {
			if (slot_claim_done(s, st)) {
				slot_push_free(e, s);
				return 0;
			}
		} else if (atomic_compare_exchange_strong(&s->state, &st,
		                                          st | SLOT_RELEASED)) {
			return 0;
		}
		/* The state moved: look again, generation included. */
		st = slot_state_for(s, gen);
	}
}

/* ---- cancellation ---- */

static int sync_cancel(hoop_engine *e, uint64_t ud, int fd, unsigned flags)
{
	struct hoop_sys_sync_cancel_reg reg;
	memset(&reg, 0, sizeof(reg));
	reg.addr = ud;
	reg.fd = fd;
	reg.flags = flags;
	reg.timeout.tv_sec = -1;
	reg.timeout.tv_nsec = -1;
	int r;
	do {
		r = hoop_ring_register(e->ring, HOOP_REGISTER_SYNC_CANCEL, &reg, 1);
	} while (r == -EINTR);
	return r;
}

/*
 * Cancel the ring's op `token` (slot s, generation gen), waiting as
 * sync_cancel does. A firing timeout is off the kernel's list until the
 * submitting task's task work re-arms it (multishot) or ends it: a cancel
 * landing in that window finds nothing (-ENOENT) though the op goes on, and
 * with a period of a few microseconds or less that is nearly every time.
 * So for a multishot timeout (SLOT_TIMER) the engine still tracks, try
 * again until the cancel lands or the op has ended by itself (its final
 * completion reaped: the slot is no longer in flight).
 */
static int cancel_ring_token(hoop_engine *e, struct hoop_slot *s,
                             uint32_t gen, uint64_t token)
{
	for (unsigned tries = 0;; tries++) {
		int r = sync_cancel(e, token, 0, 0);
		hoop__engine_reap_some(e);
		if (r != -ENOENT || LOAD(&e->dead))
			return r;
		uint32_t st = slot_state_for(s, gen);
		if ((st & SLOT_STATE_MASK) != SLOT_INFLIGHT || !(st & SLOT_TIMER))
			return r;
		if (tries < 64) {
			sched_yield();
		} else {
			struct timespec ts = {0, 10000};
			nanosleep(&ts, NULL);
		}
	}
}

int hoop_engine_cancel(hoop_engine *e, uint64_t token)
{
	uint32_t gen;
	if (!e)
		return -EINVAL;
	if (LOAD(&fork_generation) != e->fork_gen)
		return -ECHILD;
	struct hoop_slot *s = token_slot(e, token, &gen);
	if (!s)
		return -ENOENT;
	uint32_t st = slot_state_for(s, gen);
	if ((st & SLOT_STATE_MASK) != SLOT_INFLIGHT)
		return -ENOENT;
	/* Anything still held back by batching must reach the kernel first,
	 * or the cancel would not find it. */
	hoop__caller_enter(e);
	int r;
	if (!e->ring || (st & SLOT_POOL)) {
		r = hoop__pool_cancel(e->pool, token, -1, false) ? 0 : -ENOENT;
	} else {
		hoop__engine_flush_pending(e);
		r = cancel_ring_token(e, s, gen, token);
	}
	hoop__caller_leave(e);
	return r < 0 ? r : 0;
}

int hoop_engine_cancel_fd(hoop_engine *e, int fd, unsigned flags)
{
	if (!e || fd < 0)
		return -EINVAL;
	if (LOAD(&fork_generation) != e->fork_gen)
		return -ECHILD;
	if (!e->ring)
		return (flags & HOOP_CANCEL_FIXED) ? -EOPNOTSUPP
		                                   : hoop__pool_cancel(e->pool, 0, fd, false);
	hoop__engine_flush_pending(e);
	unsigned f = HOOP_ASYNC_CANCEL_FD | HOOP_ASYNC_CANCEL_ALL;
	if (flags & HOOP_CANCEL_FIXED)
		f |= HOOP_ASYNC_CANCEL_FD_FIXED;
	int r = sync_cancel(e, 0, fd, f);
	hoop__engine_reap_some(e);
	if (r == -ENOENT)
		r = 0;
	/* Ops on opcodes the kernel lacks run on the pool (no fixed files). */
	if (r >= 0 && e->pool && !(flags & HOOP_CANCEL_FIXED))
		r += hoop__pool_cancel(e->pool, 0, fd, false);
	return r;
}

/*
 * Cancel, by token, every operation in flight that is delivered to `q`
 * (or every one, when q is NULL). Returns how many the backend found.
 */
static int cancel_inflight(hoop_engine *e, hoop_queue *q)
{
	hoop__engine_flush_pending(e);
	int found = 0;
	for (unsigned i = 0; i < e->nslots; i++) {
		struct hoop_slot *s = &e->slots[i];
		uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
		if ((st & SLOT_STATE_MASK) != SLOT_INFLIGHT)
			continue;
		if (q && (s->delivery != DELIVER_QUEUE || s->queue != q))
			continue;
		uint32_t gen = LOAD(&s->gen);
		uint64_t token = make_token(i, gen);
		bool pool = !e->ring || (st & SLOT_POOL);
		if (pool ? hoop__pool_cancel(e->pool, token, -1, false) > 0
		         : ((st & SLOT_TIMER) ? cancel_ring_token(e, s, gen, token)
		                              : sync_cancel(e, token, 0, 0)) >= 0)
			found++;
	}
	hoop__engine_reap_some(e);
	return found;
}

static int cancel_all(hoop_engine *e)
{
	if (!e->ring)
		return hoop__pool_cancel(e->pool, 0, -1, true);
	/*
	 * Not CANCEL_ANY: that would also hit the engine's own poll on the
	 * kick eventfd. Cancel each operation in flight by its token.
	 */
	return cancel_inflight(e, NULL);
}

int hoop_engine_cancel_all(hoop_engine *e)
{
	if (!e)
		return -EINVAL;
	if (LOAD(&fork_generation) != e->fork_gen)
		return -ECHILD;
	hoop__caller_enter(e);
	int r = cancel_all(e);
	hoop__caller_leave(e);
	return r;
}

void hoop__engine_cancel_queue(hoop_engine *e, hoop_queue *q)
{
	cancel_inflight(e, q);
}

/* ---- the engine thread ---- */

static void arm_kick(hoop_engine *e)
{
	pthread_mutex_lock(&e->submit_lock);
	if (!atomic_load(&e->kick_armed) && sq_room_locked(e, 1) == 0) {
		struct hoop_sqe *sqe = hoop_ring_get_sqe(e->ring);
		hoop_prep_poll_multishot(sqe, e->kick_fd, 0x001 /* POLLIN */);
		sqe->user_data = HOOP_UD_KICK;
		e->pending++;
		enter_locked(e);
		atomic_store(&e->kick_armed, 1);
	}
	pthread_mutex_unlock(&e->submit_lock);
}

/*
 * Give the ring's operation named by `token` the result `err`, if it is
 * still in flight (a stale or finished token is skipped). Caller holds
 * drain_lock.
 */
static void fail_token_locked(hoop_engine *e, uint64_t token, int err)
{
	uint32_t gen;
	struct hoop_slot *s = token_slot(e, token, &gen);
	if (!s)
		return;
	uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
	if ((st & SLOT_STATE_MASK) == SLOT_INFLIGHT && !(st & SLOT_POOL) &&
	    LOAD(&s->gen) == gen)
		deliver(e, s, token, err, 0);
}

/* The ring's operations in flight (pool ops are their workers' business). */
static unsigned ring_inflight(hoop_engine *e)
{
	unsigned n = 0;
	for (unsigned i = 0; i < e->nslots; i++) {
		uint32_t st = atomic_load_explicit(&e->slots[i].state,
		                                   memory_order_acquire);
		n += (st & SLOT_STATE_MASK) == SLOT_INFLIGHT && !(st & SLOT_POOL);
	}
	return n;
}

/*
 * The ring lost a completion (engine_mark_dead): end every ring operation
 * in flight with `err`, but only once the kernel is done with it, so that
 * an owner who frees its buffer on the error is never written into later.
 * Run by the engine thread on each pass while it is dead with work in
 * flight:
 *  - SQEs published but never consumed by the kernel (an enter that failed)
 *    are failed at once: nothing enters the kernel after death (enter_locked
 *    refuses), so the kernel never sees them. With SQPOLL the kernel thread
 *    takes them on its own; they are cancelled like the rest.
 *  - everything in the kernel is cancelled (SYNC_CANCEL, ANY), again every
 *    10 ms while some remain; each final CQE that arrives (dispatch) ends
 *    its operation with `err`: the kernel is done with it then.
 *  - what is left once a cancel finds nothing more can only be operations
 *    whose CQE was dropped: when no more remain than the kernel's count of
 *    dropped CQEs (the CQ ring's overflow field), they are failed.
 */
static void dead_quiesce(hoop_engine *e, int err)
{
	hoop_ring *r = e->ring;
	uint64_t *unseen = NULL;
	unsigned nunseen = 0;
	if (!(r->setup_flags & HOOP_SETUP_SQPOLL)) {
		/* Tokens copied under submit_lock, failed under drain_lock
		 * (a callback may submit while holding drain_lock). */
		pthread_mutex_lock(&e->submit_lock);
		hoop__ring_flush_sq(r);
		unsigned head = hoop_load_acquire(r->sq_khead);
		unsigned tail = hoop_load_relaxed(r->sq_ktail);
		if (tail != head &&
		    (unseen = malloc((tail - head) * sizeof(*unseen))))
			for (unsigned i = head; i != tail; i++)
				unseen[nunseen++] =
				    r->sqes[(i & r->sq_mask) << r->sqe_shift]
				        .user_data;
		pthread_mutex_unlock(&e->submit_lock);
	}
	if (nunseen) {
		pthread_mutex_lock(&e->drain_lock);
		for (unsigned i = 0; i < nunseen; i++)
			fail_token_locked(e, unseen[i], err);
		pthread_mutex_unlock(&e->drain_lock);
	}
	free(unseen);
	uint64_t now = hoop__now_ns();
	if (now >= e->dead_next_cancel) {
		int found = sync_cancel(e, 0, 0, HOOP_ASYNC_CANCEL_ANY);
		e->dead_cancel_found = found > 0;
		e->dead_next_cancel = now + 10000000ull;
		pthread_mutex_lock(&e->drain_lock);
		drain_locked(e);
		pthread_mutex_unlock(&e->drain_lock);
	}
	if (e->dead_cancel_found)
		return;
	unsigned left = ring_inflight(e);
	if (left == 0 || left > hoop_load_acquire(r->cq_koverflow))
		return;
	pthread_mutex_lock(&e->drain_lock);
	for (unsigned i = 0; i < e->nslots; i++)
		fail_token_locked(e, make_token(i, LOAD(&e->slots[i].gen)), err);
	pthread_mutex_unlock(&e->drain_lock);
}

static void *engine_thread(void *arg)
{
	hoop_engine *e = arg;
	hoop_ring *r = e->ring;
	for (;;) {
		int ret;
		pthread_mutex_lock(&e->drain_lock);
		unsigned n = drain_locked(e);
		bool kicked = e->kicked, rearm = !atomic_load(&e->kick_armed);
		e->kicked = false;
		pthread_mutex_unlock(&e->drain_lock);
		if (n)
			ADD(&e->m_reaps_thread, n);

		/* Reset the kick counter so its poll fires again next time. */
		uint64_t v;
		if (kicked)
			while (read(e->kick_fd, &v, sizeof(v)) > 0)
				;
		int dead = LOAD(&e->dead);
		if (rearm && !dead)
			arm_kick(e);

		/*
		 * seq first, then the state it guards (the deadline, inflight):
		 * a submitter changes the state, then bumps seq (bg_notify). Read
		 * the other way round, a deadline set between the two reads was
		 * missed while its bump was already in seq, and the thread slept
		 * in the kernel with no timeout while the batched SQEs waited for
		 * it to flush them (engine_batching hung 1 run in ~30 under TSan).
		 */
		uint32_t seq = atomic_load_explicit(&e->bg_seq, memory_order_seq_cst);
		uint64_t dl = atomic_load_explicit(&e->batch_deadline,
		                                   memory_order_acquire);
		uint64_t now = dl ? hoop__now_ns() : 0;
		if (dl && now >= dl) {
			hoop__engine_flush_pending(e);
			dl = 0;
		}
		if (dead && LOAD(&e->inflight))
			dead_quiesce(e, dead);
		if (LOAD(&e->closing) &&
		    atomic_load_explicit(&e->inflight, memory_order_acquire) == 0 &&
		    callers_active(e) == 0)
			break;

		if (dead && LOAD(&e->inflight)) {
			/* No kick poll any more and no enter: look at the CQ
			 * every ms until everything has ended. */
			hoop__futex_wait(&e->bg_seq, seq, 1000000);
			continue;
		}
		if (LOAD(&e->inflight) == 0) {
			/* Nothing in flight: sleep until a submitter or the
			 * batch deadline needs us. */
			atomic_store_explicit(&e->bg_idle, 1, memory_order_seq_cst);
			if (LOAD(&e->inflight) == 0 && !LOAD(&e->closing) &&
			    atomic_load_explicit(&e->bg_seq, memory_order_seq_cst) == seq) {
				int64_t t = dl ? (int64_t)(dl - now) : -1;
				hoop__futex_wait(&e->bg_seq, seq, t);
			}
			atomic_store_explicit(&e->bg_idle, 0, memory_order_seq_cst);
			continue;
		}
		/* Work in flight: wait in the kernel for at least one CQE. */
		atomic_store_explicit(&e->bg_in_kernel, 1, memory_order_seq_cst);
		if (hoop_ring_cq_ready(r) == 0 && !LOAD(&e->closing) &&
		    atomic_load_explicit(&e->bg_seq, memory_order_seq_cst) == seq) {
			if (dl) {
				struct hoop_timespec ts = {0, (int64_t)(dl - now)};
				struct hoop_sys_getevents_arg ga = {0, 0, 0,
				                                    (uint64_t)(uintptr_t)&ts};
				ret = hoop_ring_enter(r, 0, 1,
				                      HOOP_ENTER_GETEVENTS |
				                          HOOP_ENTER_EXT_ARG,
				                      &ga, sizeof(ga));
			} else {
				ret = hoop_ring_enter(r, 0, 1, HOOP_ENTER_GETEVENTS,
				                      NULL, 0);
			}
			if (ret == -EBADR)
				engine_mark_dead(e, ret);
		}
		atomic_store_explicit(&e->bg_in_kernel, 0, memory_order_seq_cst);
	}
	return NULL;
}

/* ---- create / destroy ---- */

static int engine_init_slots(hoop_engine *e, unsigned n)
{
	e->slots = calloc(n, sizeof(*e->slots));
	if (!e->slots)
		return -ENOMEM;
	e->nslots = n;
	for (unsigned i = 0; i < n; i++)
		atomic_init(&e->slots[i].next_free, (i + 1 < n) ? i + 2 : 0);
	atomic_init(&e->free_top, 1);
	return 0;
}

static void engine_free(hoop_engine *e, bool in_child)
{
	if (e->pool) {
		if (in_child)
			hoop__pool_forget(e->pool);
		else
			hoop__pool_destroy(e->pool);
	}
	if (e->kick_fd >= 0)
		close(e->kick_fd);
	hoop_ring_destroy(e->ring);
	free(e->slots);
	free(e->stripes);
	pthread_mutex_destroy(&e->submit_lock);
	pthread_mutex_destroy(&e->drain_lock);
	pthread_mutex_destroy(&e->slot_lock);
	pthread_cond_destroy(&e->room_cv);
	free(e);
}

/* Which backend to try first, and why, from params and HOOP_BACKEND
 * (already checked by params_check: a known name). */
static int choose_backend(const hoop_engine_params *p, const char **why)
{
	if (p->backend == HOOP_BACKEND_THREADS) {
		*why = "thread pool: requested by the caller";
		return HOOP_BACKEND_THREADS;
	}
	if (p->backend == HOOP_BACKEND_URING) {
		*why = "io_uring: requested by the caller";
		return HOOP_BACKEND_URING;
	}
	switch (hoop__backend_env(NULL)) {
	case HOOP_BACKEND_THREADS:
		*why = "thread pool: HOOP_BACKEND=threads";
		return HOOP_BACKEND_THREADS;
	case HOOP_BACKEND_URING:
		*why = "io_uring: HOOP_BACKEND=uring";
		return HOOP_BACKEND_URING;
	default:
		*why = "io_uring: available";
		return HOOP_BACKEND_URING;
	}
}

/* Setup errors that mean "io_uring is not allowed here", not "bad input". */
static bool uring_refusal_allows_fallback(int err)
{
	if (hoop__backend_env(NULL) == HOOP_BACKEND_URING)
		return false;
	return err == -ENOSYS || err == -EPERM || err == -EACCES ||
	       err == -ENOMEM;
}

#define WHY(...) (why ? snprintf(why, n, __VA_ARGS__) : 0)

/*
 * What hoop_engine_create checks before touching the kernel, in one place
 * for create and hoop_engine_explain: 0 or -EINVAL, with a reason in why
 * (if not NULL). The pool signal is resolved into *sig.
 */
static int params_check(const hoop_engine_params *p, int *sig, char *why,
                        size_t n)
{
	if (p->backend > HOOP_BACKEND_THREADS) {
		WHY("hoop_engine_params.backend %u is not HOOP_BACKEND_AUTO, "
		    "_URING or _THREADS (0..2)", p->backend);
		return -EINVAL;
	}
	if (p->flags & ~(HOOP_ENGINE_SQPOLL | HOOP_ENGINE_NO_INLINE |
	                 HOOP_ENGINE_POOL_SIGNAL_TAKE)) {
		WHY("hoop_engine_params.flags %#x has bits hoop does not know",
		    p->flags);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(p->resv) / sizeof(p->resv[0]); i++)
		if (p->resv[i]) {
			WHY("hoop_engine_params.resv[%zu] is %u: reserved fields "
			    "must be 0", i, p->resv[i]);
			return -EINVAL;
		}
	unsigned sq = p->sq_entries ? p->sq_entries : DEFAULT_SQ;
	if (sq > 32768) {
		WHY("hoop_engine_params.sq_entries %u is above 32768", sq);
		return -EINVAL;
	}
	unsigned cq = p->cq_entries ? p->cq_entries : 4 * sq;
	if (cq < 4 || cq > 65536 || cq < sq) {
		WHY("hoop_engine_params.cq_entries %u is outside 4..65536 or "
		    "below the SQ size %u", cq, sq);
		return -EINVAL;
	}
	const char *env;
	if (p->backend == HOOP_BACKEND_AUTO && hoop__backend_env(&env) < 0) {
		WHY("HOOP_BACKEND=%s is not a backend: use " HOOP_BACKEND_ACCEPTED
		    " (or unset it)", env);
		return -EINVAL;
	}
	int s = hoop__pool_signal_resolve(p->pool_signal, why, n);
	if (s < 0)
		return s;
	*sig = s;
	return 0;
}

#undef WHY

int hoop_engine_explain(int err, const hoop_engine_params *params, char *buf,
                        size_t len)
{
	hoop_engine_params p;
	char why[320];
	if (params)
		p = *params;
	else
		memset(&p, 0, sizeof(p));
	why[0] = '\0';
	int sig = 0;
	int r = params_check(&p, &sig, why, sizeof(why));
	if (r == 0 && err == -EBUSY)
		hoop__pool_signal_busy(sig, why, sizeof(why));
	if (r == 0 && (err == -ENOSYS || err == -EPERM || err == -EACCES ||
	               err == -ENOMEM) &&
	    (p.backend == HOOP_BACKEND_URING ||
	     hoop__backend_env(NULL) == HOOP_BACKEND_URING))
		snprintf(why, sizeof(why), "io_uring forced (%s) and "
		         "io_uring_setup gave %s",
		         p.backend == HOOP_BACKEND_URING ? "HOOP_BACKEND_URING"
		                                         : "HOOP_BACKEND=uring",
		         hoop_strerror(err));
	if (!why[0])
		snprintf(why, sizeof(why), "%s", hoop_strerror(err));
	return snprintf(buf, buf ? len : 0, "%s", why);
}

static const char *fallback_reason(int err)
{
	switch (err) {
	case -ENOSYS:
		return "thread pool: io_uring_setup gave ENOSYS (kernel without "
		       "io_uring, or a seccomp filter)";
	case -EPERM:
		return "thread pool: io_uring_setup gave EPERM (seccomp, e.g. "
		       "Docker's default profile, or the kernel.io_uring_disabled "
		       "sysctl)";
	case -EACCES:
		return "thread pool: io_uring_setup gave EACCES (a security "
		       "module refused it)";
	default:
		return "thread pool: io_uring_setup gave ENOMEM (RLIMIT_MEMLOCK "
		       "too small for the ring)";
	}
}

/*
 * The opcodes (< 64, known to hoop) this kernel lacks, from the probe
 * (a kernel before 5.6 has no probe: nothing is marked then, and the
 * kernel's own -EINVAL reaches the owner), plus HOOP_ENGINE_MASK_OPS.
 * Returns 0, or -EINVAL for a bad entry in the variable.
 */
static int missing_opcodes(hoop_ring *ring, uint64_t *mask)
{
	uint8_t sup[HOOP_OP_LAST];
	*mask = 0;
	if (hoop_ring_probe_ops(ring, sup, HOOP_OP_LAST) > 0)
		for (unsigned op = 0; op < HOOP_OP_LAST; op++)
			if (!sup[op])
				*mask |= 1ull << op;
	const char *env = getenv("HOOP_ENGINE_MASK_OPS");
	if (!env)
		return 0;
	char name[32];
	while (*env) {
		size_t len = strcspn(env, ",");
		if (len && len < sizeof(name)) {
			memcpy(name, env, len);
			name[len] = '\0';
			char *end;
			long op = strtol(name, &end, 10);
			if (end == name || *end)
				op = hoop_op_from_name(name);
			if (op < 0 || op >= 64)
				return -EINVAL;
			*mask |= 1ull << op;
		} else if (len) {
			return -EINVAL;
		}
		env += len + (env[len] == ',');
	}
	return 0;
}

static int engine_ring_setup(hoop_engine *e, const hoop_engine_params *p,
                             unsigned sq, unsigned cq)
{
	/*
	 * A shared ring: never SINGLE_ISSUER or DEFER_TASKRUN (a wait from
	 * another thread would get EEXIST). SUBMIT_ALL so that one bad SQE in
	 * a batch does not hold back the rest; CQSIZE to fit max_inflight.
	 */
	hoop_ring_params rp;
	memset(&rp, 0, sizeof(rp));
	rp.flags = HOOP_SETUP_CQSIZE | HOOP_SETUP_SUBMIT_ALL;
	rp.cq_entries = cq;
	rp.min_entries = 8;
	if (p->flags & HOOP_ENGINE_SQPOLL) {
		rp.flags |= HOOP_SETUP_SQPOLL;
		rp.sq_thread_idle = p->sq_thread_idle ? p->sq_thread_idle : 10;
	}
	return hoop_ring_create(&e->ring, sq, &rp);
}

int hoop_engine_create(hoop_engine **out, const hoop_engine_params *params)
{
	hoop_engine_params p;
	int err;
	if (!out)
		return -EINVAL;
	if (params)
		p = *params;
	else
		memset(&p, 0, sizeof(p));
	int sig;
	err = params_check(&p, &sig, NULL, 0);
	if (err < 0)
		return err;
	bool take = (p.flags & HOOP_ENGINE_POOL_SIGNAL_TAKE) != 0;
	unsigned sq = p.sq_entries ? p.sq_entries : DEFAULT_SQ;
	unsigned cq = p.cq_entries ? p.cq_entries : 4 * sq;
	pthread_once(&fork_once, install_fork_handler);

	hoop_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->fork_gen = LOAD(&fork_generation);
	e->kick_fd = -1;
	e->stripes = aligned_alloc(64, HOOP_STRIPES * sizeof(*e->stripes));
	if (!e->stripes) {
		free(e);
		return -ENOMEM;
	}
	memset(e->stripes, 0, HOOP_STRIPES * sizeof(*e->stripes));
	pthread_mutex_init(&e->submit_lock, NULL);
	pthread_mutex_init(&e->drain_lock, NULL);
	pthread_mutex_init(&e->slot_lock, NULL);
	pthread_cond_init(&e->room_cv, NULL);

	int want = choose_backend(&p, &e->backend_reason);
	if (want == HOOP_BACKEND_URING) {
		err = engine_ring_setup(e, &p, sq, cq);
		if (err < 0) {
			if (p.backend != HOOP_BACKEND_AUTO ||
			    !uring_refusal_allows_fallback(err))
				goto fail;
			want = HOOP_BACKEND_THREADS;
			e->backend_reason = fallback_reason(err);
		}
	}
	e->backend = want;
	unsigned maxf;
	if (want == HOOP_BACKEND_URING) {
		cq = hoop_ring_cq_entries(e->ring);
		/* Two CQ entries stay free for the kick poll and slack. */
		maxf = p.max_inflight ? p.max_inflight : cq - 2;
		if (maxf == 0 || maxf > cq - 2) {
			err = -EINVAL;
			goto fail;
		}
		err = missing_opcodes(e->ring, &e->pool_opmask);
		if (err < 0)
			goto fail;
		if (e->pool_opmask) {
			err = hoop__pool_create(&e->pool, e, maxf, sig, take);
			if (err < 0)
				goto fail;
		}
	} else {
		/* The same bound the ring would have had. */
		maxf = p.max_inflight ? p.max_inflight : cq - 2;
		if (maxf == 0 || maxf > cq - 2) {
			err = -EINVAL;
			goto fail;
		}
		/* One worker per operation in flight at most: a blocking call
		 * holds its worker, and a cap below max_inflight could starve
		 * the operation that would unblock the others. */
		err = hoop__pool_create(&e->pool, e, maxf, sig, take);
		if (err < 0)
			goto fail;
	}
	err = engine_init_slots(e, maxf);
	if (err < 0)
		goto fail;
	e->sq_limit = e->ring ? e->ring->sq_entries : sq;
	e->batch_count = p.batch_count;
	e->batch_ns = (uint64_t)p.batch_usec * 1000u;
	if (e->batch_ns && e->batch_count <= 1)
		e->batch_count = UINT32_MAX; /* deadline only */
	e->spin_ns = (uint64_t)(p.spin_usec ? p.spin_usec : DEFAULT_SPIN_US) * 1000u;
	e->inline_rw = !(p.flags & HOOP_ENGINE_NO_INLINE);

	if (!e->ring) {
		*out = e; /* workers deliver; no completion thread needed */
		return 0;
	}
	e->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (e->kick_fd < 0) {
		err = -errno;
		goto fail;
	}
	arm_kick(e);
	if (!atomic_load(&e->kick_armed)) {
		err = -EIO;
		goto fail;
	}
	err = -pthread_create(&e->thread, NULL, engine_thread, e);
	if (err < 0)
		goto fail;
	e->thread_started = true;
	*out = e;
	return 0;
fail:
	engine_free(e, false);
	return err;
}

void hoop_engine_destroy(hoop_engine *e)
{
	if (!e)
		return;
	if (LOAD(&fork_generation) != e->fork_gen) {
		/* In a forked child: the thread does not exist here and the
		 * ring is the parent's. Free our copy and close our fds only;
		 * unmapping and closing do not affect the parent's ring. */
		engine_free(e, true);
		return;
	}
	atomic_store(&e->closing, 1);
	/* Wake room waiters so they fail with -ESHUTDOWN. */
	pthread_mutex_lock(&e->slot_lock);
	pthread_cond_broadcast(&e->room_cv);
	pthread_mutex_unlock(&e->slot_lock);

	hoop_engine_flush(e);
	/* Cancel until nothing is left in flight; an operation that cannot
	 * be stopped right away (running in a kernel worker) finishes on its
	 * own, so keep reaping and retry now and then. */
	uint64_t next_cancel = 0;
	while (atomic_load_explicit(&e->inflight, memory_order_acquire) > 0 ||
	       callers_active(e) > 0) {
		uint64_t now = hoop__now_ns();
		if (now >= next_cancel && LOAD(&e->inflight) > 0) {
			cancel_all(e);
			next_cancel = now + 50000000ull;
		}
		bg_notify(e, true);
		hoop__engine_reap_some(e);
		struct timespec ts = {0, 200000};
		nanosleep(&ts, NULL);
	}
	bg_notify(e, true);
	if (e->thread_started)
		pthread_join(e->thread, NULL);
	engine_free(e, false);
}

/* ---- queries ---- */

static void metrics_fill(hoop_engine *e, struct hoop_engine_metrics *m)
{
	m->submitted = STRIPE_SUM(e, submitted);
	m->completed = STRIPE_SUM(e, completed);
	m->cqes = STRIPE_SUM(e, cqes);
	m->inflight = LOAD(&e->inflight);
	m->enters = LOAD(&e->m_enters);
	m->sqes_entered = LOAD(&e->m_sqes_entered);
	m->wakeups = LOAD(&e->m_wakeups);
	m->reaps_by_waiters = LOAD(&e->m_reaps_waiters);
	m->reaps_by_thread = LOAD(&e->m_reaps_thread);
	m->overflow_flushes = LOAD(&e->m_overflow);
	m->unknown_cqes = LOAD(&e->m_unknown);
	m->submit_blocked = LOAD(&e->m_blocked);
	m->pool_ops = LOAD(&e->m_pool_ops);
	m->inline_ops = STRIPE_SUM(e, inline_ops);
	m->queue_wakeups = LOAD(&e->m_queue_wakeups);
}

_Static_assert(offsetof(struct hoop_engine_metrics, pool_ops) ==
                   HOOP_ENGINE_METRICS_SIZE_V1,
               "the first metrics layout is 12 fields");

/* The growth rule (common.h): the caller's size, never more than ours. */
int hoop_engine_get_metrics(hoop_engine *e, struct hoop_engine_metrics *out,
                            size_t size)
{
	if (!e || !out || size < HOOP_ENGINE_METRICS_SIZE_V1)
		return -EINVAL;
	struct hoop_engine_metrics m;
	metrics_fill(e, &m);
	memcpy(out, &m, size < sizeof(m) ? size : sizeof(m));
	return 0;
}

#if defined(HOOP_SYMVER_COMPAT)
/*
 * hoop_engine_get_metrics@HOOP_0.1: programs linked before the size
 * argument existed. Their struct may be as old as the first layout, so
 * they get its 12 fields and nothing past them.
 */
__asm__(".symver hoop__engine_get_metrics_v0_1,"
        "hoop_engine_get_metrics@HOOP_0.1");
HOOP_API int hoop__engine_get_metrics_v0_1(hoop_engine *e,
                                           struct hoop_engine_metrics *out);
int hoop__engine_get_metrics_v0_1(hoop_engine *e,
                                  struct hoop_engine_metrics *out)
{
	return hoop_engine_get_metrics(e, out, HOOP_ENGINE_METRICS_SIZE_V1);
}
#endif

int hoop_engine_backend(const hoop_engine *e) { return e->backend; }

const char *hoop_engine_backend_reason(const hoop_engine *e)
{
	return e->backend_reason;
}

unsigned hoop_engine_max_inflight(const hoop_engine *e) { return e->nslots; }

/* ---- op helpers ---- */

void hoop_op_from_sqe(struct hoop_op *op, const struct hoop_sqe *sqe)
{
	memcpy(op, sqe, sizeof(*op));
}

#define OP_VIA_SQE(call)                                                     \
	do {                                                                 \
		struct hoop_sqe sqe;                                         \
		call;                                                        \
		memcpy(op, &sqe, sizeof(*op));                               \
	} while (0)

void hoop_op_nop(struct hoop_op *op) { OP_VIA_SQE(hoop_prep_nop(&sqe)); }

void hoop_op_read(struct hoop_op *op, int fd, void *buf, uint32_t len,
                  uint64_t off)
{
	OP_VIA_SQE(hoop_prep_read(&sqe, fd, buf, len, off));
}

void hoop_op_write(struct hoop_op *op, int fd, const void *buf, uint32_t len,
                   uint64_t off)
{
	OP_VIA_SQE(hoop_prep_write(&sqe, fd, buf, len, off));
}

void hoop_op_readv(struct hoop_op *op, int fd, const struct iovec *iov,
                   unsigned nr, uint64_t off)
{
	OP_VIA_SQE(hoop_prep_readv(&sqe, fd, iov, nr, off));
}

void hoop_op_writev(struct hoop_op *op, int fd, const struct iovec *iov,
                    unsigned nr, uint64_t off)
{
	OP_VIA_SQE(hoop_prep_writev(&sqe, fd, iov, nr, off));
}

void hoop_op_fsync(struct hoop_op *op, int fd, unsigned flags)
{
	OP_VIA_SQE(hoop_prep_fsync(&sqe, fd, flags));
}

void hoop_op_timeout(struct hoop_op *op, const struct hoop_timespec *ts,
                     unsigned count, unsigned flags)
{
	OP_VIA_SQE(hoop_prep_timeout(&sqe, ts, count, flags));
}
