/*
 * core/engine_internal.h - the engine's private layout, shared by the engine,
 * the queue and the backends. Never installed.
 */
#ifndef HOOP_CORE_ENGINE_INTERNAL_H
#define HOOP_CORE_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "clock.h"
#include "slots.h"
#include "hoop/engine.h"
#include "hoop/ring.h"

/* user_data of the internal multishot poll on the kick eventfd. */
#define HOOP_UD_KICK 0xffffffffffffff01ull

struct hoop_engine {
	hoop_ring *ring;          /* NULL with the thread-pool backend */
	/* The thread pool: the whole backend when ring is NULL; with io_uring,
	 * present only if some opcodes are served by it (pool_opmask). */
	struct hoop_pool *pool;
	uint64_t pool_opmask;     /* bit op: the ring lacks opcode op (< 64) */
	int backend;
	const char *backend_reason;
	unsigned fork_gen;

	/* submission side, under submit_lock */
	pthread_mutex_t submit_lock;
	unsigned pending;        /* SQEs published but not yet entered */
	unsigned batch_count;
	uint64_t batch_ns;
	_Atomic uint64_t batch_deadline; /* monotonic ns, 0 = none */
	_Atomic int has_pending;         /* pending > 0, readable unlocked */
	_Atomic int kick_armed;          /* the kick poll is in the kernel */
	bool kicked;                     /* under drain_lock */

	/* completion side, under drain_lock */
	pthread_mutex_t drain_lock;

	struct hoop_slots tab; /* slots.h */

	/* engine thread */
	pthread_t thread;
	bool thread_started;
	int kick_fd;
	_Atomic uint32_t bg_seq;     /* futex word the idle thread sleeps on */
	_Atomic int bg_idle;         /* sleeping on bg_seq */
	_Atomic int bg_in_kernel;    /* blocked in io_uring_enter */
	_Atomic int closing;
	_Atomic int dead;            /* fatal ring error, as -errno */
	uint64_t dead_next_cancel;   /* engine thread: next SYNC_CANCEL (ns) */
	bool dead_cancel_found;      /* engine thread: the last one found some */
	_Atomic int active_callers;  /* threads inside wait/submit/cancel */
	_Atomic int spinners;

	uint64_t spin_ns;
	bool inline_rw; /* try reads/writes in the submitting thread first */
	unsigned sq_limit; /* most ops in one submit call (the SQ size) */

	/* counters */
	_Atomic uint64_t m_submitted, m_completed, m_cqes, m_enters,
	    m_sqes_entered, m_wakeups, m_reaps_waiters, m_reaps_thread,
	    m_overflow, m_unknown, m_blocked, m_pool_ops, m_inline,
	    m_queue_wakeups;
	_Atomic uint64_t inflight;
};

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

/* Hand a completion to its queue (queue.c): with drain_lock held, from a
 * pool worker, or from the submitting thread for an op completed inline. */
void hoop__queue_push(hoop_queue *q, const struct hoop_completion *c);

/* Submit ops for a queue (engine.c). */
int hoop__engine_submit_internal(hoop_engine *e, const struct hoop_op *ops,
                                 unsigned n, uint64_t *tokens, unsigned flags,
                                 const struct hoop_target *to);

/* Reap what is there without blocking if nobody else is; used by waiters. */
void hoop__engine_reap_some(hoop_engine *e);

/* Flush batched SQEs if any. */
void hoop__engine_flush_pending(hoop_engine *e);

/* Count a thread as inside an engine call (destroy waits for none). */
void hoop__caller_enter(hoop_engine *e);
void hoop__caller_leave(hoop_engine *e);

/* -ECHILD after fork, -ESHUTDOWN when closing, else 0. */
int hoop__engine_check(hoop_engine *e);

/* Cancel every in-flight op delivered to `q` (queue destroy). */
void hoop__engine_cancel_queue(hoop_engine *e, hoop_queue *q);

#endif
