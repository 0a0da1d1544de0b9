/*
 * core/engine_internal.h - the engine's private layout, shared by the engine
 * (engine.c), its two backends (backend_uring.c: io_uring, backend_pool.c:
 * the thread pool of backend_threads.c), the queue and the file readers.
 * Never installed.
 */
#ifndef HOOP_CORE_ENGINE_INTERNAL_H
#define HOOP_CORE_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "cells.h"
#include "clock.h"
#include "slots.h"
#include "hoop/engine.h"
#include "hoop/ring.h"

/* user_data of the internal multishot poll on the kick eventfd. */
#define HOOP_UD_KICK 0xffffffffffffff01ull

struct hoop_backend_ops;

/*
 * The engine's two locks (submit_lock, drain_lock): a futex word, 0 free,
 * 1 held, 2 held with a sleeper perhaps. Taking a free lock and giving it
 * back is one atomic instruction each, inline: a pthread mutex pair cost
 * about 60 instructions through the PLT, paid on every submit and every
 * reap (a one-op round trip took and gave back both: 140). Sleepers wait
 * in the kernel at once, as with the default pthread mutex.
 */
typedef struct {
	_Atomic uint32_t v;
} hoop_lock;

void hoop__lock_slow(hoop_lock *l); /* engine.c */

static inline bool hoop__lock_try(hoop_lock *l)
{
	uint32_t free_ = 0;
	return atomic_compare_exchange_strong_explicit(&l->v, &free_, 1,
	                                               memory_order_acquire,
	                                               memory_order_relaxed);
}

static inline void hoop__lock(hoop_lock *l)
{
	if (!hoop__lock_try(l))
		hoop__lock_slow(l);
}

static inline void hoop__unlock(hoop_lock *l)
{
	if (atomic_exchange_explicit(&l->v, 0, memory_order_release) == 2)
		hoop__futex_wake(&l->v, 1);
}

/*
 * Counters that every operation touches, kept per thread (hoop__stripe, a
 * hash of the stack address) so that threads on different CPUs do not
 * take the same cache line from each other on every call. Sums are exact
 * (a call that leaves on another stripe than it entered leaves one +1 and
 * another -1; the arithmetic wraps).
 */
#define HOOP_STRIPES 16u
struct hoop_stripe {
	_Atomic uint32_t callers; /* threads inside wait/submit/cancel */
	_Atomic uint64_t submitted, completed, cqes, inline_ops;
	char pad[64 - 4 * 8 - 8];
};

struct hoop_engine {
	const struct hoop_backend_ops *be; /* what runs the operations */
	hoop_ring *ring; /* NULL with the thread-pool backend */
	/* The thread pool: the whole backend when ring is NULL; with io_uring,
	 * present only if some opcodes are served by it (pool_opmask). */
	struct hoop_pool *pool;
	uint64_t pool_opmask; /* bit op: the ring lacks opcode op (< 64) */
	int backend;
	const char *backend_reason;
	unsigned fork_gen;

	/* submission side, under submit_lock */
	hoop_lock submit_lock;
	unsigned pending; /* SQEs published but not yet entered */
	unsigned batch_count;
	uint64_t batch_ns;
	_Atomic uint64_t batch_deadline; /* monotonic ns, 0 = none */
	_Atomic int has_pending;         /* pending > 0, readable unlocked */
	_Atomic int kick_armed;          /* the kick poll is in the kernel */
	bool kicked;                     /* under drain_lock */

	/* completion side, under drain_lock */
	hoop_lock drain_lock;

	struct hoop_slots tab;   /* slots.h */
	struct hoop_cell *cells; /* HOOP_CELLS, 64-byte aligned (cells.h) */

	/* engine thread */
	pthread_t thread;
	bool thread_started;
	int kick_fd;
	_Atomic uint32_t bg_seq;  /* futex word the idle thread sleeps on */
	_Atomic int bg_idle;      /* sleeping on bg_seq */
	_Atomic int bg_in_kernel; /* blocked in io_uring_enter */
	_Atomic int closing;
	_Atomic int dead;          /* fatal ring error, as -errno */
	uint64_t dead_next_cancel; /* engine thread: next SYNC_CANCEL (ns) */
	bool dead_cancel_found;    /* engine thread: the last one found some */
	_Atomic int spinners;

	uint64_t spin_ns;
	bool inline_rw;    /* try reads/writes in the submitting thread first */
	unsigned sq_limit; /* most ops in one submit call (the SQ size) */

	/* counters */
	struct hoop_stripe *stripes; /* HOOP_STRIPES, 64-byte aligned */
	_Atomic uint64_t m_enters, m_sqes_entered, m_wakeups, m_reaps_waiters,
	        m_reaps_thread, m_overflow, m_unknown, m_blocked, m_pool_ops,
	        m_queue_wakeups;
	_Atomic uint64_t inflight;
};

/* The ops of a submit call: records, or a filler writing SQEs. */
struct hoop_submit_src {
	const struct hoop_op *ops;
	hoop_sqe_fill_fn fill;
	void *fill_arg;
};

/*
 * A backend (the engine's side of it): the engine takes the slots, picks
 * the target and counts callers; the backend starts, cancels and reaps.
 */
struct hoop_backend_ops {
	/* Calls of at most this many ops try the inline path first. */
	unsigned inline_max;
	/* Start n ops in the taken slots idx[] (tokens[] gets their tokens,
	 * if not NULL): n, or -errno with nothing started and the slots given
	 * back. */
	int (*submit)(hoop_engine *e, const struct hoop_submit_src *src,
	              unsigned n, uint64_t *tokens, unsigned flags,
	              const struct hoop_target *to, const unsigned *idx);
	/* Cancel the op in flight in slot s (generation gen, state st seen
	 * INFLIGHT) and wait until it is stopped: 0, or -ENOENT / -errno. */
	int (*cancel)(hoop_engine *e, struct hoop_slot *s, uint32_t gen,
	              uint64_t token, uint32_t st);
	/* Cancel every op on fd (hoop_engine_cancel_fd): how many, or -errno. */
	int (*cancel_fd)(hoop_engine *e, int fd, unsigned flags);
	/* Cancel everything in flight: how many were found. */
	int (*cancel_all)(hoop_engine *e);
	/* hoop_engine_flush: hand over what batching holds back. */
	int (*flush)(hoop_engine *e);
	/* The same, cheap when there is nothing. */
	void (*flush_pending)(hoop_engine *e);
	/* Reap ready completions unless somebody else is. */
	void (*reap)(hoop_engine *e);
	/* Make the completion thread look again (kernel: also when it sleeps
	 * in the kernel). */
	void (*notify)(hoop_engine *e, bool kernel);
	/* Once the slot table exists: start the completion side. */
	int (*start)(hoop_engine *e);
	/* Stop (join the threads) and free what the backend holds; in a
	 * forked child only what is ours (the parent's threads do not exist
	 * here). Also after a failed create, with whatever was set up. */
	void (*destroy)(hoop_engine *e, bool in_child);
};

extern const struct hoop_backend_ops hoop__backend_uring; /* backend_uring.c */
extern const struct hoop_backend_ops hoop__backend_pool;  /* backend_pool.c */

/* backend_uring.c: the ring for params (sq, cq entries) into e->ring. */
int hoop__uring_setup(hoop_engine *e, const hoop_engine_params *p, unsigned sq,
                      unsigned cq);
/* The opcodes (< 64) the ring's kernel lacks, plus HOOP_ENGINE_MASK_OPS:
 * 0, or -EINVAL for a bad entry in the variable. */
int hoop__uring_missing_opcodes(hoop_ring *ring, uint64_t *mask);

/* backend_pool.c: hand n ops (records) to the pool in slots idx[]. If the
 * pool refuses them: with `accepted` each op gets the error as its result,
 * else everything is undone and the error returned. n or -errno. */
int hoop__engine_pool_submit(hoop_engine *e, const struct hoop_op *ops, unsigned n,
                             uint64_t *tok, const struct hoop_target *to,
                             const unsigned *idx, bool accepted);
/* Stop and free the pool (if any): its destroy, or in a forked child its
 * forget. */
void hoop__engine_pool_free(hoop_engine *e, bool in_child);
/* Cancel a pool op by token: 0 or -ENOENT. */
int hoop__engine_pool_cancel(hoop_engine *e, uint64_t token);

/* SQE flags the engine refuses (-EINVAL, nothing submitted): IO_DRAIN
 * would wait behind the engine's own multishot poll on its kick eventfd,
 * which never ends, so the op would never complete and cancel could not
 * reach it; CQE_SKIP_SUCCESS posts no completion on success, so the owner
 * would never get its result. */
#define HOOP_ENGINE_BAD_SQE_FLAGS                                              \
	(HOOP_SQE_IO_DRAIN | HOOP_SQE_CQE_SKIP_SUCCESS)
#define HOOP_LINK_FLAGS (HOOP_SQE_IO_LINK | HOOP_SQE_IO_HARDLINK)

static inline bool hoop__engine_flags_refused(unsigned sqe_flags)
{
	return (sqe_flags & HOOP_ENGINE_BAD_SQE_FLAGS) != 0;
}

/* engine.c, for the backends. */

/* Fill taken slot idx for a new op in flight (state INFLIGHT | bits) for
 * target `to`: its token. */
static inline uint64_t hoop__engine_arm(hoop_engine *e, unsigned idx, uint64_t tag,
                                        const struct hoop_target *to, uint32_t bits)
{
	return hoop__slot_arm(&e->tab, idx, tag, to, SLOT_INFLIGHT | bits, 0);
}

/* A completion for `token`: checked against its slot (stale or unknown
 * ones are counted and dropped), then delivered. Caller holds drain_lock. */
void hoop__engine_dispatch(hoop_engine *e, uint64_t token, int32_t res,
                           uint32_t cflags);

/* Deliver a result to slot s (in flight, token's generation). */
void hoop__engine_deliver_slot(hoop_engine *e, struct hoop_slot *s,
                               uint64_t token, int32_t res, uint32_t cflags);
/*
 * The final result of a wait-delivered op, counted already: INFLIGHT
 * becomes DONE in the low byte and the mark bits stay (a released slot
 * reads DONE|RELEASED until it is free, so a stale release or wait of its
 * token never takes it for an uncollected result, which would be freed
 * twice). A released slot is freed, a sleeping owner woken
 * (hoop__engine_deliver_wake).
 */
void hoop__engine_deliver_wake(hoop_engine *e, struct hoop_slot *s, uint32_t old);
static inline void hoop__engine_deliver_wait(hoop_engine *e, struct hoop_slot *s,
                                             int32_t res, uint32_t cflags)
{
	s->res = res;
	s->cflags = cflags;
	/* INFLIGHT + 1 is DONE, with the mark bits kept: one locked add
	 * (a fetch_xor whose old value is used is a compare-and-swap loop). */
	_Static_assert(SLOT_DONE == SLOT_INFLIGHT + 1, "INFLIGHT + 1 is DONE");
	uint32_t old = atomic_fetch_add_explicit(&s->state,
	                                         SLOT_DONE - SLOT_INFLIGHT,
	                                         memory_order_acq_rel);
	if (__builtin_expect((old & (SLOT_RELEASED | SLOT_WAITER)) != 0, 0))
		hoop__engine_deliver_wake(e, s, old);
}

/* The same, for a caller that has already counted it (a final result:
 * inflight - 1, completed + 1). */
void hoop__engine_deliver_counted(hoop_engine *e, struct hoop_slot *s,
                                  uint64_t token, int32_t res, uint32_t cflags);

/* Cancel, by token, every op in flight delivered to q (all when q is
 * NULL): how many the backend found. */
int hoop__engine_cancel_inflight(hoop_engine *e, hoop_queue *q);

/* A backend that takes records: run go on the call's ops as records
 * (converting a filler's SQEs), with every token collected even when the
 * caller wants none. Slots idx[] are taken. */
typedef int (*hoop__records_fn)(hoop_engine *e, const struct hoop_op *ops,
                                unsigned n, uint64_t *tok, unsigned flags,
                                const struct hoop_target *to, const unsigned *idx);
int hoop__engine_submit_records(hoop_engine *e, const struct hoop_submit_src *src,
                                unsigned n, uint64_t *tokens, unsigned flags,
                                const struct hoop_target *to,
                                const unsigned *idx, hoop__records_fn go);

/* engine_inline.c: try the inline path on each candidate of a call: res[i]
 * gets op i's result if it completed, else -1. How many completed. */
unsigned hoop__inline_try(const struct hoop_op *ops, unsigned n, int32_t *res);
/* The same for one op alone in its call: its result, or -1. */
int32_t hoop__inline_one(const struct hoop_op *op);
/* hoop_engine_submit of one op delivered by waiting (e, op, token valid,
 * flags accepted): done inline into a result cell when it can be, else
 * hoop__engine_submit_one. */
int hoop__inline_submit1(hoop_engine *e, const struct hoop_op *op,
                         uint64_t *token, unsigned flags);
/* engine.c: the same through a slot; `tried`: the inline attempt was made
 * (and failed), do not repeat it. */
int hoop__engine_submit_one(hoop_engine *e, const struct hoop_op *op,
                            uint64_t *token, unsigned flags, bool tried);

/* engine_params.c */
#define HOOP_ENGINE_DEFAULT_SQ 256u
/* 0 or -EINVAL with a reason in why (if not NULL); the pool signal is
 * resolved into *sig. */
int hoop__engine_params_check(const hoop_engine_params *p, int *sig, char *why,
                              size_t n);
/* Which backend to try first (HOOP_BACKEND_*), and why. */
int hoop__engine_choose_backend(const hoop_engine_params *p, const char **why);
/* An io_uring setup error that means "not allowed here", not "bad input". */
bool hoop__engine_fallback_allowed(int err);
/* The backend reason after such a fallback. */
const char *hoop__engine_fallback_reason(int err);

/* Deliver a result for `token` from outside the ring: the thread pool's
 * completion callback (ctx is the engine). */
void hoop__engine_deliver(void *ctx, uint64_t token, int32_t res);

/*
 * HOOP_BACKEND, parsed in one place for the engine and the probe
 * (opnames.c): the HOOP_BACKEND_* it names (AUTO when unset or empty), or
 * -EINVAL for a name hoop does not know. *raw (if not NULL) gets the value,
 * NULL when unset.
 */
int hoop__backend_env(const char **raw);
#define HOOP_BACKEND_ACCEPTED "auto, uring (or io_uring) or threads"

/* Count a queue's wake-up of a sleeping collector (metrics). */
void hoop__engine_count_queue_wakeup(hoop_engine *e);

/* Submit ops for a queue (engine.c). */
int hoop__engine_submit_internal(hoop_engine *e, const struct hoop_op *ops,
                                 unsigned n, uint64_t *tokens, unsigned flags,
                                 const struct hoop_target *to);

/* Reap what is there without blocking if nobody else is; used by waiters. */
void hoop__engine_reap_some(hoop_engine *e);

/* Flush batched SQEs if any. */
void hoop__engine_flush_pending(hoop_engine *e);

/* Threads inside an engine call, summed over the stripes. */
int hoop__callers_active(hoop_engine *e);

/* The calling thread's stripe (hoop__thread_hash, slots.h). */
static inline __attribute__((always_inline)) struct hoop_stripe *
hoop__stripe(hoop_engine *e)
{
	return &e->stripes[hoop__thread_hash()];
}
_Static_assert(HOOP_STRIPES == HOOP_SLOT_CACHES, "one hash for both");
_Static_assert(sizeof(struct hoop_stripe) == 64, "a stripe is a cache line");

/* Count a thread as inside an engine call (destroy waits for none): in
 * returns the stripe counted, and out must be given that same stripe (the
 * stripe comes from the stack pointer, which a second lookup need not
 * find the same). */
static inline struct hoop_stripe *hoop__caller_in(hoop_engine *e)
{
	struct hoop_stripe *st = hoop__stripe(e);
	atomic_fetch_add_explicit(&st->callers, 1, memory_order_acq_rel);
	return st;
}
static inline void hoop__caller_out(struct hoop_stripe *st)
{
	atomic_fetch_sub_explicit(&st->callers, 1, memory_order_release);
}

/* The count of fork()s, raised in each child (engine.c): an engine made
 * before the last one is the parent's. */
extern _Atomic unsigned *const hoop__fork_generation_p;

/* -ECHILD after fork, -ESHUTDOWN when closing, else 0. */
int hoop__engine_check(hoop_engine *e);
static inline int hoop__engine_check_inline(hoop_engine *e)
{
	if (atomic_load_explicit(hoop__fork_generation_p, memory_order_relaxed) !=
	    e->fork_gen)
		return -ECHILD;
	/* seq_cst: after the caller counted itself (destroy stores closing,
	 * then counts the callers). */
	if (atomic_load_explicit(&e->closing, memory_order_seq_cst))
		return -ESHUTDOWN;
	int d = atomic_load_explicit(&e->dead, memory_order_relaxed);
	return d ? d : 0;
}

/* Cancel every in-flight op delivered to `q` (queue destroy). */
void hoop__engine_cancel_queue(hoop_engine *e, hoop_queue *q);

#endif
